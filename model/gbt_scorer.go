package model

import (
	"fmt"

	"churn/model/gbt"
)

// gbtScorer adapts *gbt.Model to scorer.
type gbtScorer struct {
	m    *gbt.Model
	cols int
}

func (s *gbtScorer) algo() string { return AlgoGBT }

func (s *gbtScorer) margins(dst []float64, x *Matrix) error {
	s.m.PredictMargin(dst[:x.Rows], x.X)
	return nil
}

// contributions drops the bias term: Contributions explain the margin
// relative to the model's expected margin.
func (s *gbtScorer) contributions(dst, row []float64) error {
	buf := make([]float64, s.cols+1)
	s.m.Contributions(buf, row)
	copy(dst, buf[:s.cols])
	return nil
}

func (s *gbtScorer) importance() []float64 { return s.m.Importance() }

func (s *gbtScorer) marshal() ([]byte, error) { return s.m.MarshalBinary() }

func fitGBT(cfg TrainConfig, train, valid *Matrix, ytrain, yvalid []float64) (*gbtScorer, []string, error) {
	p := cfg.GBT
	p.Seed = cfg.Seed
	if p.Workers == 0 {
		p.Workers = cfg.Workers
	}
	cols := len(train.Cols)
	td := gbt.Data{X: train.X, Rows: train.Rows, Cols: cols, Y: ytrain}
	vd := gbt.Data{X: valid.X, Rows: valid.Rows, Cols: cols, Y: yvalid}
	if n := cfg.StopRows; n > 0 && n < train.Rows {
		// The tree count from the stopping rows, then the whole set.
		sd := gbt.Data{X: train.X[:n*cols], Rows: n, Cols: cols, Y: ytrain[:n]}
		stop, err := gbt.Fit(sd, &vd, p)
		if err != nil {
			return nil, nil, fmt.Errorf("gbt early-stopping run on %d rows: %w", n, err)
		}
		trees := p.Trees
		p.Trees, p.EarlyStopping = stop.BestIteration()+1, 0
		m, err := gbt.Fit(td, nil, p)
		if err != nil {
			return nil, nil, fmt.Errorf("gbt: %w", err)
		}
		notes := []string{fmt.Sprintf("%d trees, where an early-stopping run of at most %d trees on the first %d training rows (those whose label windows end by the validation cutoff) did best", p.Trees, trees, n)}
		return &gbtScorer{m: m, cols: cols}, notes, nil
	}
	m, err := gbt.Fit(td, &vd, p)
	if err != nil {
		return nil, nil, fmt.Errorf("gbt: %w", err)
	}
	notes := []string{fmt.Sprintf("best iteration %d of %d trees", m.BestIteration(), p.Trees)}
	return &gbtScorer{m: m, cols: cols}, notes, nil
}

func unmarshalGBT(b []byte, cols int) (scorer, error) {
	var m gbt.Model
	if err := m.UnmarshalBinary(b); err != nil {
		return nil, err
	}
	return &gbtScorer{m: &m, cols: cols}, nil
}

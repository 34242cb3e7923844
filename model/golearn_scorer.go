//go:build cgo

package model

import (
	"fmt"
	"math"

	"churn/model/internal/golearnrf"
)

// rfScorer adapts the golearn random forest baseline. It is never chosen by
// "auto", cannot explain its scores and cannot be saved; see
// model/internal/golearnrf for its defects (unseeded, not reproducible).
type rfScorer struct{ f *golearnrf.Forest }

func (s rfScorer) algo() string { return AlgoGolearnRF }

// margins returns the logit of the vote share, clipped to [1e-3, 1-1e-3]
// so that unanimous votes stay finite.
func (s rfScorer) margins(dst []float64, x *Matrix) error {
	if err := s.f.Predict(dst, x.X, x.Rows); err != nil {
		return err
	}
	for i := 0; i < x.Rows; i++ {
		p := math.Min(math.Max(dst[i], 1e-3), 1-1e-3)
		dst[i] = math.Log(p / (1 - p))
	}
	return nil
}

func (s rfScorer) contributions(dst, row []float64) error {
	return fmt.Errorf("%s: %w", AlgoGolearnRF, ErrNoContributions)
}

func (s rfScorer) importance() []float64 { return nil }

func (s rfScorer) marshal() ([]byte, error) {
	return nil, fmt.Errorf("%s: %w", AlgoGolearnRF, ErrNotSerializable)
}

func fitGolearnRF(cfg TrainConfig, train *Matrix, y []float64) (scorer, []string, error) {
	trees := cfg.RFTrees
	if trees <= 0 {
		trees = DefaultTrainConfig().RFTrees
	}
	f, err := golearnrf.Fit(train.X, train.Rows, len(train.Cols), y, trees)
	if err != nil {
		return nil, nil, err
	}
	return rfScorer{f}, []string{fmt.Sprintf("%d trees; not reproducible: golearn uses the unseeded global math/rand", trees)}, nil
}

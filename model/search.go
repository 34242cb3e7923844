package model

import (
	"fmt"
	"time"

	"churn/model/eval"
	"churn/model/gbt"
)

// SearchTrial is one parameter set tried by [SearchGBT], with the
// validation figures of its early-stopped trees.
type SearchTrial struct {
	Depth        int     `json:"depth"`
	LearningRate float64 `json:"learning_rate"`
	Trees        int     `json:"trees"` // early-stopping count
	ValidROCAUC  float64 `json:"valid_roc_auc"`
	ValidLogLoss float64 `json:"valid_log_loss"`
	DurationMS   int64   `json:"duration_ms"`
}

// SearchGrid returns the small grid [SearchGBT] tries around base: tree
// depths base-2, base and base+2 (within [2, 12]) times learning rates
// base and base/2, base first. The other parameters stay base's.
func SearchGrid(base gbt.Params) []gbt.Params {
	var grid []gbt.Params
	for _, lr := range []float64{base.LearningRate, base.LearningRate / 2} {
		for _, d := range []int{base.MaxDepth, base.MaxDepth - 2, base.MaxDepth + 2} {
			if d < 2 || d > 12 {
				continue
			}
			p := base
			p.MaxDepth, p.LearningRate = d, lr
			grid = append(grid, p)
		}
	}
	return grid
}

// SearchGBT fits trees with each parameter set of grid on train, stopped
// early on valid, and returns the set with the highest validation ROC AUC
// (the earlier one on a tie) and every trial. cfg supplies the seed and
// workers. The search sees only the training and validation rows, like
// model selection.
func SearchGBT(cfg TrainConfig, grid []gbt.Params, train, valid *Matrix, ytrain, yvalid []float64) (gbt.Params, []SearchTrial, error) {
	if len(grid) == 0 {
		return gbt.Params{}, nil, fmt.Errorf("search: empty grid: %w", gbt.ErrParams)
	}
	if err := checkSet("train", train, ytrain, nil); err != nil {
		return gbt.Params{}, nil, err
	}
	if err := checkSet("valid", valid, yvalid, train.Cols); err != nil {
		return gbt.Params{}, nil, err
	}
	best, bestAUC := -1, 0.0
	var trials []SearchTrial
	margin := make([]float64, valid.Rows)
	prob := make([]float64, valid.Rows)
	for k, p := range grid {
		start := time.Now()
		c := cfg
		c.GBT = p
		s, _, err := fitGBT(c, train, valid, ytrain, yvalid)
		if err != nil {
			return gbt.Params{}, trials, fmt.Errorf("search depth %d, learning rate %g: %w", p.MaxDepth, p.LearningRate, err)
		}
		s.m.PredictMargin(margin, valid.X)
		for i, m := range margin {
			prob[i] = sigmoid(m)
		}
		r := eval.Evaluate(prob, yvalid)
		trials = append(trials, SearchTrial{
			Depth: p.MaxDepth, LearningRate: p.LearningRate, Trees: s.m.BestIteration() + 1,
			ValidROCAUC: r.ROCAUC, ValidLogLoss: r.LogLoss, DurationMS: time.Since(start).Milliseconds(),
		})
		cfg.phase(fmt.Sprintf("search depth %d learning rate %g", p.MaxDepth, p.LearningRate), start)
		if best < 0 || r.ROCAUC > bestAUC {
			best, bestAUC = k, r.ROCAUC
		}
	}
	return grid[best], trials, nil
}

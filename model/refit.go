package model

import (
	"fmt"
	"math"
	"slices"
	"time"

	"churn/model/eval"
	"churn/model/gbt"
)

// RefitReport says how the final model was refitted after selection.
type RefitReport struct {
	// Rows is the number of rows the final model was fitted on.
	Rows int `json:"rows"`
	// SelectionRows is the number of training rows of the selected model.
	SelectionRows int `json:"selection_rows"`
	// Trees is the number of boosting rounds of the refitted trees: the
	// selected model's early-stopping count times Rows/SelectionRows,
	// rounded, at most GBT.Trees. 0 for the logistic model.
	Trees int `json:"trees,omitempty"`
	// SelectedTrees is the selected model's early-stopping count.
	SelectedTrees int `json:"selected_trees,omitempty"`
	// CalibrationRows is the number of held-back rows the refitted model
	// was calibrated on.
	CalibrationRows int `json:"calibration_rows"`
	// HeldROCAUC is the refitted model's ROC AUC on those rows, which it
	// was not fitted on: the only out-of-sample figure of the saved model
	// (the holdout measures the selected one). Calibration is monotone,
	// so it is that of the uncalibrated margins.
	HeldROCAUC float64 `json:"held_roc_auc"`
}

// Refit fits the algorithm that sel kept again, with the same
// configuration, on x (typically every labelled row up to the latest
// complete cutoff, less a held-back slice), and calibrates it on calib
// (that slice) the way Train calibrates. Trees run for sel's
// early-stopping count scaled by the ratio of x's rows to the selection's
// training rows (selRows), without early stopping: there is no
// validation set left. The result keeps sel's Choice and Candidates and
// says what was refitted in Refit.
func Refit(cfg TrainConfig, sel *Trained, selRows int, x *Matrix, y []float64, calib *Matrix, ycalib []float64) (*Trained, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := checkSet("refit", x, y, sel.features); err != nil {
		return nil, err
	}
	if err := checkSet("refit calib", calib, ycalib, sel.features); err != nil {
		return nil, err
	}
	if x.Rows < MinTrainRows {
		return nil, fmt.Errorf("refit has %d rows, want at least %d: %w", x.Rows, MinTrainRows, ErrTooFewRows)
	}
	rep := &RefitReport{Rows: x.Rows, SelectionRows: selRows, CalibrationRows: calib.Rows}
	start := time.Now()
	var s scorer
	switch b := sel.base.(type) {
	case *gbtScorer:
		p := cfg.GBT
		p.Seed = cfg.Seed
		if p.Workers == 0 {
			p.Workers = cfg.Workers
		}
		rep.SelectedTrees = b.m.BestIteration() + 1
		rep.Trees = scaledTrees(rep.SelectedTrees, x.Rows, selRows, p.Trees)
		p.Trees, p.EarlyStopping = rep.Trees, 0
		m, err := gbt.Fit(gbt.Data{X: x.X, Rows: x.Rows, Cols: len(x.Cols), Y: y}, nil, p)
		if err != nil {
			return nil, fmt.Errorf("refit gbt: %w", err)
		}
		s = &gbtScorer{m: m, cols: len(x.Cols)}
	case logisticScorer:
		p := DefaultLogisticParams()
		p.L2, p.PosWeight, p.Workers = cfg.L2, cfg.PosWeight, cfg.Workers
		m, err := FitLogistic(x, y, p)
		if err != nil {
			return nil, fmt.Errorf("refit logistic: %w", err)
		}
		s = logisticScorer{m}
	default:
		return nil, fmt.Errorf("refit %s: %w", sel.base.algo(), ErrUnknownAlgo)
	}
	cfg.phase("refit "+s.algo(), start)
	start = time.Now()
	t := &Trained{
		Choice:     sel.Choice,
		Candidates: slices.Clone(sel.Candidates),
		Refit:      rep,
		features:   slices.Clone(sel.features),
		base:       s,
	}
	margin := make([]float64, calib.Rows)
	if err := s.margins(margin, calib); err != nil {
		return nil, err
	}
	rep.HeldROCAUC = eval.ROCAUC(margin, ycalib)
	t.cal, t.Calibration = fitCalibration(cfg.Calibration, margin, ycalib)
	t.Calibration.Note = "refitted model: calibrated on a held-back slice of the latest complete cutoff"
	cfg.phase("recalibrate", start)
	return t, nil
}

// scaledTrees scales an early-stopping count to a larger training set, in
// proportion to its rows, within [1, limit].
func scaledTrees(selected, rows, selRows, limit int) int {
	n := selected
	if selRows > 0 && rows > selRows {
		n = int(math.Round(float64(selected) * float64(rows) / float64(selRows)))
	}
	return max(1, min(n, limit))
}

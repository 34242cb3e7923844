package model

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"churn/model/calibrate"
	"churn/model/eval"
	"churn/model/gbt"
)

// Algorithm names for TrainConfig.Algo.
const (
	AlgoAuto      = "auto"       // gbt and logistic, best validation ROC AUC kept
	AlgoGBT       = "gbt"        // gradient-boosted trees (model/gbt)
	AlgoLogistic  = "logistic"   // L2 logistic regression
	AlgoGolearnRF = "golearn-rf" // golearn random forest: a documented baseline only
)

// Calibration methods for TrainConfig.Calibration.
const (
	CalAuto     = "auto" // platt, isotonic or none: the lowest cross-fitted Brier
	CalPlatt    = "platt"
	CalIsotonic = "isotonic"
	CalNone     = "none"
)

// MinTrainRows is the fewest labelled training rows Train accepts.
const MinTrainRows = 200

// TrainConfig configures Train. The zero value is not useful; start from
// DefaultTrainConfig.
type TrainConfig struct {
	Algo        string     `json:"algo"`        // auto (default), gbt, logistic, golearn-rf
	Seed        uint64     `json:"seed"`        // copied into GBT.Seed; golearn ignores it (see golearnrf)
	GBT         gbt.Params `json:"gbt"`         // tree parameters; early stopping uses the validation cutoff
	L2          float64    `json:"l2"`          // logistic ridge penalty; default 1e-4
	PosWeight   float64    `json:"pos_weight"`  // logistic class weight of positives; 0 = 1
	Calibration string     `json:"calibration"` // auto (default), platt, isotonic, none
	RFTrees     int        `json:"rf_trees"`    // golearn-rf forest size; default 20
	// StopRows, when above 0 and below the training rows, makes the GBT's
	// tree count that of an early-stopping run on the first StopRows
	// rows of the training set alone, scored on the validation set; the
	// candidate is then fitted on the whole training set with that many
	// trees and no early stopping. The caller puts there the rows whose
	// label windows end by the validation cutoff, so that the stopping
	// run sees the validation set as far ahead of its training data as the
	// saved model sees the cutoffs it scores. 0 early-stops the fit on the
	// whole training set.
	StopRows int `json:"stop_rows,omitempty"`
	// Workers is the number of goroutines of the logistic fit, and of the
	// GBT's when GBT.Workers is 0; 0 means GOMAXPROCS. No fit depends on it.
	Workers int `json:"-"`
	// Phase, when not nil, is told the wall time of each phase of Train
	// and Refit as it ends ("fit gbt", "fit logistic", "calibrate"), for
	// the caller's log; it does not change the model.
	Phase func(name string, d time.Duration) `json:"-"`
}

// phase reports d since start to cfg.Phase, if any.
func (c TrainConfig) phase(name string, start time.Time) {
	if c.Phase != nil {
		c.Phase(name, time.Since(start))
	}
}

// DefaultTrainConfig returns the documented defaults.
func DefaultTrainConfig() TrainConfig {
	return TrainConfig{
		Algo:        AlgoAuto,
		Seed:        1,
		GBT:         gbt.DefaultParams(),
		L2:          DefaultLogisticParams().L2,
		PosWeight:   1,
		Calibration: CalAuto,
		RFTrees:     20,
	}
}

// Validate reports every problem in c at once.
func (c TrainConfig) Validate() error {
	var errs []error
	if !slices.Contains(AlgoNames(), c.Algo) {
		errs = append(errs, fmt.Errorf("algo %q: %w", c.Algo, ErrUnknownAlgo))
	}
	if !slices.Contains([]string{CalAuto, CalPlatt, CalIsotonic, CalNone}, c.Calibration) {
		errs = append(errs, fmt.Errorf("calibration %q: %w", c.Calibration, ErrUnknownAlgo))
	}
	if c.L2 < 0 || math.IsNaN(c.L2) {
		errs = append(errs, fmt.Errorf("l2 %v: must be >= 0", c.L2))
	}
	if c.PosWeight < 0 || math.IsNaN(c.PosWeight) {
		errs = append(errs, fmt.Errorf("pos_weight %v: must be >= 0", c.PosWeight))
	}
	if c.StopRows < 0 {
		errs = append(errs, fmt.Errorf("stop_rows %d: must be >= 0", c.StopRows))
	}
	return errors.Join(errs...)
}

// Candidate is one algorithm fitted by Train, with its metrics on the
// validation cutoff (uncalibrated probabilities).
type Candidate struct {
	Algo  string      `json:"algo"`
	Valid eval.Report `json:"valid"`
	Notes []string    `json:"notes,omitempty"`
	Err   string      `json:"error,omitempty"` // set when the fit failed
}

// CalibrationTrial is one calibration method measured out of fold.
type CalibrationTrial struct {
	Method string  `json:"method"`
	Brier  float64 `json:"brier"`
	ECE    float64 `json:"ece"`
}

// CalibrationReport says which calibration was kept and what it changed.
// Before is the uncalibrated model on the calibration rows; After and the
// trials are two-fold cross-fitted (fit on half the rows, measured on the
// other half, both ways), so that isotonic regression's in-sample fit does
// not win by construction. The kept method is then refitted on all rows.
type CalibrationReport struct {
	Method      string             `json:"method"`
	Rows        int                `json:"rows"`
	BrierBefore float64            `json:"brier_before"`
	BrierAfter  float64            `json:"brier_after"`
	ECEBefore   float64            `json:"ece_before"`
	ECEAfter    float64            `json:"ece_after"`
	Trials      []CalibrationTrial `json:"trials"`
	Note        string             `json:"note,omitempty"`
}

// calibrator maps margins to probabilities.
type calibrator struct {
	Method   string              `json:"method"`
	Platt    calibrate.Platt     `json:"platt"`
	Isotonic *calibrate.Isotonic `json:"isotonic,omitempty"`
}

func (c calibrator) prob(m float64) float64 {
	switch c.Method {
	case CalPlatt:
		return c.Platt.Prob(m)
	case CalIsotonic:
		return c.Isotonic.Prob(m)
	}
	return sigmoid(m)
}

// Trained is a fitted, calibrated classifier. It implements Classifier:
// PredictProba returns calibrated probabilities; Contributions explain the
// uncalibrated margin (log-odds) of the base model, because calibration is
// a monotone map of that margin and does not split across features.
type Trained struct {
	// Choice says which algorithm was kept and why.
	Choice string
	// Candidates holds every algorithm fitted, with validation metrics.
	Candidates []Candidate
	// Calibration says which calibration was kept and what it changed.
	Calibration CalibrationReport
	// Refit, when not nil, says that the model was refitted on more rows
	// after selection ([Refit]); Candidates then hold the selection's
	// validation figures.
	Refit *RefitReport

	features []string
	base     scorer
	cal      calibrator
}

// Algo names the kept algorithm.
func (t *Trained) Algo() string { return t.base.algo() }

// Features returns the columns the model expects, in order (a copy).
func (t *Trained) Features() []string { return slices.Clone(t.features) }

// Margins writes the uncalibrated log-odds of each row of x into dst.
func (t *Trained) Margins(dst []float64, x *Matrix) error {
	if err := x.check(); err != nil {
		return err
	}
	if err := matchFeatures(t.features, x.Cols); err != nil {
		return err
	}
	if len(dst) < x.Rows {
		return fmt.Errorf("dst holds %d of %d rows: %w", len(dst), x.Rows, ErrLengthMismatch)
	}
	return t.base.margins(dst, x)
}

// PredictProba writes the calibrated churn probability of each row of x
// into dst.
func (t *Trained) PredictProba(dst []float64, x *Matrix) error {
	if err := t.Margins(dst, x); err != nil {
		return err
	}
	for i := 0; i < x.Rows; i++ {
		dst[i] = t.cal.prob(dst[i])
	}
	return nil
}

// Contributions writes each feature's effect on the uncalibrated margin
// into dst (len(Features())): coefficient x standardised value for the
// logistic model, TreeSHAP values for trees.
func (t *Trained) Contributions(dst []float64, row []float64) error {
	if len(row) != len(t.features) || len(dst) != len(t.features) {
		return fmt.Errorf("row %d, dst %d, features %d: %w", len(row), len(dst), len(t.features), ErrLengthMismatch)
	}
	return t.base.contributions(dst, row)
}

// ContributionsRows writes the contributions of every row of x into dst,
// len(Features()) per row, equal to what Contributions writes one row at a
// time. Trees explain the rows together, which reads each tree's tables
// once per block of rows instead of once per row. It runs on the calling
// goroutine: callers spread chunks of rows over workers.
func (t *Trained) ContributionsRows(dst []float64, x *Matrix) error {
	if err := x.check(); err != nil {
		return err
	}
	if err := matchFeatures(t.features, x.Cols); err != nil {
		return err
	}
	cols := len(t.features)
	if len(dst) != x.Rows*cols {
		return fmt.Errorf("dst %d for %d rows of %d features: %w", len(dst), x.Rows, cols, ErrLengthMismatch)
	}
	g, ok := t.base.(*gbtScorer)
	if !ok {
		for i := 0; i < x.Rows; i++ {
			if err := t.base.contributions(dst[i*cols:(i+1)*cols], x.X[i*cols:(i+1)*cols]); err != nil {
				return err
			}
		}
		return nil
	}
	// gbt writes a bias after each row's contributions; a bounded buffer
	// takes them block by block.
	const block = 256
	buf := make([]float64, min(x.Rows, block)*(cols+1))
	for lo := 0; lo < x.Rows; lo += block {
		hi := min(lo+block, x.Rows)
		b := buf[:(hi-lo)*(cols+1)]
		g.m.ContributionsRows(b, x.X[lo*cols:hi*cols])
		for i := lo; i < hi; i++ {
			copy(dst[i*cols:(i+1)*cols], b[(i-lo)*(cols+1):])
		}
	}
	return nil
}

// Importance returns each feature's importance: total split gain for trees,
// absolute standardised coefficients for the logistic model, none for the
// golearn forest.
func (t *Trained) Importance() map[string]float64 {
	imp := t.base.importance()
	out := make(map[string]float64, len(t.features))
	for j, f := range t.features {
		if j < len(imp) {
			out[f] = imp[j]
		}
	}
	return out
}

// Train fits the configured candidates on train, stops trees early and
// picks the best by ROC AUC on valid, then fits calibration on calib, a
// cutoff that neither training nor selection saw. When calib is nil the
// calibration is fitted on valid instead, and CalibrationReport.Note says
// so. Labels must be 0 or 1; every matrix must have the same columns.
func Train(cfg TrainConfig, train, valid, calib *Matrix, ytrain, yvalid, ycalib []float64) (*Trained, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := checkSet("train", train, ytrain, nil); err != nil {
		return nil, err
	}
	if train.Rows < MinTrainRows {
		return nil, fmt.Errorf("train has %d rows, want at least %d: %w", train.Rows, MinTrainRows, ErrTooFewRows)
	}
	if err := checkSet("valid", valid, yvalid, train.Cols); err != nil {
		return nil, err
	}
	note := ""
	if calib == nil {
		calib, ycalib = valid, yvalid
		note = "no calibration cutoff given: calibrated on the validation cutoff"
	} else if err := checkSet("calib", calib, ycalib, train.Cols); err != nil {
		return nil, err
	}

	algos := []string{cfg.Algo}
	if cfg.Algo == AlgoAuto {
		algos = AutoAlgos()
	}
	t := &Trained{features: slices.Clone(train.Cols)}
	var best scorer
	bestAUC := math.Inf(-1)
	var failed []error
	valMargin := make([]float64, valid.Rows)
	valProb := make([]float64, valid.Rows)
	for _, a := range algos {
		start := time.Now()
		s, notes, err := fitOne(a, cfg, train, valid, ytrain, yvalid)
		cfg.phase("fit "+a, start)
		c := Candidate{Algo: a, Notes: notes}
		if err == nil {
			err = s.margins(valMargin, valid)
		}
		if err != nil {
			c.Err = err.Error()
			t.Candidates = append(t.Candidates, c)
			failed = append(failed, fmt.Errorf("%s: %w", a, err))
			continue
		}
		for i, m := range valMargin {
			valProb[i] = sigmoid(m)
		}
		c.Valid = eval.Evaluate(valProb, yvalid)
		t.Candidates = append(t.Candidates, c)
		if c.Valid.ROCAUC > bestAUC {
			best, bestAUC = s, c.Valid.ROCAUC
		}
	}
	if best == nil {
		return nil, errors.Join(failed...)
	}
	t.base = best
	t.Choice = choice(cfg.Algo, best.algo(), t.Candidates)

	start := time.Now()
	calMargin := make([]float64, calib.Rows)
	if err := best.margins(calMargin, calib); err != nil {
		return nil, err
	}
	t.cal, t.Calibration = fitCalibration(cfg.Calibration, calMargin, ycalib)
	t.Calibration.Note = note
	cfg.phase("calibrate", start)
	return t, nil
}

func fitOne(algo string, cfg TrainConfig, train, valid *Matrix, ytrain, yvalid []float64) (scorer, []string, error) {
	a, ok := lookupAlgorithm(algo)
	if !ok {
		return nil, nil, fmt.Errorf("algo %q: %w", algo, ErrUnknownAlgo)
	}
	return a.fit(cfg, train, valid, ytrain, yvalid)
}

func choice(requested, kept string, cands []Candidate) string {
	var b strings.Builder
	for _, c := range cands {
		if c.Algo == kept {
			fmt.Fprintf(&b, "%s: validation ROC AUC %.4f", kept, c.Valid.ROCAUC)
		}
	}
	if requested != AlgoAuto {
		b.WriteString(", requested")
		return b.String()
	}
	b.WriteString(", best of")
	for _, c := range cands {
		if c.Err != "" {
			fmt.Fprintf(&b, " %s (failed: %s)", c.Algo, c.Err)
		} else {
			fmt.Fprintf(&b, " %s %.4f", c.Algo, c.Valid.ROCAUC)
		}
	}
	return b.String()
}

// checkSet reports a matrix or labels that Train cannot use.
func checkSet(name string, x *Matrix, y []float64, cols []string) error {
	if x == nil {
		return fmt.Errorf("%s: nil matrix: %w", name, ErrLengthMismatch)
	}
	if err := x.check(); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	if len(y) != x.Rows {
		return fmt.Errorf("%s: %d labels for %d rows: %w", name, len(y), x.Rows, ErrLengthMismatch)
	}
	if cols != nil {
		if err := matchFeatures(cols, x.Cols); err != nil {
			return fmt.Errorf("%s against train: %w", name, err)
		}
	}
	if err := checkLabels(y, 2); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// fitCalibration measures each allowed method with two-fold cross-fitting
// (even rows against odd rows), keeps the lowest Brier, and refits it on
// all rows.
func fitCalibration(method string, margin, y []float64) (calibrator, CalibrationReport) {
	methods := []string{method}
	if method == CalAuto {
		methods = []string{CalNone, CalPlatt, CalIsotonic}
	}
	var fold [2][]int
	for i := range margin {
		fold[i%2] = append(fold[i%2], i)
	}
	pick := func(idx []int, v []float64) []float64 {
		out := make([]float64, len(idx))
		for k, i := range idx {
			out[k] = v[i]
		}
		return out
	}
	fit := func(m string, mar, lab []float64) calibrator {
		c := calibrator{Method: m}
		switch m {
		case CalPlatt:
			c.Platt = calibrate.FitPlatt(mar, lab)
		case CalIsotonic:
			iso := calibrate.FitIsotonic(mar, lab)
			c.Isotonic = &iso
		}
		return c
	}
	rep := CalibrationReport{Rows: len(margin)}
	before := make([]float64, len(margin))
	for i, m := range margin {
		before[i] = sigmoid(m)
	}
	rep.BrierBefore, rep.ECEBefore = eval.Brier(before, y), eval.ECE(before, y)
	bestBrier := math.Inf(1)
	oof := make([]float64, len(margin))
	for _, m := range methods {
		for f := 0; f < 2; f++ {
			in, out := fold[f], fold[1-f]
			c := fit(m, pick(in, margin), pick(in, y))
			for _, i := range out {
				oof[i] = c.prob(margin[i])
			}
		}
		tr := CalibrationTrial{Method: m, Brier: eval.Brier(oof, y), ECE: eval.ECE(oof, y)}
		rep.Trials = append(rep.Trials, tr)
		if tr.Brier < bestBrier {
			bestBrier = tr.Brier
			rep.Method, rep.BrierAfter, rep.ECEAfter = m, tr.Brier, tr.ECE
		}
	}
	return fit(rep.Method, margin, y), rep
}

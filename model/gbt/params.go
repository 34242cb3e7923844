package gbt

import (
	"errors"
	"fmt"
	"math"
)

// Params configures Fit. The zero value is not useful: start from
// DefaultParams and change what you need.
type Params struct {
	// Trees is the largest number of boosting rounds. Default 500.
	Trees int
	// MaxDepth bounds the depth of every tree (a stump has depth 1).
	// Default 6; at most 20.
	MaxDepth int
	// MaxLeaves, when above 0, bounds the leaves of every tree: the splits
	// of a level are taken in order of gain until the bound is reached.
	// Default 0 (no bound beyond MaxDepth).
	MaxLeaves int
	// LearningRate (eta) shrinks every leaf value. Default 0.1.
	LearningRate float64
	// L2 (lambda) regularises leaf values: leaf = -G/(H+L2). Default 1.
	L2 float64
	// MinChildWeight is the least hessian sum a child may hold. Default 1.
	MinChildWeight float64
	// Subsample is the fraction of rows drawn, without replacement, for
	// each tree. Default 0.8.
	Subsample float64
	// ColSample is the fraction of usable columns drawn for each tree.
	// Default 0.8.
	ColSample float64
	// MaxBins bounds the quantile bins of a column, 2 to 255; missing
	// values have a bin of their own besides. Default 255.
	MaxBins int
	// EarlyStopping stops training when the validation log loss has not
	// improved for this many rounds, keeping the best round. 0 turns it
	// off; it needs a validation set. Default 30.
	EarlyStopping int
	// PosWeight multiplies the weight of positive rows. Default 1.
	PosWeight float64
	// Seed drives row and column sampling; equal seeds give equal models.
	// Default 1.
	Seed uint64
	// Workers is the number of goroutines that build histograms and
	// predict; 0 means runtime.GOMAXPROCS(0). The model does not depend on
	// it. Default 0.
	Workers int
}

// DefaultParams returns the defaults documented on each field of Params,
// close to XGBoost's "hist" defaults with row and column sampling on.
func DefaultParams() Params {
	return Params{
		Trees:          500,
		MaxDepth:       6,
		LearningRate:   0.1,
		L2:             1,
		MinChildWeight: 1,
		Subsample:      0.8,
		ColSample:      0.8,
		MaxBins:        255,
		EarlyStopping:  30,
		PosWeight:      1,
		Seed:           1,
	}
}

// maxDepthLimit keeps node counts (2^depth) and SHAP path buffers small.
const maxDepthLimit = 20

// Validate reports every parameter outside its documented range at once.
func (p Params) Validate() error {
	var errs []error
	bad := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%w: "+format, append([]any{ErrParams}, args...)...))
	}
	if p.Trees < 1 {
		bad("Trees %d < 1", p.Trees)
	}
	if p.MaxDepth < 1 || p.MaxDepth > maxDepthLimit {
		bad("MaxDepth %d outside [1, %d]", p.MaxDepth, maxDepthLimit)
	}
	if p.MaxLeaves < 0 || p.MaxLeaves == 1 {
		bad("MaxLeaves %d: want 0 or at least 2", p.MaxLeaves)
	}
	if !(p.LearningRate > 0 && p.LearningRate <= 1) {
		bad("LearningRate %g outside (0, 1]", p.LearningRate)
	}
	if !(p.L2 >= 0) || math.IsInf(p.L2, 0) {
		bad("L2 %g: want finite and >= 0", p.L2)
	}
	if !(p.MinChildWeight >= 0) || math.IsInf(p.MinChildWeight, 0) {
		bad("MinChildWeight %g: want finite and >= 0", p.MinChildWeight)
	}
	if !(p.Subsample > 0 && p.Subsample <= 1) {
		bad("Subsample %g outside (0, 1]", p.Subsample)
	}
	if !(p.ColSample > 0 && p.ColSample <= 1) {
		bad("ColSample %g outside (0, 1]", p.ColSample)
	}
	if p.MaxBins < 2 || p.MaxBins > 255 {
		bad("MaxBins %d outside [2, 255]", p.MaxBins)
	}
	if p.EarlyStopping < 0 {
		bad("EarlyStopping %d < 0", p.EarlyStopping)
	}
	if !(p.PosWeight > 0) || math.IsInf(p.PosWeight, 0) {
		bad("PosWeight %g: want finite and > 0", p.PosWeight)
	}
	if p.Workers < 0 {
		bad("Workers %d < 0", p.Workers)
	}
	return errors.Join(errs...)
}

//go:build cgo

// Package golearnrf adapts golearn's random forest
// (github.com/sjwhitworth/golearn/ensemble.NewRandomForest) to plain
// row-major matrices and turns its votes into probabilities: the share of
// trees voting for class 1.
//
// # Defects, and what the adapter does about them
//
//   - Unseeded randomness: bootstrap samples and per-tree feature subsets
//     come from math/rand's global source, which Go (1.20+) seeds randomly
//     and, since Go 1.24, rand.Seed no longer reseeds. Trees are also fitted
//     in concurrent goroutines that race for that source. So two fits on the
//     same data give different forests, and nothing here can make them
//     reproducible. What is reproducible: given one fitted forest, Predict
//     is deterministic (votes are counted per tree, in tree order).
//   - Classes only: the forest's own Predict returns majority classes; the
//     adapter asks each tree and counts votes instead.
//   - No missing values: NaN and ±Inf are replaced by the training mean of
//     the column (0 for a column with no finite value).
//   - Panics: golearn panics on some inputs (an attribute it cannot
//     resolve); the adapter recovers and returns ErrGolearn.
//   - Shallow trees: ID3 makes a leaf wherever one attribute is left in its
//     view and never splits twice on an attribute, so a tree given k
//     features is at most k-1 splits deep, and a forest given one feature
//     per tree is all leaves. The adapter gives each tree at least two.
//   - Inverted leaves: on float attributes, ID3 labels a split's children
//     at fit time in an order that its Predict does not always follow
//     (observed: "f1 <= 0.6" sending the low side to the leaf of the high
//     side's class, varying from fit to fit), so trees are sometimes
//     anti-correlated with the label even on separable data. This is the
//     main reason for the forest's near-random ROC AUC; the adapter cannot
//     fix it without rewriting golearn's tree.
//   - Speed: ID3 trees on float attributes sort at every node, so a fit
//     is slow and its ROC AUC on churn-like data near random. Keep it a
//     baseline.
//   - No serialisation that round-trips through our model file; a fitted
//     forest lives only in memory.
package golearnrf

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/sjwhitworth/golearn/base"
	"github.com/sjwhitworth/golearn/ensemble"
)

// ErrGolearn reports an error or a recovered panic inside golearn.
var ErrGolearn = errors.New("golearn")

// Forest is a fitted golearn random forest.
type Forest struct {
	rf    *ensemble.RandomForest
	attrs []base.Attribute
	class *base.CategoricalAttribute
	means []float64
}

// Fit grows trees ID3 trees on rows x cols values (row-major) with labels
// y in {0, 1}, each tree on a bootstrap sample and sqrt(cols) random
// features.
func Fit(x []float64, rows, cols int, y []float64, trees int) (f *Forest, err error) {
	if len(x) != rows*cols || len(y) != rows || cols == 0 {
		return nil, fmt.Errorf("%d values, %d labels for %d x %d: %w", len(x), len(y), rows, cols, ErrGolearn)
	}
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("fit panicked: %v: %w", r, ErrGolearn)
		}
	}()
	f = &Forest{means: make([]float64, cols)}
	for j := 0; j < cols; j++ {
		var s float64
		var n int
		for i := 0; i < rows; i++ {
			if v := x[i*cols+j]; !math.IsNaN(v) && !math.IsInf(v, 0) {
				s += v
				n++
			}
		}
		if n > 0 {
			f.means[j] = s / float64(n)
		}
		f.attrs = append(f.attrs, base.NewFloatAttribute("f"+strconv.Itoa(j)))
	}
	f.class = base.NewCategoricalAttribute()
	f.class.SetName("label")
	f.class.GetSysValFromString("0")
	f.class.GetSysValFromString("1")
	grid := f.grid(x, rows, cols, y)
	// ID3 turns a node into a leaf when only one attribute is left in its
	// view, and drops each attribute it splits on, so a tree given k
	// features is at most k-1 splits deep: ask for at least two.
	feats := min(cols, max(2, int(math.Sqrt(float64(cols)))))
	f.rf = ensemble.NewRandomForest(max(1, trees), feats)
	if err := f.rf.Fit(grid); err != nil {
		return nil, fmt.Errorf("fit: %v: %w", err, ErrGolearn)
	}
	return f, nil
}

// grid builds golearn's DenseInstances; y nil writes class 0.
func (f *Forest) grid(x []float64, rows, cols int, y []float64) *base.DenseInstances {
	inst := base.NewDenseInstances()
	specs := make([]base.AttributeSpec, cols)
	for j, a := range f.attrs {
		specs[j] = inst.AddAttribute(a)
	}
	cs := inst.AddAttribute(f.class)
	if err := inst.AddClassAttribute(f.class); err != nil {
		panic(err) // recovered by the caller: only fails for an unknown attribute
	}
	if err := inst.Extend(rows); err != nil {
		panic(err)
	}
	for i := 0; i < rows; i++ {
		for j := 0; j < cols; j++ {
			v := x[i*cols+j]
			if math.IsNaN(v) || math.IsInf(v, 0) {
				v = f.means[j]
			}
			inst.Set(specs[j], i, base.PackFloatToBytes(v))
		}
		label := "0"
		if y != nil && y[i] == 1 {
			label = "1"
		}
		inst.Set(cs, i, f.class.GetSysValFromString(label))
	}
	return inst
}

// Predict writes the share of trees voting class 1 for each row of x into
// dst.
func (f *Forest) Predict(dst, x []float64, rows int) (err error) {
	cols := len(f.attrs)
	if len(x) != rows*cols || len(dst) < rows {
		return fmt.Errorf("%d values for %d x %d: %w", len(x), rows, cols, ErrGolearn)
	}
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("predict panicked: %v: %w", r, ErrGolearn)
		}
	}()
	grid := f.grid(x, rows, cols, nil)
	clear(dst[:rows])
	trees := f.rf.Model.Models
	for _, tree := range trees {
		pred, err := tree.Predict(grid)
		if err != nil {
			return fmt.Errorf("predict: %v: %w", err, ErrGolearn)
		}
		for i := 0; i < rows; i++ {
			if base.GetClass(pred, i) == "1" {
				dst[i]++
			}
		}
	}
	for i := 0; i < rows; i++ {
		dst[i] /= float64(len(trees))
	}
	return nil
}

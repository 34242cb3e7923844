package gbt

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// walkMargin is the reference prediction: every row walked node by node
// through every tree by Model.addTrees, as before the packed layout.
func walkMargin(m *Model, X []float64) []float64 {
	rows := len(X) / m.cols
	out := make([]float64, rows)
	for i := range out {
		out[i] = m.base
		m.addTrees(out[i:i+1], X[i*m.cols:(i+1)*m.cols], 0, len(m.roots))
	}
	return out
}

// oddRows draws rows of cols values with missing, infinite, signed zero
// and tied values mixed in, where ties are values equal to thresholds.
func oddRows(m *Model, rows int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 5))
	X := make([]float64, rows*m.cols)
	for i := range X {
		switch r := rng.Float64(); {
		case r < 0.05:
			X[i] = math.NaN()
		case r < 0.08:
			X[i] = math.Inf(1)
		case r < 0.11:
			X[i] = math.Inf(-1)
		case r < 0.13:
			X[i] = math.Copysign(0, -1)
		case r < 0.4 && len(m.nodes) > 0:
			X[i] = m.nodes[rng.IntN(len(m.nodes))].thr
		default:
			X[i] = rng.NormFloat64() * 3
		}
	}
	return X
}

// TestPackedMatchesWalk checks that prediction through the packed trees is
// bit-identical to the node walk, on models of many shapes and rows with
// NaN, ±Inf, -0 and values equal to thresholds, for any row count.
func TestPackedMatchesWalk(t *testing.T) {
	for _, tt := range []struct {
		depth, leaves, cols, trees int
	}{
		{1, 0, 10, 5},
		{3, 0, 12, 20},
		{6, 0, 30, 40},
		{6, 9, 30, 40},
		{8, 20, 15, 10},
		{10, 0, 10, 3},
		{12, 0, 10, 3}, // too deep to pack: the walk itself
	} {
		t.Run(fmt.Sprintf("depth=%d/leaves=%d", tt.depth, tt.leaves), func(t *testing.T) {
			p := DefaultParams()
			p.Trees, p.MaxDepth, p.MaxLeaves, p.EarlyStopping = tt.trees, tt.depth, tt.leaves, 0
			p.Seed = uint64(tt.depth)
			m, err := Fit(wide(3000, tt.cols, uint64(tt.depth)), nil, p)
			if err != nil {
				t.Fatal(err)
			}
			if (m.packed == nil) != (tt.depth > packedMaxDepth) {
				t.Fatalf("packed = %v for depth %d", m.packed != nil, tt.depth)
			}
			for _, rows := range []int{1, 3, 4, 31, 32, 33, 1001} {
				X := oddRows(m, rows, uint64(rows))
				want := walkMargin(m, X)
				got := make([]float64, rows)
				m.PredictMargin(got, X)
				for i := range got {
					if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
						t.Fatalf("rows=%d row %d: got %v, want %v", rows, i, got[i], want[i])
					}
				}
			}
		})
	}
}

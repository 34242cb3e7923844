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
// and tied values mixed in, where ties are values equal to thresholds,
// and with the floats just above and below thresholds.
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
		case r < 0.5 && len(m.nodes) > 0: // a neighbour of a threshold
			thr := m.nodes[rng.IntN(len(m.nodes))].thr
			X[i] = math.Nextafter(thr, math.Inf(2*rng.IntN(2)-1))
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
			sameAsWalk(t, m, 1, 3, 4, 31, 32, 33, 1001)
		})
	}
}

// randomModel builds a model of random trees directly, as Fit lays them
// out (each tree's nodes after its root, children as adjacent pairs), so
// that prediction can be tested on shapes training rarely makes: trees
// that are a single leaf, leaves at every depth, thresholds of ±Inf and
// -0, either missing direction, and splits on many more columns than a
// block of keys usually holds. A split at depth d becomes a leaf with
// probability leafP, or always at depth maxDepth.
func randomModel(t *testing.T, rng *rand.Rand, cols, trees, maxDepth int, leafP float64) *Model {
	t.Helper()
	m := &Model{cols: cols, base: rng.NormFloat64(), importance: make([]float64, cols)}
	thr := func() float64 {
		switch r := rng.Float64(); {
		case r < 0.02:
			return math.Inf(1)
		case r < 0.04:
			return math.Inf(-1)
		case r < 0.06:
			return math.Copysign(0, -1)
		case r < 0.3:
			return float64(rng.IntN(5) - 2) // ties with rows' rounded values
		}
		return rng.NormFloat64() * 3
	}
	for range trees {
		root := int32(len(m.nodes))
		type item struct{ i, d int32 }
		m.nodes = append(m.nodes, split{})
		m.values = append(m.values, 0)
		m.covers = append(m.covers, 1)
		depth := 0
		for queue := []item{{root, 0}}; len(queue) > 0; queue = queue[1:] {
			it := queue[0]
			if int(it.d) == maxDepth || rng.Float64() < leafP {
				m.nodes[it.i] = split{thr: math.Inf(1), left: it.i}
				m.values[it.i] = rng.NormFloat64()
				depth = max(depth, int(it.d))
				continue
			}
			left := int32(len(m.nodes))
			m.nodes[it.i] = split{thr: thr(), feat: int32(rng.IntN(cols)), left: left, missRight: int32(rng.IntN(2))}
			m.nodes = append(m.nodes, split{}, split{})
			m.values = append(m.values, 0, 0)
			m.covers = append(m.covers, 1, 1)
			queue = append(queue, item{left, it.d + 1}, item{left + 1, it.d + 1})
		}
		m.roots = append(m.roots, root)
		m.depths = append(m.depths, uint8(depth))
	}
	if err := m.checkTrees(); err != nil {
		t.Fatal(err)
	}
	m.prepare()
	return m
}

// TestPackedRandomModels checks bit-identical predictions of the packed
// trees against the node walk on random models, for row counts around the
// walks' groups of eight, the blocks of keys and the tasks of 1,024 rows.
func TestPackedRandomModels(t *testing.T) {
	for _, tt := range []struct {
		name                  string
		cols, trees, maxDepth int
		leafP                 float64
		packed                bool
		rows                  int // rows in a block of keys, when packed
	}{
		{"single leaves", 5, 10, 0, 0, true, 32},
		{"stumps", 5, 20, 1, 0, true, 32},
		{"depth 6 full", 20, 30, 6, 0, true, 32},
		{"depth 6 sparse", 20, 30, 6, 0.3, true, 32},
		{"depth 5", 20, 30, 5, 0.1, true, 32},
		{"depth 7", 20, 20, 7, 0.1, true, 32},
		{"depth 10", 20, 5, 10, 0.2, true, 32},
		{"depth 11", 20, 5, 11, 0.1, false, 0},
		{"1,500 columns", 1500, 60, 6, 0, true, 16},
		{"3,000 columns", 3000, 200, 6, 0, true, 8},
		{"20,000 columns", 20000, 400, 6, 0, false, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(uint64(tt.cols), uint64(tt.maxDepth)))
			m := randomModel(t, rng, tt.cols, tt.trees, tt.maxDepth, tt.leafP)
			if (m.packed != nil) != tt.packed {
				t.Fatalf("packed = %v, want %v", m.packed != nil, tt.packed)
			}
			if m.packed != nil && m.packed.rows != tt.rows {
				t.Fatalf("block of %d rows, want %d", m.packed.rows, tt.rows)
			}
			sameAsWalk(t, m, 1, 7, 8, 9, 31, 33, 1100)
		})
	}
}

// sameAsWalk fails unless PredictMargin gives, bit for bit, the margins of
// the plain walk on batches of each of the given numbers of rows.
func sameAsWalk(t *testing.T, m *Model, batches ...int) {
	t.Helper()
	for _, rows := range batches {
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
}

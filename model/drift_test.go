package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
)

// sortedDistribution is NewDistribution by a full sort, the definition
// the selection of order statistics must reproduce.
func sortedDistribution(values []float64, bins int) Distribution {
	var present []float64
	for _, v := range values {
		if !math.IsNaN(v) {
			present = append(present, v)
		}
	}
	d := Distribution{}
	if len(values) > 0 {
		d.Missing = float64(len(values)-len(present)) / float64(len(values))
	}
	if len(present) == 0 {
		d.Props = []float64{0}
		return d
	}
	slices.Sort(present)
	for k := 1; k < bins; k++ {
		e := present[(k*len(present))/bins]
		if math.IsInf(e, 0) || (len(d.Edges) > 0 && e <= d.Edges[len(d.Edges)-1]) {
			continue
		}
		d.Edges = append(d.Edges, e)
	}
	if n := len(d.Edges); n > 0 && d.Edges[n-1] >= present[len(present)-1] {
		d.Edges = d.Edges[:n-1]
	}
	// The shares by binary search, the definition of the bin of a value.
	d.Props = make([]float64, len(d.Edges)+1)
	for _, v := range present {
		i, _ := slices.BinarySearch(d.Edges, v)
		d.Props[i]++
	}
	for i := range d.Props {
		d.Props[i] /= float64(len(present))
	}
	return d
}

// TestNewDistributionSelects: the edges placed by selection equal those of
// a full sort, on spread values, on columns of mostly one value, with
// infinities and missing values, on tiny and constant columns.
func TestNewDistributionSelects(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	gen := map[string]func(i int) float64{
		"normal":      func(int) float64 { return rng.NormFloat64() },
		"mostly zero": func(int) float64 { return float64(rng.IntN(10) / 9 * rng.IntN(50)) },
		"few values":  func(int) float64 { return float64(rng.IntN(3)) },
		"constant":    func(int) float64 { return 7 },
		"sorted":      func(i int) float64 { return float64(i) },
		"reversed":    func(i int) float64 { return float64(-i) },
		"inf and nan": func(int) float64 {
			switch rng.IntN(6) {
			case 0:
				return math.Inf(1)
			case 1:
				return math.Inf(-1)
			case 2:
				return math.NaN()
			}
			return rng.ExpFloat64()
		},
	}
	for name, g := range gen {
		for _, n := range []int{0, 1, 2, 9, 10, 11, 1000, 20_001} {
			for _, bins := range []int{2, 10, 25} {
				v := make([]float64, n)
				for i := range v {
					v[i] = g(i)
				}
				want := sortedDistribution(slices.Clone(v), bins)
				got := NewDistribution(v, bins)
				if !reflect.DeepEqual(got, want) {
					t.Errorf("%s, %d values, %d bins: got %+v, want %+v", name, n, bins, got, want)
				}
			}
		}
	}
}

// TestSelectRanks: every requested rank holds the sorted value.
func TestSelectRanks(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 1))
	for trial := 0; trial < 200; trial++ {
		n := 1 + rng.IntN(300)
		a := make([]float64, n)
		for i := range a {
			a[i] = float64(rng.IntN(1 + trial))
		}
		var ranks []int
		for r := 0; r < n; r++ {
			if rng.IntN(7) == 0 {
				ranks = append(ranks, r)
			}
		}
		sorted := slices.Sorted(slices.Values(a))
		selectRanks(a, ranks)
		for _, r := range ranks {
			if a[r] != sorted[r] {
				t.Fatalf("trial %d: a[%d] = %v, sorted %v", trial, r, a[r], sorted[r])
			}
		}
	}
}

// TestProfileMatchesColumns: Profile, which copies columns out in
// groups and bins them in place, gives every column the distribution
// NewDistribution gives it alone, over column counts that fill no group,
// one, and a part group, with missing, infinite, constant and all-missing
// columns; and NewDistribution leaves its input as it was.
func TestProfileMatchesColumns(t *testing.T) {
	rng := rand.New(rand.NewPCG(6, 1))
	for _, cols := range []int{1, 3, profileGroup, 2*profileGroup + 5} {
		for _, rows := range []int{0, 1, 7, 5000} {
			m := &Matrix{Rows: rows, X: make([]float64, rows*cols)}
			for j := range cols {
				m.Cols = append(m.Cols, fmt.Sprintf("c%d", j))
			}
			for i := range rows {
				for j := range cols {
					v := rng.NormFloat64() * float64(j+1)
					switch j % 5 {
					case 1:
						v = float64(rng.IntN(3))
					case 2:
						if rng.IntN(4) == 0 {
							v = math.NaN()
						} else if rng.IntN(50) == 0 {
							v = math.Inf(1 - 2*rng.IntN(2))
						}
					case 3:
						v = math.NaN()
					case 4:
						v = 2
					}
					m.X[i*cols+j] = v
				}
			}
			before := slices.Clone(m.X)
			got := Profile(m, 10)
			for j, name := range m.Cols {
				col := make([]float64, rows)
				for i := range col {
					col[i] = m.X[i*cols+j]
				}
				colBefore := slices.Clone(col)
				want := NewDistribution(col, 10)
				if !reflect.DeepEqual(got[name], want) {
					t.Errorf("%d x %d, column %d: Profile %+v, alone %+v", rows, cols, j, got[name], want)
				}
				if !reflect.DeepEqual(sortedDistribution(slices.Clone(col), 10), want) {
					t.Errorf("%d x %d, column %d: NewDistribution differs from the full sort", rows, cols, j)
				}
				if !slices.EqualFunc(col, colBefore, func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }) {
					t.Fatalf("%d x %d, column %d: NewDistribution changed its input", rows, cols, j)
				}
			}
			if !slices.EqualFunc(m.X, before, func(a, b float64) bool { return math.Float64bits(a) == math.Float64bits(b) }) {
				t.Fatalf("%d x %d: Profile changed the matrix", rows, cols)
			}
		}
	}
}

package gbt

import (
	"fmt"
	"math"
	"slices"
	"sync"
	"testing"
)

// shapTol bounds the difference between the fast path and the recursive
// TreeSHAP: both are exact, and differ by rounding only.
const shapTol = 1e-9

// TestFastShapMatchesTreeShap compares Contributions with the recursive
// TreeSHAP on models of many shapes, with rows holding NaN, ±Inf and
// values equal to thresholds, and checks that they sum to the margin.
func TestFastShapMatchesTreeShap(t *testing.T) {
	for _, tt := range []struct {
		depth, leaves, cols, trees int
		mixed                      bool // every other tree recursive
	}{
		{1, 0, 5, 10, false},
		{3, 0, 4, 30, false},
		{6, 0, 30, 30, false},
		{6, 0, 30, 30, true},
		{6, 12, 30, 30, false},
		{8, 0, 12, 8, false},
		{10, 0, 12, 4, false},
	} {
		t.Run(fmt.Sprintf("depth=%d/leaves=%d/cols=%d/mixed=%v", tt.depth, tt.leaves, tt.cols, tt.mixed), func(t *testing.T) {
			p := DefaultParams()
			p.Trees, p.MaxDepth, p.MaxLeaves, p.EarlyStopping = tt.trees, tt.depth, tt.leaves, 0
			p.Seed = uint64(tt.depth + tt.cols)
			m, err := Fit(wide(3000, max(tt.cols, 10), uint64(tt.depth)), nil, p)
			if err != nil {
				t.Fatal(err)
			}
			st := m.shapTables()
			for tr := range st.fast {
				if tt.mixed && tr%2 == 1 {
					st.fast[tr] = false
				}
			}
			X := oddRows(m, 300, uint64(tt.depth))
			got := make([]float64, m.cols+1)
			want := make([]float64, m.cols+1)
			margin := walkMargin(m, X)
			all := make([]float64, 300*(m.cols+1))
			m.ContributionsRows(all, X)
			for i := 0; i < 300; i++ {
				x := X[i*m.cols : (i+1)*m.cols]
				m.Contributions(got, x)
				if row := all[i*(m.cols+1) : (i+1)*(m.cols+1)]; !slices.Equal(row, got) {
					t.Fatalf("row %d: ContributionsRows %v, Contributions %v", i, row, got)
				}
				m.treeShapAll(want, x)
				var sum float64
				for j := range got {
					if math.Abs(got[j]-want[j]) > shapTol {
						t.Fatalf("row %d column %d: got %v, want %v", i, j, got[j], want[j])
					}
					sum += got[j]
				}
				if math.Abs(sum-margin[i]) > shapTol {
					t.Fatalf("row %d: contributions sum to %v, margin %v", i, sum, margin[i])
				}
			}
		})
	}
}

// TestContributionsConcurrent explains rows from several goroutines at
// once on a fresh model, whose tables the first callers build together;
// run with -race.
func TestContributionsConcurrent(t *testing.T) {
	m, d := shapModel(t, 10)
	want := make([]float64, d.Rows*(d.Cols+1))
	for i := 0; i < d.Rows; i++ {
		m.treeShapAll(want[i*(d.Cols+1):(i+1)*(d.Cols+1)], d.X[i*d.Cols:(i+1)*d.Cols])
	}
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for g := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			got := make([]float64, len(want))
			m.ContributionsRows(got, d.X)
			for j := range got {
				if math.Abs(got[j]-want[j]) > shapTol {
					errs[g] = fmt.Errorf("goroutine %d, value %d: got %v, want %v", g, j, got[j], want[j])
					return
				}
			}
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
}

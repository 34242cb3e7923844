package gbt

import (
	"fmt"
	"math"
	"math/rand/v2"
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

// rowShap is the fast path one row at a time, as it was before rows were
// explained a block at a time: the reference that ContributionsRows must
// equal bit for bit (the same terms, added in the same order per value).
func rowShap(m *Model, dst, X []float64) {
	st := m.shapTables()
	w := m.cols + 1
	pat := make([]uint32, st.maxNodes)
	k := make([]uint64, m.cols)
	path := m.pathBuffer()
	for r := range len(X) / m.cols {
		phi, x := dst[r*w:(r+1)*w], X[r*m.cols:(r+1)*m.cols]
		clear(phi)
		keys(k, x)
		for t, root := range m.roots {
			if !st.fast[t] {
				m.treeShap(phi, x, root, path, 0, 1, 1, -1)
				continue
			}
			pat[0] = ^uint32(0)
			for _, nd := range st.inner[t] {
				p := pat[nd.self]
				right := int32(b2u(k[nd.feat]-uint64(nd.miss) > nd.key))
				pat[nd.left+right] = p
				pat[nd.left+1-right] = p &^ (1 << nd.slot)
			}
			for _, lf := range st.leaves[t] {
				d := int(lf.d)
				h := pat[lf.node] & (1<<d - 1)
				tab := st.table[lf.table : int(lf.table)+1<<d]
				for j := range st.slots[lf.slots : int(lf.slots)+d] {
					sl := &st.slots[int(lf.slots)+j]
					phi[sl.feat] += float64(sl.coef[(h>>j)&1] * tab[h&^(1<<j)])
				}
			}
		}
		phi[m.cols] = st.bias
	}
}

// TestContributionsRowsMatchRowShap holds the block-at-a-time fast path
// to the row-at-a-time one bit for bit: models of many shapes (depths,
// leaf limits, trees off the fast path mixed in), rows with NaN, ±Inf,
// -0 and values at thresholds, and row counts that fill no block, one
// block, and several blocks with a partial last one.
func TestContributionsRowsMatchRowShap(t *testing.T) {
	for _, tt := range []struct {
		depth, leaves, cols, trees int
		mixed                      bool
	}{
		{1, 0, 5, 10, false},
		{3, 0, 4, 30, false},
		{6, 0, 30, 40, false},
		{6, 0, 30, 40, true},
		{6, 12, 30, 30, false},
		{8, 0, 12, 8, true},
		{10, 0, 12, 4, false},
	} {
		t.Run(fmt.Sprintf("depth=%d/leaves=%d/cols=%d/mixed=%v", tt.depth, tt.leaves, tt.cols, tt.mixed), func(t *testing.T) {
			p := DefaultParams()
			p.Trees, p.MaxDepth, p.MaxLeaves, p.EarlyStopping = tt.trees, tt.depth, tt.leaves, 0
			p.Seed = uint64(3*tt.depth + tt.cols)
			m, err := Fit(wide(2000, max(tt.cols, 10), uint64(tt.depth+7)), nil, p)
			if err != nil {
				t.Fatal(err)
			}
			st := m.shapTables()
			for tr := range st.fast {
				if tt.mixed && tr%3 == 1 {
					st.fast[tr] = false
				}
			}
			w := m.cols + 1
			for _, rows := range []int{1, 7, shapBlockRows, 3*shapBlockRows + 5} {
				X := oddRows(m, rows, uint64(rows))
				want := make([]float64, rows*w)
				rowShap(m, want, X)
				got := make([]float64, rows*w)
				for i := range got {
					got[i] = math.NaN() // every value must be written
				}
				m.ContributionsRows(got, X)
				for i := range got {
					if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
						t.Fatalf("%d rows: row %d column %d: block path %v, row path %v", rows, i/w, i%w, got[i], want[i])
					}
				}
			}
		})
	}
}

// TestShapKernelsMatchGo holds the per-block passes that fastshap_amd64.s
// runs, eight rows at a time, to their Go loops bit for bit: every slot
// count up to the kernel's 6 and past it, row counts that fill no group of
// eight, one, and many with a partial last one, patterns with bits set
// past the leaf's slots, tables with -0, NaN, ±Inf and subnormals, and
// keys at, around and far from the split key, with and without the
// missing-value shift. Where the CPU has no kernel both sides are the Go
// loops.
func TestShapKernelsMatchGo(t *testing.T) {
	t.Logf("AVX-512 kernels: %v", shapAVX512)
	rng := rand.New(rand.NewPCG(5, 9))
	special := []float64{0, math.Copysign(0, -1), math.NaN(), math.Inf(1), math.Inf(-1), 5e-324, -1e-310, 1e300}
	for _, n := range []int{1, 3, 7, 8, 9, 64, 255, 256} {
		for d := 1; d <= 8; d++ {
			const cols = 11
			tab := make([]float64, 1<<d+shapTablePad)
			for i := range tab {
				tab[i] = rng.NormFloat64()
				if rng.IntN(10) == 0 {
					tab[i] = special[rng.IntN(len(special))]
				}
			}
			slots := make([]shapSlot, d)
			for j, f := range rng.Perm(cols)[:d] {
				z := rng.Float64()
				slots[j] = shapSlot{feat: int32(f), coef: [2]float64{-1, (1 - z) / z}}
			}
			hs := make([]uint32, n)
			for r := range hs {
				hs[r] = rng.Uint32()
			}
			want := make([]float64, cols*n)
			for i := range want {
				want[i] = rng.NormFloat64()
			}
			got := slices.Clone(want)
			addLeafGo(want, hs, tab, slots)
			addLeaf(got, hs, tab, slots)
			for i := range got {
				if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
					t.Fatalf("addLeaf: %d rows, %d slots: column %d row %d: %v, Go loop %v", n, d, i/n, i%n, got[i], want[i])
				}
			}
		}
		for trial := range 20 {
			key := rng.Uint64()
			switch trial % 4 {
			case 0:
				key = 0
			case 1:
				key = math.MaxUint64
			}
			miss := uint64(trial % 2)
			k := make([]uint64, n)
			for r := range k {
				switch rng.IntN(4) {
				case 0:
					k[r] = key + uint64(rng.IntN(3)) - 1
				case 1:
					k[r] = key + miss
				default:
					k[r] = rng.Uint64()
				}
			}
			p := make([]uint32, n)
			for r := range p {
				p[r] = rng.Uint32()
			}
			bit := uint32(1) << rng.IntN(32)
			wl, wr := make([]uint32, n), make([]uint32, n)
			gl, gr := make([]uint32, n), make([]uint32, n)
			splitPatternsGo(wl, wr, p, k, bit, miss, key)
			splitPatterns(gl, gr, p, k, bit, miss, key)
			if !slices.Equal(gl, wl) || !slices.Equal(gr, wr) {
				t.Fatalf("splitPatterns: %d rows, trial %d: left %v right %v, Go loop %v %v", n, trial, gl, gr, wl, wr)
			}
		}
	}
}

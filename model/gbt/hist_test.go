package gbt

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

// TestAddHist: the histogram kernels of this platform, eight, four or one
// column at a time, on column-major codes and on the same codes row-major
// (addHistRows), give the same sums, bit for bit, as the one-column Go
// loop, on codes that spread over every bin, that repeat one bin (the
// additions then chain) and over scattered rows.
func TestAddHist(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 11))
	const rows = 5000
	for _, tc := range []struct {
		name string
		code func() uint8
		frac float64
	}{
		{"spread", func() uint8 { return uint8(rng.IntN(histWidth)) }, 1},
		{"one bin mostly", func() uint8 {
			if rng.Float64() < 0.9 {
				return 3
			}
			return uint8(rng.IntN(histWidth))
		}, 1},
		{"scattered rows", func() uint8 { return uint8(rng.IntN(17)) }, 0.07},
	} {
		t.Run(tc.name, func(t *testing.T) {
			const ncols = 13
			cols := make([][]uint8, ncols)
			for q := range cols {
				cols[q] = make([]uint8, rows)
				for r := range cols[q] {
					cols[q][r] = tc.code()
				}
			}
			var idx []int32
			for r := 0; r < rows; r++ {
				if rng.Float64() < tc.frac {
					idx = append(idx, int32(r))
				}
			}
			g := make([]gpair, len(idx))
			for i := range g {
				g[i] = gpair{rng.NormFloat64() * 1e3, rng.Float64() / 7}
			}
			// The same codes row-major, rows stride apart, a column's code
			// at offset off[q] of its row.
			const stride = ncols + 3
			rc := make([]uint8, rows*stride)
			off := rng.Perm(stride)[:ncols]
			for q := range cols {
				for r, c := range cols[q] {
					rc[r*stride+off[q]] = c
				}
			}
			want := make([]*[histWidth]gpair, ncols)
			for q := range want {
				want[q] = new([histWidth]gpair)
				addHistGo(want[q], cols[q], idx, g)
			}
			// Every split of the columns into kernels: 8 + 4 + 1, 4 + 4 + 3, ...
			for n := 1; n <= ncols; n++ {
				got := make([]gpair, (n-1)*histStride+histWidth)
				// The padding between histograms must stay untouched.
				for i := range got {
					got[i] = gpair{-7, -7}
				}
				for q := range n {
					clear(colHist(got, q)[:])
				}
				gotRows := slices.Clone(got)
				addHist(got, cols[:n], idx, g)
				addHistRows(gotRows, rc, stride, off[:n], idx, g)
				for kernel, got := range map[string][]gpair{"column-major": got, "row-major": gotRows} {
					for q := range n {
						if *colHist(got, q) != *want[q] {
							t.Fatalf("%s, %d columns: column %d differs from the one-column loop", kernel, n, q)
						}
						for i := q*histStride + histWidth; i < min((q+1)*histStride, len(got)); i++ {
							if got[i] != (gpair{-7, -7}) {
								t.Fatalf("%s, %d columns: padding after column %d written", kernel, n, q)
							}
						}
					}
				}
			}
		})
	}
}

// TestAddHistBounds: a row past the codes, a negative row, a gradient
// buffer shorter than the rows or a histogram block short of its last
// column panics before any bin changes, as Go's bounds checks do, in the
// eight- and the four-column kernel.
func TestAddHistBounds(t *testing.T) {
	for _, n := range []int{8, 4} {
		h := make([]gpair, (n-1)*histStride+histWidth)
		cols := make([][]uint8, n)
		for q := range cols {
			cols[q] = make([]uint8, 4)
		}
		for _, tc := range []struct {
			name string
			idx  []int32
			g    []gpair
		}{
			{"row past the codes", []int32{0, 4}, make([]gpair, 2)},
			{"negative row", []int32{-1, 2}, make([]gpair, 2)},
			{"short gradients", []int32{0, 1, 2}, make([]gpair, 2)},
			{"short histograms", []int32{0, 1}, make([]gpair, 2)},
		} {
			t.Run(fmt.Sprintf("%d columns/%s", n, tc.name), func(t *testing.T) {
				defer func() {
					if recover() == nil {
						t.Fatal("no panic")
					}
				}()
				hh := h
				if tc.name == "short histograms" {
					hh = h[:len(h)-1]
				}
				addHist(hh, cols, tc.idx, tc.g)
			})
		}
	}
}

// TestAddHistRowsBounds: addHistRows panics before any bin changes on
// what TestAddHistBounds breaches, and on a column offset outside the
// row, in the eight- and the four-column kernel.
func TestAddHistRowsBounds(t *testing.T) {
	const stride = 10
	for _, n := range []int{8, 4} {
		h := make([]gpair, (n-1)*histStride+histWidth)
		rc := make([]uint8, 4*stride)
		for _, tc := range []struct {
			name string
			idx  []int32
			g    []gpair
			off  int // the last column's offset
		}{
			{"row past the codes", []int32{0, 4}, make([]gpair, 2), n - 1},
			{"negative row", []int32{-1, 2}, make([]gpair, 2), n - 1},
			{"short gradients", []int32{0, 1, 2}, make([]gpair, 2), n - 1},
			{"short histograms", []int32{0, 1}, make([]gpair, 2), n - 1},
			{"offset past the row", []int32{0, 1}, make([]gpair, 2), stride},
			{"negative offset", []int32{1, 2}, make([]gpair, 2), -1},
		} {
			t.Run(fmt.Sprintf("%d columns/%s", n, tc.name), func(t *testing.T) {
				hh := slices.Clone(h)
				defer func() {
					if recover() == nil {
						t.Fatal("no panic")
					}
					for i, v := range hh {
						if v != (gpair{}) {
							t.Fatalf("bin %d changed before the panic", i)
						}
					}
				}()
				if tc.name == "short histograms" {
					hh = hh[:len(hh)-1]
				}
				fs := make([]int, n)
				for q := range fs {
					fs[q] = q
				}
				fs[n-1] = tc.off
				addHistRows(hh, rc, stride, fs, tc.idx, tc.g)
			})
		}
	}
}

// TestStablePartition: the branch-free partition puts the same rows on
// each side, in the same order, as a loop that branches on the side, over
// random codes, sides and row subsets, including none and one row.
func TestStablePartition(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 9))
	for c := 0; c < 300; c++ {
		rows := rng.IntN(600)
		col := make([]uint8, rows+1)
		for i := range col {
			col[i] = uint8(rng.IntN(1 + rng.IntN(histWidth)))
		}
		var left [histWidth]uint8
		share := rng.Float64()
		for b := range left {
			if rng.Float64() < share {
				left[b] = 1
			}
		}
		var idx []int32
		for r := range rows {
			if rng.IntN(3) > 0 {
				idx = append(idx, int32(r))
			}
		}
		var wantL, wantR []int32
		for _, r := range idx {
			if left[col[r]] == 1 {
				wantL = append(wantL, r)
			} else {
				wantR = append(wantR, r)
			}
		}
		got := append([]int32(nil), idx...)
		nl := stablePartition(got, make([]int32, len(got)), col, &left)
		if nl != len(wantL) || !slices.Equal(got[:nl], wantL) || !slices.Equal(got[nl:], wantR) {
			t.Fatalf("case %d: %d rows went left, want %d, or the order differs", c, nl, len(wantL))
		}
	}
}

// TestHistStrideBytes: hist_amd64.s places column q's histogram at
// q*4160 bytes, which is histStride pairs of 16 bytes.
func TestHistStrideBytes(t *testing.T) {
	if got := histStride * int(unsafe.Sizeof(gpair{})); got != 4160 {
		t.Fatalf("histStride is %d bytes; hist_amd64.s assumes 4160", got)
	}
}

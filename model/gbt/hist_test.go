package gbt

import (
	"math/rand/v2"
	"testing"
)

// TestAddHist4: the histogram kernel of this platform gives the same sums,
// bit for bit, as the Go loop, on codes that spread over every bin, that
// repeat one bin (the additions then chain) and over scattered rows.
func TestAddHist4(t *testing.T) {
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
			var cols [histGroup][]uint8
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
			var want, got [histGroup]*[histWidth]gpair
			for q := range want {
				want[q], got[q] = new([histWidth]gpair), new([histWidth]gpair)
			}
			addHist4Go(&want, &cols, idx, g)
			addHist4(&got, &cols, idx, g)
			for q := range want {
				for b := range want[q] {
					if got[q][b] != want[q][b] {
						t.Fatalf("column %d bin %d: got %v, want %v", q, b, got[q][b], want[q][b])
					}
				}
			}
		})
	}
}

// TestAddHist4Bounds: a row past the codes or a gradient buffer shorter
// than the rows panics before any bin changes, as Go's bounds checks do.
func TestAddHist4Bounds(t *testing.T) {
	var hs [histGroup]*[histWidth]gpair
	var cols [histGroup][]uint8
	for q := range hs {
		hs[q] = new([histWidth]gpair)
		cols[q] = make([]uint8, 4)
	}
	for _, tc := range []struct {
		name string
		idx  []int32
		g    []gpair
	}{
		{"row past the codes", []int32{0, 4}, make([]gpair, 2)},
		{"short gradients", []int32{0, 1, 2}, make([]gpair, 2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			defer func() {
				if recover() == nil {
					t.Fatal("no panic")
				}
			}()
			addHist4(&hs, &cols, tc.idx, tc.g)
		})
	}
}

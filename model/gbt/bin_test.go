package gbt

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// TestBinEdges32MatchesBinEdges: the float32 path places the same edges as
// the float64 one on the same values, for columns of few and of many
// distinct values, with duplicates, negative values and both zeros.
func TestBinEdges32MatchesBinEdges(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	draws := map[string]func() float64{
		"normal":   func() float64 { return rng.NormFloat64() * 1e3 },
		"counts":   func() float64 { return float64(rng.IntN(40)) },
		"zeros":    func() float64 { return []float64{0, math.Copysign(0, -1), 1, -1}[rng.IntN(4)] },
		"heavy":    func() float64 { return math.Exp(rng.NormFloat64()*8) - 1 },
		"subnorm":  func() float64 { return float64(rng.IntN(5)) * 1e-45 },
		"fraction": func() float64 { return math.Round(rng.Float64()*1e4) / 1e4 },
	}
	for name, draw := range draws {
		for _, n := range []int{1, 7, 300, 20_000} {
			v64 := make([]float64, n)
			v32 := make([]float32, n)
			for i := range v64 {
				v64[i] = draw()
				v32[i] = float32(v64[i])
			}
			for _, maxBins := range []int{2, 16, 255} {
				want := binEdges(slices.Clone(v64), maxBins)
				got := binEdges32(slices.Clone(v32), maxBins)
				if !slices.Equal(got, want) {
					t.Fatalf("%s, %d values, %d bins: edges %v, want %v", name, n, maxBins, got, want)
				}
			}
		}
	}
}

// TestRadixSort32 sorts like a comparison sort.
func TestRadixSort32(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	v := make([]float32, 5000)
	for i := range v {
		v[i] = float32(rng.NormFloat64() * math.Pow(10, float64(rng.IntN(60)-30)))
	}
	v = append(v, 0, float32(math.Copysign(0, -1)), math.MaxFloat32, -math.MaxFloat32, math.SmallestNonzeroFloat32)
	want := slices.Clone(v)
	slices.Sort(want)
	radixSort32(v)
	if !slices.Equal(v, want) {
		t.Fatal("radix order differs from slices.Sort")
	}
}

// TestBinBeyondFloat32: a column whose finite values overflow float32 is
// binned from its float64 values and still splits them apart.
func TestBinBeyondFloat32(t *testing.T) {
	d := Data{Rows: 400, Cols: 2, X: make([]float64, 800), Y: make([]float64, 400)}
	for i := range 400 {
		big := 1e300 * float64(i%4+1)
		d.X[2*i], d.X[2*i+1] = big, float64(i%3)
		if i%4 >= 2 {
			d.Y[i] = 1
		}
	}
	b := binMatrix(d, 255, 2)
	if b.nbins[0] != 4 {
		t.Fatalf("column of 4 values beyond float32: %d bins, want 4", b.nbins[0])
	}
	want := binEdges([]float64{1e300, 2e300, 3e300, 4e300}, 255)
	if !slices.Equal(b.cuts[0], want) {
		t.Fatalf("edges %v, want %v", b.cuts[0], want)
	}
	if b.nbins[1] != 3 {
		t.Fatalf("column of 3 values: %d bins, want 3", b.nbins[1])
	}
}

// TestSearchKeys finds the first edge at or above every value, against a
// linear scan of the float64 edges, for every number of edges up to 20,
// with negative edges, -0 and +0 on either side, and values beyond the
// edges.
func TestSearchKeys(t *testing.T) {
	for n := range 21 {
		cuts := make([]float64, n)
		for i := range cuts {
			cuts[i] = float64(2*i) - 11.25
		}
		keys := make([]uint64, n)
		for i, c := range cuts {
			keys[i] = thresholdKey(c)
		}
		vals := []float64{math.Copysign(0, -1), 0, -math.MaxFloat64, math.MaxFloat64, math.SmallestNonzeroFloat64}
		for v := -13.5; v <= float64(2*n)+1; v += 0.25 {
			vals = append(vals, v)
		}
		for _, v := range vals {
			want := n
			for i, c := range cuts {
				if v <= c {
					want = i
					break
				}
			}
			if got := searchKeys(keys, orderKey(v)); got != want {
				t.Fatalf("%d edges, value %g: %d, want %d", n, v, got, want)
			}
		}
	}
	// An edge at zero takes -0 and +0 alike.
	for _, edge := range []float64{math.Copysign(0, -1), 0} {
		keys := []uint64{thresholdKey(edge)}
		for _, v := range []float64{math.Copysign(0, -1), 0} {
			if got := searchKeys(keys, orderKey(v)); got != 0 {
				t.Errorf("edge %g, value %g: bin %d, want 0", edge, v, got)
			}
		}
	}
}

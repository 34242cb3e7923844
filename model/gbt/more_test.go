package gbt

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

func TestPosWeightEqualsRowWeights(t *testing.T) {
	d := synthetic(2000, 41)
	p := DefaultParams()
	p.Trees, p.PosWeight = 20, 3
	a, err := Fit(d, nil, p)
	if err != nil {
		t.Fatal(err)
	}
	w := make([]float64, d.Rows)
	var pos, neg float64
	for i, y := range d.Y {
		w[i] = 1 + 2*y
		pos += y
		neg += 1 - y
	}
	d.W = w
	p.PosWeight = 1
	b, err := Fit(d, nil, p)
	if err != nil {
		t.Fatal(err)
	}
	ea, _ := a.MarshalBinary()
	eb, _ := b.MarshalBinary()
	if !slices.Equal(ea, eb) {
		t.Errorf("PosWeight 3 and weight 3 on positives give different models")
	}
	if want := math.Log(3 * pos / neg); math.Abs(a.base-want) > tol {
		t.Errorf("base margin %v, want log(3 x %v / %v) = %v", a.base, pos, neg, want)
	}
}

func TestMaxLeaves(t *testing.T) {
	d := synthetic(3000, 42)
	tests := []struct {
		name      string
		maxLeaves int
		maxDepth  int
	}{
		{"bounded by leaves", 5, 6},
		{"bounded by depth", 100, 3},
		{"stumps", 2, 6},
	}
	for _, tt := range tests {
		p := exactParams()
		p.Trees, p.MaxLeaves, p.MaxDepth = 10, tt.maxLeaves, tt.maxDepth
		m, err := Fit(d, nil, p)
		if err != nil {
			t.Fatal(err)
		}
		for tr, root := range m.roots {
			end := int32(len(m.nodes))
			if tr+1 < len(m.roots) {
				end = m.roots[tr+1]
			}
			leaves := 0
			for i := root; i < end; i++ {
				if m.leaf(i) {
					leaves++
				}
			}
			if leaves > tt.maxLeaves || int(m.depths[tr]) > tt.maxDepth {
				t.Errorf("%s: tree %d has %d leaves, depth %d; want at most %d, %d",
					tt.name, tr, leaves, m.depths[tr], tt.maxLeaves, tt.maxDepth)
			}
			if leaves < 2 {
				t.Errorf("%s: tree %d has %d leaves, want a split on this signal", tt.name, tr, leaves)
			}
		}
	}
}

func FuzzUnmarshalBinary(f *testing.F) {
	d := synthetic(500, 43)
	p := DefaultParams()
	p.Trees, p.MaxDepth = 3, 3
	m, err := Fit(d, nil, p)
	if err != nil {
		f.Fatal(err)
	}
	b, err := m.MarshalBinary()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("CGBT"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var m Model
		if err := m.UnmarshalBinary(b); err != nil {
			return
		}
		x := make([]float64, 2*m.Cols())
		x[1] = math.NaN()
		dst := make([]float64, 2)
		m.Predict(dst, x)
		phi := make([]float64, m.Cols()+1)
		m.Contributions(phi, x[:m.Cols()])
		for _, v := range dst {
			if math.IsNaN(v) {
				t.Fatalf("NaN probability from a decoded model")
			}
		}
	})
}

func ExampleFit() {
	// x <= 2.5 is negative, above it positive.
	d := Data{
		X:    []float64{1, 2, 3, 4, 1, 2, 3, 4},
		Rows: 8, Cols: 1,
		Y: []float64{0, 0, 1, 1, 0, 0, 1, 1},
	}
	p := DefaultParams()
	p.Trees, p.MinChildWeight, p.Subsample, p.ColSample = 50, 0, 1, 1
	m, err := Fit(d, nil, p)
	if err != nil {
		fmt.Println(err)
		return
	}
	prob := make([]float64, 2)
	m.Predict(prob, []float64{0, 3.5})
	fmt.Printf("P(y=1 | x=0) = %.3f\nP(y=1 | x=3.5) = %.3f\n", prob[0], prob[1])
	// Output:
	// P(y=1 | x=0) = 0.080
	// P(y=1 | x=3.5) = 0.920
}

//go:build cgo

package golearnrf

import (
	"math"
	"math/rand/v2"
	"testing"
)

// TestForestVotes fits a tiny forest and checks what the adapter promises:
// vote shares in [0, 1] for every row, missing values included, the same
// shares from a second Predict on the same forest, and refused bad shapes.
// Ranking is not asserted: golearn's trees sometimes invert their leaves
// (see the package doc), so even separable data can score below chance.
func TestForestVotes(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	rows, cols := 120, 2
	x := make([]float64, rows*cols)
	y := make([]float64, rows)
	for i := 0; i < rows; i++ {
		y[i] = float64(i % 2)
		x[i*cols] = y[i]*10 + rng.Float64()
		x[i*cols+1] = y[i]*10 + rng.Float64()
		if i%10 == 0 {
			x[i*cols+1] = math.NaN()
		}
	}
	f, err := Fit(x, rows, cols, y, 9)
	if err != nil {
		t.Fatal(err)
	}
	p := make([]float64, rows)
	q := make([]float64, rows)
	if err := f.Predict(p, x, rows); err != nil {
		t.Fatal(err)
	}
	if err := f.Predict(q, x, rows); err != nil {
		t.Fatal(err)
	}
	for i, v := range p {
		if math.IsNaN(v) || v < 0 || v > 1 {
			t.Fatalf("p[%d] = %v, want a share of votes", i, v)
		}
		if v != q[i] {
			t.Fatalf("p[%d] = %v then %v: Predict not deterministic", i, v, q[i])
		}
	}
	if err := f.Predict(p, x[:5], rows); err == nil {
		t.Error("short input accepted")
	}
	if _, err := Fit(x, rows, cols, y[:3], 2); err == nil {
		t.Error("short labels accepted")
	}
}

package calibrate

import (
	"math"
	"math/rand/v2"
	"testing"
)

// tol: the fits below are exact or converge to within Newton's tolerance.
const tol = 1e-6

func TestIsotonicByHand(t *testing.T) {
	// Labels 0,1,0,1 on increasing margins: the middle pair violates and
	// pools to 0.5 at margin 2.5.
	s := FitIsotonic([]float64{1, 2, 3, 4}, []float64{0, 1, 0, 1})
	wantX := []float64{1, 2.5, 4}
	wantY := []float64{0, 0.5, 1}
	if len(s.X) != 3 {
		t.Fatalf("knots = %v %v, want %v %v", s.X, s.Y, wantX, wantY)
	}
	for i := range wantX {
		if math.Abs(s.X[i]-wantX[i]) > tol || math.Abs(s.Y[i]-wantY[i]) > tol {
			t.Errorf("knot %d = (%v, %v), want (%v, %v)", i, s.X[i], s.Y[i], wantX[i], wantY[i])
		}
	}
	tests := []struct{ m, want float64 }{{0, 0}, {1.75, 0.25}, {2.5, 0.5}, {9, 1}}
	for _, tt := range tests {
		if got := s.Prob(tt.m); math.Abs(got-tt.want) > tol {
			t.Errorf("Prob(%v) = %v, want %v", tt.m, got, tt.want)
		}
	}
}

func TestPlattRecoversSigmoid(t *testing.T) {
	// Labels drawn from p = sigmoid(2m - 1): Platt should find A near 2, B near -1.
	rng := rand.New(rand.NewPCG(3, 4))
	n := 20000
	m := make([]float64, n)
	y := make([]float64, n)
	for i := range m {
		m[i] = rng.NormFloat64()
		if rng.Float64() < sigmoid(2*m[i]-1) {
			y[i] = 1
		}
	}
	p := FitPlatt(m, y)
	// Sampling error of the MLE on 20,000 rows is about 0.03.
	if math.Abs(p.A-2) > 0.1 || math.Abs(p.B+1) > 0.1 {
		t.Errorf("Platt = %+v, want A~2, B~-1", p)
	}
	for _, v := range []float64{-50, 0, 50, math.Inf(1)} {
		if q := p.Prob(v); math.IsNaN(q) || q < 0 || q > 1 {
			t.Errorf("Prob(%v) = %v", v, q)
		}
	}
}

func TestPlattOneClass(t *testing.T) {
	p := FitPlatt([]float64{1, 2, 3}, []float64{1, 1, 1})
	if math.IsNaN(p.A) || math.IsNaN(p.B) || p.Prob(2) <= 0.5 {
		t.Errorf("Platt on positives only = %+v", p)
	}
}

package lbfgs

import (
	"math"
	"testing"
)

// tol is the distance from the known minimiser accepted after convergence.
const tol = 1e-5

func TestMinimize(t *testing.T) {
	tests := []struct {
		name string
		f    Func
		x0   []float64
		want []float64
	}{
		{
			// Rosenbrock, minimum at (1, 1).
			name: "rosenbrock",
			f: func(g, x []float64) float64 {
				a, b := 1-x[0], x[1]-x[0]*x[0]
				g[0] = -2*a - 400*x[0]*b
				g[1] = 200 * b
				return a*a + 100*b*b
			},
			x0:   []float64{-1.2, 1},
			want: []float64{1, 1},
		},
		{
			// Ill-conditioned quadratic sum(i * (x_i - i)^2), minimum at x_i = i.
			name: "quadratic",
			f: func(g, x []float64) float64 {
				var s float64
				for i := range x {
					c := float64(i + 1)
					d := x[i] - c
					s += c * c * d * d
					g[i] = 2 * c * c * d
				}
				return s
			},
			x0:   make([]float64, 8),
			want: []float64{1, 2, 3, 4, 5, 6, 7, 8},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, err := Minimize(tt.f, tt.x0, Settings{GradTol: 1e-10, FuncRTol: 1e-20, MaxIter: 2000})
			if err != nil {
				t.Fatal(err)
			}
			for i := range tt.want {
				if math.Abs(res.X[i]-tt.want[i]) > tol {
					t.Errorf("x = %v (%s after %d), want %v", res.X, res.Reason, res.Iterations, tt.want)
					break
				}
			}
		})
	}
}

func TestNotFinite(t *testing.T) {
	_, err := Minimize(func(g, x []float64) float64 { g[0] = 1; return math.NaN() }, []float64{0}, Settings{})
	if err != ErrNotFinite {
		t.Errorf("err = %v, want ErrNotFinite", err)
	}
}

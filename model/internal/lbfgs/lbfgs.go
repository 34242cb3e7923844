// Package lbfgs minimises smooth functions with limited-memory BFGS
// (Nocedal and Wright, Numerical Optimization, 2nd ed., algorithms 7.4 and
// 7.5) and a backtracking line search on the Armijo condition, skipping
// curvature pairs that break s·y > 0.
//
// It exists because gonum.org/v1/gonum/optimize pulls golang.org/x/exp
// into the module for its CMA-ES sampler; the logistic regression needs
// only this much, and it is deterministic: no randomness, sequential sums.
package lbfgs

import (
	"errors"
	"math"
)

// ErrNotFinite reports a function value or gradient that became NaN or Inf.
var ErrNotFinite = errors.New("function not finite")

// Func returns f(x) and writes its gradient into grad.
type Func func(grad, x []float64) float64

// Settings bound the search.
type Settings struct {
	Memory   int     // curvature pairs kept; default 10
	MaxIter  int     // iterations; default 500
	GradTol  float64 // stop when max |grad| <= GradTol; default 1e-7
	FuncRTol float64 // stop when the relative decrease of f is below it; default 1e-12
}

// Result is where the search stopped and why.
type Result struct {
	X          []float64
	F          float64
	Iterations int
	Converged  bool   // a tolerance was met, not the iteration limit
	Reason     string // gradient, function, iterations or line search
}

// Minimize searches from x0 (left unchanged).
func Minimize(f Func, x0 []float64, s Settings) (Result, error) {
	if s.Memory <= 0 {
		s.Memory = 10
	}
	if s.MaxIter <= 0 {
		s.MaxIter = 500
	}
	if s.GradTol <= 0 {
		s.GradTol = 1e-7
	}
	if s.FuncRTol <= 0 {
		s.FuncRTol = 1e-12
	}
	n := len(x0)
	x := append([]float64(nil), x0...)
	g := make([]float64, n)
	fx := f(g, x)
	if !finite(fx) || !allFinite(g) {
		return Result{X: x, F: fx}, ErrNotFinite
	}
	var sHist, yHist [][]float64
	var rho []float64
	d := make([]float64, n)
	xn := make([]float64, n)
	gn := make([]float64, n)
	alpha := make([]float64, s.Memory)
	res := Result{X: x, F: fx, Reason: "iterations"}
	for it := 0; it < s.MaxIter; it++ {
		if maxAbs(g) <= s.GradTol {
			res.Converged, res.Reason = true, "gradient"
			break
		}
		// Two-loop recursion: d = -H g.
		for i := range d {
			d[i] = -g[i]
		}
		k := len(sHist)
		for i := k - 1; i >= 0; i-- {
			alpha[i] = rho[i] * dot(sHist[i], d)
			axpy(-alpha[i], yHist[i], d)
		}
		if k > 0 {
			gamma := dot(sHist[k-1], yHist[k-1]) / dot(yHist[k-1], yHist[k-1])
			for i := range d {
				d[i] *= gamma
			}
		}
		for i := 0; i < k; i++ {
			beta := rho[i] * dot(yHist[i], d)
			axpy(alpha[i]-beta, sHist[i], d)
		}
		slope := dot(g, d)
		if slope >= 0 {
			// Not a descent direction: restart from steepest descent.
			sHist, yHist, rho = sHist[:0], yHist[:0], rho[:0]
			for i := range d {
				d[i] = -g[i]
			}
			slope = dot(g, d)
		}
		step := 1.0
		if k == 0 {
			step = math.Min(1, 1/math.Sqrt(-slope))
		}
		var fn float64
		ok := false
		for ls := 0; ls < 60; ls++ {
			for i := range xn {
				xn[i] = x[i] + step*d[i]
			}
			fn = f(gn, xn)
			if finite(fn) && allFinite(gn) && fn <= fx+1e-4*step*slope {
				ok = true
				break
			}
			step /= 2
		}
		res.Iterations = it + 1
		if !ok {
			res.Reason = "line search"
			break
		}
		sv := make([]float64, n)
		yv := make([]float64, n)
		for i := range sv {
			sv[i] = xn[i] - x[i]
			yv[i] = gn[i] - g[i]
		}
		if sy := dot(sv, yv); sy > 1e-16*math.Sqrt(dot(sv, sv)*dot(yv, yv)) {
			if len(sHist) == s.Memory {
				sHist, yHist, rho = sHist[1:], yHist[1:], rho[1:]
			}
			sHist = append(sHist, sv)
			yHist = append(yHist, yv)
			rho = append(rho, 1/sy)
		}
		decrease := fx - fn
		copy(x, xn)
		copy(g, gn)
		fx = fn
		if decrease <= s.FuncRTol*math.Max(1, math.Abs(fx)) {
			res.Converged, res.Reason = true, "function"
			break
		}
	}
	res.X, res.F = x, fx
	return res, nil
}

func dot(a, b []float64) float64 {
	var s float64
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func axpy(a float64, x, y []float64) {
	for i := range x {
		y[i] += a * x[i]
	}
}

func maxAbs(a []float64) float64 {
	var m float64
	for _, v := range a {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

func allFinite(a []float64) bool {
	for _, v := range a {
		if !finite(v) {
			return false
		}
	}
	return true
}

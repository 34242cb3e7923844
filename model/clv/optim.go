package clv

import (
	"math"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
)

// FitOptions tunes the maximum-likelihood fits. The zero value is ready to
// use.
type FitOptions struct {
	// Starts is the number of deterministic starting points tried; the best
	// converged one wins. Default 4; at most the number of built-in starts
	// (see the fit functions).
	Starts int
	// MaxIter bounds the BFGS major iterations per start. Default 300.
	MaxIter int
}

func (o FitOptions) withDefaults(nStarts int) FitOptions {
	if o.Starts <= 0 {
		o.Starts = 4
	}
	if o.Starts > nStarts {
		o.Starts = nStarts
	}
	if o.MaxIter <= 0 {
		o.MaxIter = 300
	}
	return o
}

// loglik evaluates a total log-likelihood at natural parameters th and, when
// grad is not nil, stores its gradient with respect to th in grad.
type loglik func(th, grad []float64) float64

// gradTol is the largest gradient norm, per customer and in log-parameter
// space, that counts as converged.
const gradTol = 1e-5

type optimum struct {
	theta      []float64
	ll         float64
	converged  bool
	iterations int
	starts     int
}

// maximize runs BFGS on -f/n over the logarithms of the parameters (so every
// parameter stays positive) from each start, and returns the best point. n
// scales the objective to a per-customer mean so that tolerances do not
// depend on the number of customers.
//
// The minimizer is the small BFGS of bfgs below rather than gonum/optimize:
// gonum/optimize v0.15.1 imports golang.org/x/exp/rand, which the module's
// go.mod does not require. The objective, starts and convergence test are
// the same either way.
func maximize(f loglik, starts [][]float64, n float64, maxIter int) optimum {
	dim := len(starts[0])
	th := make([]float64, dim)
	g := make([]float64, dim)
	obj := func(y, grad []float64) float64 {
		for i, v := range y {
			th[i] = math.Exp(v)
		}
		v := -f(th, g) / n
		for i := range g {
			grad[i] = -g[i] * th[i] / n
		}
		if math.IsNaN(v) {
			return math.Inf(1)
		}
		return v
	}
	best := optimum{ll: math.Inf(-1), starts: len(starts)}
	for _, s := range starts {
		y := make([]float64, dim)
		for i, v := range s {
			y[i] = math.Log(v)
		}
		v, iters, conv := bfgs(obj, y, maxIter)
		if math.IsInf(v, 0) || math.IsNaN(v) {
			continue
		}
		ll := -v * n
		// A converged start beats any unconverged one; among equals the
		// higher likelihood wins.
		if (conv && !best.converged) || (conv == best.converged && ll > best.ll) {
			best.theta = make([]float64, dim)
			for i, v := range y {
				best.theta[i] = math.Exp(v)
			}
			best.ll = ll
			best.converged = conv
			best.iterations = iters
		}
	}
	return best
}

// bfgs minimizes obj from y (updated in place) with BFGS updates of the
// inverse Hessian and a backtracking Armijo line search. It returns the
// final value, the iterations used and whether the gradient norm fell below
// gradTol.
func bfgs(obj func(y, grad []float64) float64, y []float64, maxIter int) (float64, int, bool) {
	dim := len(y)
	h := make([]float64, dim*dim) // inverse Hessian, row-major
	resetH := func() {
		for i := range h {
			h[i] = 0
		}
		for i := 0; i < dim; i++ {
			h[i*dim+i] = 1
		}
	}
	resetH()
	g := make([]float64, dim)
	gNew := make([]float64, dim)
	p := make([]float64, dim)
	yNew := make([]float64, dim)
	s := make([]float64, dim)
	dg := make([]float64, dim)
	hy := make([]float64, dim)
	v := obj(y, g)
	if math.IsInf(v, 0) {
		return v, 0, false
	}
	for it := 1; it <= maxIter; it++ {
		if norm(g) < gradTol {
			return v, it - 1, true
		}
		slope := 0.0
		for i := 0; i < dim; i++ {
			p[i] = 0
			for j := 0; j < dim; j++ {
				p[i] -= h[i*dim+j] * g[j]
			}
			slope += p[i] * g[i]
		}
		if slope >= 0 { // not a descent direction: restart from steepest descent
			resetH()
			for i := range p {
				p[i] = -g[i]
			}
			slope = -dot(g, g)
		}
		// Keep a step in log space below 2 (a factor e^2 on a parameter).
		step := 1.0
		if m := maxAbs(p); m > 2 {
			step = 2 / m
		}
		var vNew float64
		ok := false
		for k := 0; k < 60; k++ {
			for i := range y {
				yNew[i] = y[i] + step*p[i]
			}
			vNew = obj(yNew, gNew)
			if vNew <= v+1e-4*step*slope {
				ok = true
				break
			}
			step /= 2
		}
		if !ok {
			return v, it, norm(g) < gradTol
		}
		sy := 0.0
		for i := range y {
			s[i] = yNew[i] - y[i]
			dg[i] = gNew[i] - g[i]
			sy += s[i] * dg[i]
		}
		copy(y, yNew)
		copy(g, gNew)
		v = vNew
		if sy <= 1e-300 {
			resetH()
			continue
		}
		// H <- (I - ρ s yᵀ) H (I - ρ y sᵀ) + ρ s sᵀ
		rho := 1 / sy
		yhy := 0.0
		for i := 0; i < dim; i++ {
			hy[i] = 0
			for j := 0; j < dim; j++ {
				hy[i] += h[i*dim+j] * dg[j]
			}
			yhy += dg[i] * hy[i]
		}
		for i := 0; i < dim; i++ {
			for j := 0; j < dim; j++ {
				h[i*dim+j] += -rho*(hy[i]*s[j]+s[i]*hy[j]) + (rho*rho*yhy+rho)*s[i]*s[j]
			}
		}
	}
	return v, maxIter, norm(g) < gradTol
}

func dot(a, b []float64) float64 {
	s := 0.0
	for i := range a {
		s += a[i] * b[i]
	}
	return s
}

func norm(a []float64) float64 { return math.Sqrt(dot(a, a)) }

func maxAbs(a []float64) float64 {
	m := 0.0
	for _, v := range a {
		m = math.Max(m, math.Abs(v))
	}
	return m
}

// standardErrors returns the square roots of the diagonal of the inverse of
// the observed information -H at th, where H is the Hessian of f in natural
// parameters. H is taken by central differences (gonum/diff/fd) of the
// analytic gradient over the logarithms of the parameters, where one step
// size suits parameters of any scale, and carried back to natural
// parameters: with D = diag(th) and g the log-space gradient,
// J = D H D + diag(g), so H = D^-1 (J - diag(g)) D^-1 and
// SE_i = th_i sqrt([(diag(g) - J)^-1]_ii). An entry is NaN when -H is not
// positive definite.
func standardErrors(dst []float64, f loglik, th []float64) {
	dim := len(th)
	for i := range dst {
		dst[i] = math.NaN()
	}
	x := make([]float64, dim)
	g := make([]float64, dim)
	logGrad := func(y, lth []float64) {
		for i, v := range lth {
			x[i] = math.Exp(v)
		}
		f(x, g)
		for i := range y {
			y[i] = g[i] * x[i]
		}
	}
	lth := make([]float64, dim)
	for i, v := range th {
		lth[i] = math.Log(v)
	}
	gl := make([]float64, dim)
	logGrad(gl, lth)
	jac := mat.NewDense(dim, dim, nil)
	fd.Jacobian(jac, logGrad, lth, &fd.JacobianSettings{Formula: fd.Central, Step: 1e-5})
	info := mat.NewSymDense(dim, nil)
	for i := 0; i < dim; i++ {
		for j := i; j < dim; j++ {
			v := -(jac.At(i, j) + jac.At(j, i)) / 2
			if i == j {
				v += gl[i]
			}
			info.SetSym(i, j, v)
		}
	}
	var chol mat.Cholesky
	if !chol.Factorize(info) {
		return
	}
	var cov mat.SymDense
	if err := chol.InverseTo(&cov); err != nil {
		return
	}
	for i := range dst {
		if v := cov.At(i, i); v >= 0 {
			dst[i] = th[i] * math.Sqrt(v)
		}
	}
}

// numGrad fills grad with the gradient of f at th by central differences;
// for the small fits (sBG) where an analytic gradient is not worth it.
func numGrad(f func(th []float64) float64) loglik {
	return func(th, grad []float64) float64 {
		v := f(th)
		if grad != nil {
			fd.Gradient(grad, f, th, &fd.Settings{Formula: fd.Central, Step: 1e-6})
		}
		return v
	}
}

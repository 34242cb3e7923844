package clv

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
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

// gradTol is the largest gradient, per customer, in log-parameter space and
// in the infinity norm (gonum/optimize's Settings.GradientThreshold), that
// counts as converged.
const gradTol = 1e-5

type optimum struct {
	theta      []float64
	ll         float64
	converged  bool
	iterations int
	starts     int
}

// objective is -f/n over the logarithms of the parameters, for
// gonum/optimize. The optimizer asks for the value and the gradient at the
// same point one after the other; both come from one evaluation of f, kept
// for the point last seen.
type objective struct {
	f    loglik
	n    float64
	th   []float64 // natural parameters of y
	y    []float64 // point of v and grad; nil before the first evaluation
	v    float64
	g    []float64 // gradient of f in natural parameters
	grad []float64 // gradient of -f/n in log parameters
}

func newObjective(f loglik, n float64, dim int) *objective {
	return &objective{f: f, n: n, th: make([]float64, dim), g: make([]float64, dim), grad: make([]float64, dim)}
}

func (o *objective) eval(y []float64) {
	if o.y != nil && slices.Equal(o.y, y) {
		return
	}
	for i, v := range y {
		o.th[i] = math.Exp(v)
	}
	o.v = -o.f(o.th, o.g) / o.n
	if math.IsNaN(o.v) {
		// Outside the region where the likelihood is defined: the line
		// search backs off.
		o.v = math.Inf(1)
	}
	for i := range o.g {
		o.grad[i] = -o.g[i] * o.th[i] / o.n
	}
	o.y = append(o.y[:0], y...)
}

func (o *objective) problem() optimize.Problem {
	return optimize.Problem{
		Func: func(y []float64) float64 {
			o.eval(y)
			return o.v
		},
		Grad: func(grad, y []float64) {
			o.eval(y)
			copy(grad, o.grad)
		},
	}
}

// maximize minimizes -f/n over the logarithms of the parameters (so every
// parameter stays positive) with gonum/optimize's BFGS from each start, and
// returns the best point. n scales the objective to a per-customer mean so
// that tolerances do not depend on the number of customers. A start
// converges when the gradient falls below gradTol; the optimizer is
// sequential, so fits are deterministic.
func maximize(f loglik, starts [][]float64, n float64, maxIter int) optimum {
	dim := len(starts[0])
	best := optimum{ll: math.Inf(-1), starts: len(starts)}
	for _, s := range starts {
		y := make([]float64, dim)
		for i, v := range s {
			y[i] = math.Log(v)
		}
		obj := newObjective(f, n, dim)
		settings := &optimize.Settings{
			GradientThreshold: gradTol,
			MajorIterations:   maxIter,
			// Converge on the gradient only, not on a stalled value.
			Converger: optimize.NeverTerminate{},
		}
		// An error (a start outside the domain, a failed line search) leaves
		// the best point found in res, unconverged.
		res, _ := optimize.Minimize(obj.problem(), y, settings, &optimize.BFGS{})
		if res == nil || math.IsInf(res.F, 0) || math.IsNaN(res.F) {
			continue
		}
		ll := -res.F * n
		conv := res.Status == optimize.GradientThreshold
		// A converged start beats any unconverged one; among equals the
		// higher likelihood wins.
		if (conv && !best.converged) || (conv == best.converged && ll > best.ll) {
			best.theta = make([]float64, dim)
			for i, v := range res.X {
				best.theta[i] = math.Exp(v)
			}
			best.ll = ll
			best.converged = conv
			best.iterations = res.MajorIterations
		}
	}
	return best
}

// standardErrors returns the square roots of the diagonal of the inverse of
// the observed information -H at th, where H is the Hessian of f in natural
// parameters, and stores the whole inverse (the parameters' asymptotic
// covariance) in cov, row-major dim x dim, when cov is not nil. H is taken
// by central differences (gonum/diff/fd) of the analytic gradient over the
// logarithms of the parameters, where one step size suits parameters of any
// scale, and carried back to natural parameters: with D = diag(th) and g
// the log-space gradient, J = D H D + diag(g), so H = D^-1 (J - diag(g))
// D^-1 and Cov_ij = th_i th_j [(diag(g) - J)^-1]_ij. Every entry is NaN
// when -H is not positive definite.
func standardErrors(dst []float64, cov []float64, f loglik, th []float64) {
	dim := len(th)
	for i := range dst {
		dst[i] = math.NaN()
	}
	for i := range cov {
		cov[i] = math.NaN()
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
	var inv mat.SymDense
	if err := chol.InverseTo(&inv); err != nil {
		return
	}
	for i := range dst {
		if v := inv.At(i, i); v >= 0 {
			dst[i] = th[i] * math.Sqrt(v)
		}
	}
	if cov != nil {
		for i := 0; i < dim; i++ {
			for j := 0; j < dim; j++ {
				cov[i*dim+j] = th[i] * th[j] * inv.At(i, j)
			}
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

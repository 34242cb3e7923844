package clv

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
)

// GammaGamma is a fitted Gamma-Gamma spend model (Fader & Hardie 2013):
// spends of a customer are Gamma(p, ν) around a customer mean, with
// ν ~ Gamma(q, γ) across customers. Amounts are in the currency of the mean
// spends it was fitted on.
type GammaGamma struct {
	P, Q, Gamma float64
	// SE holds the standard errors of P, Q, Gamma; NaN where the Hessian is
	// not negative definite.
	SE [3]float64
	// Cov is the asymptotic covariance of (P, Q, Gamma), row-major; NaN
	// where the Hessian is not negative definite, zero for a model built by
	// hand.
	Cov       [9]float64
	LogLik    float64
	N         int // repeat customers fitted (x > 0 and a positive mean spend)
	Converged bool
	// Skipped counts customers with x > 0 left out because their mean spend
	// was zero or negative (refunds exceeding purchases); customers with
	// x = 0 carry no repeat spend and are not counted.
	Skipped    int
	Iterations int
	Starts     int
}

type ggData struct {
	xs     []float64 // distinct x
	lx     []float64 // ln x per distinct x
	wx     []float64 // customers per distinct x
	groups []ggGroup
	n      float64
	sumM   float64
	lgx    []float64 // scratch per distinct x
}

type ggGroup struct {
	ix int32
	m  float64 // mean spend
	xm float64 // x * m
	lm float64 // ln m
	w  float64
}

// newGGData groups the usable customers by (x, m̄); it returns the number of
// repeat customers skipped for a non-positive mean spend.
func newGGData(x, mbar []float64) (*ggData, int, error) {
	if len(x) != len(mbar) {
		return nil, 0, fmt.Errorf("lengths x=%d mbar=%d: %w", len(x), len(mbar), ErrBadInput)
	}
	d := &ggData{}
	xi := map[float64]int32{}
	gi := map[[2]float64]int{}
	skipped := 0
	for i := range x {
		if !finite(x[i]) || !finite(mbar[i]) || x[i] < 0 || x[i] != math.Trunc(x[i]) {
			return nil, 0, fmt.Errorf("customer %d: x=%v mbar=%v: %w", i, x[i], mbar[i], ErrBadInput)
		}
		if x[i] == 0 {
			continue
		}
		if mbar[i] <= 0 {
			skipped++
			continue
		}
		k, ok := xi[x[i]]
		if !ok {
			k = int32(len(d.xs))
			xi[x[i]] = k
			d.xs = append(d.xs, x[i])
			d.lx = append(d.lx, math.Log(x[i]))
		}
		key := [2]float64{x[i], mbar[i]}
		g, ok := gi[key]
		if !ok {
			g = len(d.groups)
			gi[key] = g
			d.groups = append(d.groups, ggGroup{ix: k, m: mbar[i], xm: x[i] * mbar[i], lm: math.Log(mbar[i])})
		}
		d.groups[g].w++
		d.n++
		d.sumM += mbar[i]
	}
	d.wx = make([]float64, len(d.xs))
	for _, g := range d.groups {
		d.wx[g.ix] += g.w
	}
	d.lgx = make([]float64, len(d.xs))
	return d, skipped, nil
}

// loglik is the Gamma-Gamma log-likelihood of the mean spends (Fader &
// Hardie 2013, eq. 3, with the Jacobian of the mean):
//
//	ln f(m̄ | x) = lnΓ(px+q) - lnΓ(px) - lnΓ(q) + q ln γ + (px-1) ln m̄
//	             + px ln x - (px+q) ln(x m̄ + γ)
func (d *ggData) loglik(th, grad []float64) float64 {
	p, q, gm := th[0], th[1], th[2]
	lgq, _ := math.Lgamma(q)
	lgam := math.Log(gm)
	var gp, gq, gg float64
	var psiq float64
	if grad != nil {
		psiq = mathext.Digamma(q)
	}
	ll := 0.0
	for k, x := range d.xs {
		l1, _ := math.Lgamma(p*x + q)
		l2, _ := math.Lgamma(p * x)
		d.lgx[k] = l1 - l2 - lgq + q*lgam + p*x*d.lx[k]
		ll += d.wx[k] * d.lgx[k]
		if grad != nil {
			w := d.wx[k]
			ps := mathext.Digamma(p*x + q)
			gp += w * x * (ps - mathext.Digamma(p*x) + d.lx[k])
			gq += w * (ps - psiq + lgam)
			gg += w * q / gm
		}
	}
	for _, g := range d.groups {
		x := d.xs[g.ix]
		l := math.Log(g.xm + gm)
		ll += g.w * ((p*x-1)*g.lm - (p*x+q)*l)
		if grad != nil {
			gp += g.w * x * (g.lm - l)
			gq -= g.w * l
			gg -= g.w * (p*x + q) / (g.xm + gm)
		}
	}
	if grad != nil {
		grad[0], grad[1], grad[2] = gp, gq, gg
	}
	return ll
}

// FitGammaGamma fits the Gamma-Gamma model by maximum likelihood on the
// customers with x > 0 repeat purchases, x being their number and mbar
// their mean value. Repeat customers with mbar <= 0 are left out and counted
// in Skipped. The built-in starts are (p, q, γ) = (1, 2, m), (5, 3, 2m),
// (0.5, 1.5, m/2) and (10, 10, 10m), m the mean of the mean spends.
//
// It returns ErrBadInput for a non-finite or negative input, ErrNoRepeat
// when no customer is usable, ErrInfiniteMean when q <= 1 (the model then
// has no population mean), and ErrNotConverged with the best point found.
func FitGammaGamma(x, mbar []float64, opt FitOptions) (GammaGamma, error) {
	d, skipped, err := newGGData(x, mbar)
	if err != nil {
		return GammaGamma{}, fmt.Errorf("gamma-gamma: %w", err)
	}
	if d.n == 0 {
		return GammaGamma{Skipped: skipped}, fmt.Errorf("gamma-gamma: %w", ErrNoRepeat)
	}
	m := d.sumM / d.n
	starts := [][]float64{{1, 2, m}, {5, 3, 2 * m}, {0.5, 1.5, m / 2}, {10, 10, 10 * m}}
	opt = opt.withDefaults(len(starts))
	best := maximize(d.loglik, starts[:opt.Starts], d.n, opt.MaxIter)
	if best.theta == nil {
		return GammaGamma{N: int(d.n), Skipped: skipped, Starts: opt.Starts}, fmt.Errorf("gamma-gamma: no start gave a finite likelihood: %w", ErrNotConverged)
	}
	g := GammaGamma{
		P: best.theta[0], Q: best.theta[1], Gamma: best.theta[2],
		LogLik: best.ll, N: int(d.n), Converged: best.converged, Skipped: skipped,
		Iterations: best.iterations, Starts: opt.Starts,
	}
	standardErrors(g.SE[:], g.Cov[:], d.loglik, best.theta)
	switch {
	case !g.Converged:
		return g, fmt.Errorf("gamma-gamma: best of %d starts at ll %.4f: %w", opt.Starts, g.LogLik, ErrNotConverged)
	case g.Q <= 1:
		return g, fmt.Errorf("gamma-gamma: q=%.4g: %w", g.Q, ErrInfiniteMean)
	}
	return g, nil
}

// LogLikelihood returns the model's log-likelihood of the usable customers
// (x > 0, mbar > 0); NaN when an input is invalid.
func (g GammaGamma) LogLikelihood(x, mbar []float64) float64 {
	d, _, err := newGGData(x, mbar)
	if err != nil {
		return math.NaN()
	}
	return d.loglik([]float64{g.P, g.Q, g.Gamma}, nil)
}

// ExpectedSpend returns E[M | x, m̄], the expected value of a future
// transaction of a customer with x repeat purchases of mean value mbar
// (Fader & Hardie 2013, eq. 5):
//
//	p (γ + x m̄) / (p x + q - 1)
//	  = (q-1)/(px+q-1) · pγ/(q-1) + px/(px+q-1) · m̄
//
// a weighted mean of the population mean pγ/(q-1) and the customer's own.
// For x = 0, whatever mbar holds (a one-time buyer has no repeat spend; NaN
// is fine), and for an mbar the fit leaves out (<= 0, NaN, +Inf), it is the
// population mean. It is NaN when q <= 1 or x is not a finite number >= 0.
func (g GammaGamma) ExpectedSpend(x, mbar float64) float64 {
	if !finite(x) || x < 0 || !(g.Q > 1) {
		return math.NaN()
	}
	if x == 0 || !(mbar > 0) || math.IsInf(mbar, 1) {
		return g.P * g.Gamma / (g.Q - 1)
	}
	return g.P * (g.Gamma + x*mbar) / (g.P*x + g.Q - 1)
}

package clv

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
)

// SBG is a fitted shifted-beta-geometric model of contract renewals (Fader
// & Hardie 2007, "How to project customer retention"): each customer churns
// at the end of a period with a constant probability θ ~ Beta(Alpha, Beta).
type SBG struct {
	Alpha, Beta float64
	// SE holds the standard errors of Alpha and Beta, and Cov their
	// covariance (row-major), from the inverse of the observed information;
	// NaN where the Hessian is not negative definite, zero for a model
	// built by hand.
	SE      [2]float64
	Cov     [4]float64
	LogLik  float64
	N       int // customers (or cohort members) fitted
	Churned int // of them, those seen to churn
	// Exposure is the number of periods at risk observed, Σ_t t·(d_t + c_t):
	// each period a customer was seen through is one renewal decision.
	Exposure  float64
	Converged bool
}

// sbgData holds the renewal histories as counts by period.
type sbgData struct {
	churned []float64 // churned[t]: churned at the end of period t (t >= 1)
	alive   []float64 // alive[t]: still active after t periods, observation ending there
	n, nc   float64
}

// loglik is the sBG log-likelihood of right-censored renewal histories:
//
//	LL = Σ_t d_t ln P(T=t) + Σ_t c_t ln S(t)
//	P(T=t) = B(α+1, β+t-1) / B(α, β),  S(t) = B(α, β+t) / B(α, β)
//
// with d_t the customers who churned in period t and c_t those still active
// after t periods when observation ended, and its analytic gradient.
func (d *sbgData) loglik(th, grad []float64) float64 {
	a, b := th[0], th[1]
	lb0 := lbeta(a, b)
	var ga, gb float64
	var psiA, psiB, psiAB, psiA1 float64
	if grad != nil {
		psiA, psiB, psiAB, psiA1 = mathext.Digamma(a), mathext.Digamma(b), mathext.Digamma(a+b), mathext.Digamma(a+1)
	}
	ll := 0.0
	for t := 1; t < len(d.churned); t++ {
		w := d.churned[t]
		if w == 0 {
			continue
		}
		ft := float64(t)
		ll += w * (lbeta(a+1, b+ft-1) - lb0)
		if grad != nil {
			p := mathext.Digamma(a + b + ft)
			ga += w * (psiA1 - p - psiA + psiAB)
			gb += w * (mathext.Digamma(b+ft-1) - p - psiB + psiAB)
		}
	}
	for t := 0; t < len(d.alive); t++ {
		w := d.alive[t]
		if w == 0 || t == 0 {
			continue // S(0) = 1 carries no information
		}
		ft := float64(t)
		ll += w * (lbeta(a, b+ft) - lb0)
		if grad != nil {
			p := mathext.Digamma(a + b + ft)
			ga += w * (psiA - p - psiA + psiAB)
			gb += w * (mathext.Digamma(b+ft) - p - psiB + psiAB)
		}
	}
	if grad != nil {
		grad[0], grad[1] = ga, gb
	}
	return ll
}

func lbeta(a, b float64) float64 {
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	lab, _ := math.Lgamma(a + b)
	return la + lb - lab
}

// FitSBG fits the sBG model to one cohort: survivors[0] is the cohort size
// and survivors[t] the number still active after t periods (non-increasing).
// It is FitSBGCensored with d_t = s_{t-1} - s_t and everyone left after the
// last period censored there.
func FitSBG(survivors []float64) (SBG, error) {
	if len(survivors) < 2 {
		return SBG{}, fmt.Errorf("sbg: %d periods, need 2 or more: %w", len(survivors), ErrBadInput)
	}
	for t, s := range survivors {
		if !finite(s) || s < 0 || (t == 0 && s == 0) || (t > 0 && s > survivors[t-1]) {
			return SBG{}, fmt.Errorf("sbg: survivors[%d]=%v: need a positive cohort, non-increasing: %w", t, s, ErrBadInput)
		}
	}
	n := len(survivors) - 1
	churned := make([]float64, n+1)
	alive := make([]float64, n+1)
	for t := 1; t <= n; t++ {
		churned[t] = survivors[t-1] - survivors[t]
	}
	alive[n] = survivors[n]
	return FitSBGCensored(churned, alive)
}

// FitSBGCensored fits the sBG model to renewal histories observed for
// different lengths, as customers who signed up at different times are at
// a cutoff: churned[t] counts the customers who churned at the end of
// period t (churned[0] must be 0), alive[t] those still active after t
// periods when observation ended (alive[0], customers not yet through one
// period, carry no information). Counts may be fractional weights.
//
// It returns ErrBadInput for a negative or non-finite count or when nobody
// churned (θ is then not identified), and ErrNotConverged with the best
// point found. The starts are (α, β) = (1, 1), (0.5, 3), (3, 0.5).
func FitSBGCensored(churned, alive []float64) (SBG, error) {
	d := &sbgData{churned: churned, alive: alive}
	for t, w := range churned {
		if !finite(w) || w < 0 || (t == 0 && w != 0) {
			return SBG{}, fmt.Errorf("sbg: churned[%d]=%v: need finite counts >= 0, none in period 0: %w", t, w, ErrBadInput)
		}
		d.nc += w
	}
	for t, w := range alive {
		if !finite(w) || w < 0 {
			return SBG{}, fmt.Errorf("sbg: alive[%d]=%v: need finite counts >= 0: %w", t, w, ErrBadInput)
		}
		d.n += w
	}
	d.n += d.nc
	exposure := 0.0
	for t, w := range churned {
		exposure += float64(t) * w
	}
	for t, w := range alive {
		exposure += float64(t) * w
	}
	if d.nc == 0 {
		return SBG{N: int(d.n)}, fmt.Errorf("sbg: nobody churned: %w", ErrBadInput)
	}
	starts := [][]float64{{1, 1}, {0.5, 3}, {3, 0.5}}
	best := maximize(d.loglik, starts, d.n, 300)
	if best.theta == nil {
		return SBG{N: int(d.n), Churned: int(d.nc)}, fmt.Errorf("sbg: no start gave a finite likelihood: %w", ErrNotConverged)
	}
	m := SBG{Alpha: best.theta[0], Beta: best.theta[1], LogLik: best.ll, N: int(d.n), Churned: int(d.nc), Exposure: exposure, Converged: best.converged}
	standardErrors(m.SE[:], m.Cov[:], d.loglik, best.theta)
	if !m.Converged {
		return m, fmt.Errorf("sbg: ll %.4f: %w", m.LogLik, ErrNotConverged)
	}
	return m, nil
}

// Survival returns S(t), the share of a cohort still active after t periods.
func (m SBG) Survival(t int) float64 {
	s := 1.0
	for k := 1; k <= t; k++ {
		s *= (m.Beta + float64(k) - 1) / (m.Alpha + m.Beta + float64(k) - 1)
	}
	return s
}

// ChurnProbability returns the probability that a customer who has renewed
// t-1 times churns at the end of period t: α/(α+β+t-1), falling with
// tenure as the cohort sorts itself.
func (m SBG) ChurnProbability(t int) float64 {
	return m.Alpha / (m.Alpha + m.Beta + float64(t) - 1)
}

// DiscountedPayments returns the expected discounted number of payments of
// an active customer who has made `renewals` renewals, over the next
// `periods` periods, each payment made at a renewal and discounted by the
// package's rule (doc.go, "Discounting"):
//
//	Σ_{k=1..n} P(k more renewals | renewals) / (1+d)^k
//	P(k more renewals | m) = B(α, β+m+k) / B(α, β+m)
//
// the posterior of θ given m renewals being Beta(α, β+m). For periods <= 0
// it is the unbounded sum, DERL(renewals, d)/(1+d). It is NaN for d <= -1,
// a negative renewals count or invalid parameters, and +Inf for an
// unbounded sum that diverges (d = 0 with α <= 1).
func (m SBG) DiscountedPayments(renewals, periods int, d float64) float64 {
	if !(m.Alpha > 0) || !(m.Beta > 0) || renewals < 0 || !finite(d) || d <= -1 {
		return math.NaN()
	}
	if periods <= 0 {
		return m.DERL(renewals, d) / (1 + d)
	}
	b := m.Beta + float64(renewals)
	disc := 1 / (1 + d)
	p, f, sum := 1.0, 1.0, 0.0
	for k := 0; k < periods; k++ {
		p *= (b + float64(k)) / (m.Alpha + b + float64(k))
		f *= disc
		sum += p * f
	}
	return sum
}

// derlTerms bounds the series of DERL; with d > 0 its terms fall at least
// as fast as (1+d)^-k.
const derlTerms = 10_000_000

// DERL returns the discounted expected residual lifetime of Fader & Hardie
// (2010), "Customer-Base Valuation in a Contractual Setting: The Perils of
// Ignoring Heterogeneity", Marketing Science 29(1), eq. 6, for a customer
// who has made n-1 = renewals renewals and is about to decide on the next:
//
//	DERL(d | α, β, n-1) = B(α, β+n) / B(α, β+n-1) · 2F1(1, β+n; α+β+n; 1/(1+d))
//
// the expected number of payments, the one at the coming renewal counted
// undiscounted. The hypergeometric series is summed term by term; it is +Inf
// when it diverges (d = 0 and α <= 1).
func (m SBG) DERL(renewals int, d float64) float64 {
	if !(m.Alpha > 0) || !(m.Beta > 0) || renewals < 0 || !finite(d) || d <= -1 {
		return math.NaN()
	}
	if d == 0 && m.Alpha <= 1 {
		return math.Inf(1)
	}
	n := float64(renewals) + 1
	b, c, z := m.Beta+n, m.Alpha+m.Beta+n, 1/(1+d)
	term, sum := 1.0, 1.0
	for k := 0.0; k < derlTerms; k++ {
		term *= (b + k) / (c + k) * z
		sum += term
		if term <= 1e-17*sum {
			break
		}
	}
	return (m.Beta + n - 1) / (m.Alpha + m.Beta + n - 1) * sum
}

// PaymentsLogVar returns the variance of ln DiscountedPayments(renewals,
// periods, d) from the covariance of (α, β), by the delta method with
// central differences in the log parameters. When the covariance is NaN
// because the data show no heterogeneity (the fit runs off towards
// α, β -> ∞ with θ = α/(α+β) fixed: one churn probability for everyone), it
// uses the binomial variance of that probability, θ(1-θ)/Exposure, moving
// θ with α+β held. It is 0 for a model without a covariance and NaN when
// neither applies.
func (m SBG) PaymentsLogVar(renewals, periods int, d float64) float64 {
	if m.Cov == [4]float64{} {
		return 0
	}
	lnPay := func(a, b float64) float64 {
		return math.Log(SBG{Alpha: a, Beta: b}.DiscountedPayments(renewals, periods, d))
	}
	if !math.IsNaN(m.Cov[0]) {
		g := []float64{
			(lnPay(m.Alpha*math.Exp(logStep), m.Beta) - lnPay(m.Alpha*math.Exp(-logStep), m.Beta)) / (2 * logStep),
			(lnPay(m.Alpha, m.Beta*math.Exp(logStep)) - lnPay(m.Alpha, m.Beta*math.Exp(-logStep))) / (2 * logStep),
		}
		return quadLog(g, m.Cov[:], []float64{m.Alpha, m.Beta})
	}
	if !(m.Exposure > 0) || m.Alpha+m.Beta < homogeneous {
		return math.NaN()
	}
	s := m.Alpha + m.Beta
	th := m.Alpha / s
	h := logStep * th
	g := (lnPay((th+h)*s, (1-th-h)*s) - lnPay((th-h)*s, (1-th+h)*s)) / (2 * h)
	return g * g * th * (1 - th) / m.Exposure
}

// homogeneous is the α+β beyond which an sBG fit without a covariance is
// read as one churn probability for everyone: the Beta(α, β) of θ then has
// a standard deviation of at most 0.005.
const homogeneous = 1e4

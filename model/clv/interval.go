package clv

import (
	"fmt"
	"math"
)

// IntervalLevel is the coverage of the value intervals.
const IntervalLevel = 0.95

// IntervalMethod names how the intervals are computed, for reports.
const IntervalMethod = "delta method on ln(value) with the fitted parameters' covariance (inverse observed information)"

// intervalZ is the standard normal quantile of (1+IntervalLevel)/2.
const intervalZ = 1.959963984540054

// logStep is the step, in the logarithm of a parameter, of the finite
// differences that carry the parameters' covariance to a value.
const logStep = 1e-5

// Interval returns v·exp(∓z·sqrt(logVar)), the IntervalLevel interval of a
// positive value whose logarithm has variance logVar. It is (v, v) for
// v = 0 or logVar = 0, and NaNs when logVar is NaN or negative.
func Interval(v, logVar float64) (low, high float64) {
	switch {
	case v == 0:
		return 0, 0
	case !(logVar >= 0) || math.IsInf(logVar, 0) || math.IsNaN(v):
		return math.NaN(), math.NaN()
	}
	s := intervalZ * math.Sqrt(logVar)
	return v * math.Exp(-s), v * math.Exp(s)
}

// quadLog returns g' Σ_log g, where g holds derivatives in the logarithms
// of the parameters th and Σ_log = Cov_ij / (th_i th_j) is their covariance
// in logarithms; NaN when Cov has a NaN.
func quadLog(g, cov, th []float64) float64 {
	n := len(th)
	v := 0.0
	for i := range n {
		for j := range n {
			v += g[i] * g[j] * cov[i*n+j] / (th[i] * th[j])
		}
	}
	return v
}

// Spend is a model of the expected value of a customer's future
// transactions: GammaGamma or Fallback.
type Spend interface {
	// ExpectedSpend returns the expected value of one future transaction
	// of a customer with x repeat purchases of mean value mbar.
	ExpectedSpend(x, mbar float64) float64
	// SpendLogVar returns the variance of ln ExpectedSpend(x, mbar) from
	// the uncertainty of the model's fitted parameters.
	SpendLogVar(x, mbar float64) float64
}

// SpendLogVar returns the variance of ln E[M | x, m̄] from Cov by the delta
// method, with
//
//	∂ ln E/∂p = 1/p - x/(px+q-1),  ∂ ln E/∂q = -1/(px+q-1),  ∂ ln E/∂γ = 1/(γ+x m̄)
//
// (m̄ taken as 0 when x = 0 or m̄ <= 0, as ExpectedSpend does). It is 0 for a
// model without a covariance and NaN when Cov is NaN or the spend is.
func (g GammaGamma) SpendLogVar(x, mbar float64) float64 {
	if math.IsNaN(g.ExpectedSpend(x, mbar)) {
		return math.NaN()
	}
	if g.Cov == [9]float64{} {
		return 0
	}
	if x == 0 || !(mbar > 0) {
		x, mbar = 0, 0
	}
	den := g.P*x + g.Q - 1
	grad := []float64{(1/g.P - x/den) * g.P, -1 / den * g.Q, 1 / (g.Gamma + x*mbar) * g.Gamma}
	return quadLog(grad, g.Cov[:], []float64{g.P, g.Q, g.Gamma})
}

// DiscountedPurchases writes, for every customer, the discounted expected
// number of purchases over the next periods time units,
//
//	Σ_{k=1..n} (E[Y(k)] - E[Y(k-1)]) / (1+d)^k
//
// E[Y] being ConditionalExpected. The slices must have the length of dst;
// an invalid history gets NaN. The hypergeometric series depend on a
// customer only through (x, T), so they are summed once per distinct pair.
func (m BGNBD) DiscountedPurchases(dst, x, tx, T []float64, periods int, d float64) {
	if len(x) != len(dst) || len(tx) != len(dst) || len(T) != len(dst) {
		panic(fmt.Sprintf("clv: DiscountedPurchases lengths dst=%d x=%d tx=%d T=%d", len(dst), len(x), len(tx), len(T)))
	}
	if periods <= 0 {
		clear(dst)
		return
	}
	// unit[(x, T)] = Σ_k (bracket(k) - bracket(k-1)) / (1+d)^k
	unit := map[[2]float64]float64{}
	br := make([]float64, periods)
	disc := 1 / (1 + d)
	for i := range dst {
		if checkHistory(x[i], tx[i], T[i]) != nil {
			dst[i] = math.NaN()
			continue
		}
		key := [2]float64{x[i], T[i]}
		u, ok := unit[key]
		if !ok {
			brackets(br, m.R, m.Alpha, m.A, m.B, x[i], T[i])
			f, prev := 1.0, 0.0
			for _, v := range br {
				f *= disc
				u += (v - prev) * f
				prev = v
			}
			unit[key] = u
		}
		den := 1.0
		if x[i] > 0 {
			den += math.Exp(m.logOdds(x[i], tx[i], T[i]))
		}
		dst[i] = (m.A + m.B + x[i] - 1) / den * u
	}
}

// purchasesLogVar writes into dst the variance of ln DiscountedPurchases
// for every customer, base holding DiscountedPurchases at the fitted
// parameters, from Cov by the delta method with forward differences in
// the log parameters (four more passes of the batch; the step's error,
// about logStep/2 relative in the gradient, is far below what an interval
// needs).
func (m BGNBD) purchasesLogVar(dst, base, x, tx, T []float64, periods int, d float64) {
	if m.Cov == [16]float64{} {
		clear(dst)
		return
	}
	th := []float64{m.R, m.Alpha, m.A, m.B}
	up := make([]float64, len(dst))
	grads := make([][]float64, 4)
	for j := range grads {
		pu := m
		*[]*float64{&pu.R, &pu.Alpha, &pu.A, &pu.B}[j] *= math.Exp(logStep)
		pu.DiscountedPurchases(up, x, tx, T, periods, d)
		g := make([]float64, len(dst))
		for i := range g {
			g[i] = math.Log(up[i]/base[i]) / logStep
		}
		grads[j] = g
	}
	var gi [4]float64
	for i := range dst {
		for j := range gi {
			gi[j] = grads[j][i]
		}
		dst[i] = quadLog(gi[:], m.Cov[:], th)
	}
}

// ValueBatch values customers by BG/NBD purchases and a spend model:
//
//	value = margin · spend.ExpectedSpend(x, m̄) · DiscountedPurchases
//
// with n = opt.Periods, d = opt.DiscountPerPeriod and margin = opt.Margin,
// which is CLV for a GammaGamma spend. low and high receive the
// IntervalLevel interval from the covariances of both fits (taken as
// independent, as the Gamma-Gamma model assumes spend independent of the
// purchase process): the delta method on ln(value), so the interval is
// positive and asymmetric. It covers the uncertainty of the fitted
// parameters, not the customer's own randomness. Every slice must have the
// length of value; an invalid history gets NaN.
func (m BGNBD) ValueBatch(value, low, high []float64, spend Spend, x, tx, T, mbar []float64, opt CLVOptions) {
	n := len(value)
	if len(low) != n || len(high) != n || len(mbar) != n {
		panic(fmt.Sprintf("clv: ValueBatch lengths value=%d low=%d high=%d mbar=%d", n, len(low), len(high), len(mbar)))
	}
	m.DiscountedPurchases(value, x, tx, T, opt.Periods, opt.DiscountPerPeriod)
	m.purchasesLogVar(low, value, x, tx, T, opt.Periods, opt.DiscountPerPeriod)
	for i := range value {
		s := spend.ExpectedSpend(x[i], mbar[i])
		v := opt.Margin * s * value[i]
		value[i] = v
		low[i], high[i] = Interval(v, low[i]+spend.SpendLogVar(x[i], mbar[i]))
	}
}

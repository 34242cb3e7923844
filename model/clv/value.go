package clv

import (
	"fmt"
	"math"
)

// CLVOptions sets the horizon and the money terms of CLV.
type CLVOptions struct {
	// Periods is the horizon, in the model's time unit (the unit of t_x and
	// T at the fit); 0 or less gives 0.
	Periods int `json:"periods"`
	// Margin is the fraction of revenue kept, 0..1.
	Margin float64 `json:"margin"`
	// DiscountPerPeriod is the discount rate per time unit,
	// PeriodDiscount(annual, days of the unit); 0 means no discounting.
	DiscountPerPeriod float64 `json:"discount_per_period"`
}

// PeriodDiscount returns the discount rate per period of the given length
// in days that is equivalent to an annual rate: (1+annual)^(days/365) - 1.
// Every value of this package discounts with it (doc.go, "Discounting"), so
// a cash flow k periods ahead is divided by (1+annual)^(k·days/365)
// whatever the period's length.
func PeriodDiscount(annual, days float64) float64 {
	return math.Pow(1+annual, days/365) - 1
}

// CLV returns the discounted expected margin of a customer over the next
// opt.Periods time units:
//
//	CLV = margin · E[M | x, m̄] · Σ_{k=1..n} (E[Y(k)] - E[Y(k-1)]) / (1+d)^k
//
// with E[Y(k)] = bg.ConditionalExpected(k, x, tx, T), E[M | x, m̄] =
// gg.ExpectedSpend(x, mbar), n = Periods and d = DiscountPerPeriod: the
// purchases expected in period k, valued at the expected spend and
// discounted to the end of that period (the discrete-time form used by
// lifetimes' customer_lifetime_value). It is NaN for invalid inputs or a
// Gamma-Gamma model without a mean (q <= 1); use Fallback then.
func CLV(bg BGNBD, gg GammaGamma, x, tx, T, mbar float64, opt CLVOptions) float64 {
	if opt.Periods <= 0 {
		return 0
	}
	spend := gg.ExpectedSpend(x, mbar)
	if checkHistory(x, tx, T) != nil || math.IsNaN(spend) {
		return math.NaN()
	}
	// E[Y(k)] = (a+b+x-1) · bracket(k) / D with D fixed for the customer.
	den := 1.0
	if x > 0 {
		den += math.Exp(bg.logOdds(x, tx, T))
	}
	scale := (bg.A + bg.B + x - 1) / den
	var buf [128]float64
	br := buf[:0]
	if opt.Periods > len(buf) {
		br = make([]float64, 0, opt.Periods)
	}
	br = br[:opt.Periods]
	brackets(br, bg.R, bg.Alpha, bg.A, bg.B, x, T)
	disc := 1 / (1 + opt.DiscountPerPeriod)
	f := 1.0
	prev, sum := 0.0, 0.0
	for _, v := range br {
		f *= disc
		e := scale * v
		sum += (e - prev) * f
		prev = e
	}
	return opt.Margin * spend * sum
}

// CLVBatch writes CLV(m, gg, x[i], tx[i], T[i], mbar[i], opt) into dst[i]
// for every customer; the slices must have the length of dst. The
// hypergeometric series are summed once per distinct (x, T) (see
// DiscountedPurchases); the results agree with CLV to about 1e-15 relative.
func (m BGNBD) CLVBatch(dst []float64, gg GammaGamma, x, tx, T, mbar []float64, opt CLVOptions) {
	if len(mbar) != len(dst) {
		panic(fmt.Sprintf("clv: CLVBatch lengths dst=%d mbar=%d", len(dst), len(mbar)))
	}
	if opt.Periods <= 0 {
		clear(dst)
		return
	}
	m.DiscountedPurchases(dst, x, tx, T, opt.Periods, opt.DiscountPerPeriod)
	for i := range dst {
		dst[i] *= opt.Margin * gg.ExpectedSpend(x[i], mbar[i])
	}
}

// ContractualValue returns the expected discounted value of a contractual
// customer who is active now, churns with probability pChurnPerPeriod at the
// end of each period, and pays spendPerPeriod at the end of each period
// survived:
//
//	V = margin · spend · Σ_{k=1..n} ((1-p)/(1+d))^k
//
// summed in closed form. periods <= 0 means an unbounded horizon, the
// discounted expected residual lifetime value (Fader & Hardie 2007; finite
// when p > 0 or d > 0). It is NaN when p is outside [0, 1], d <= -1 or an
// input is not finite, and +Inf for an unbounded horizon with p = d = 0.
func ContractualValue(pChurnPerPeriod, spendPerPeriod, margin, discountPerPeriod float64, periods int) float64 {
	p, d := pChurnPerPeriod, discountPerPeriod
	if !(p >= 0 && p <= 1) || !finite(spendPerPeriod) || !finite(margin) || !finite(d) || d <= -1 {
		return math.NaN()
	}
	q := (1 - p) / (1 + d)
	var s float64
	switch {
	case periods <= 0 && q >= 1:
		return math.Inf(1)
	case periods <= 0:
		s = q / (1 - q)
	case q == 1:
		s = float64(periods)
	default:
		s = q * (1 - math.Pow(q, float64(periods))) / (1 - q)
	}
	return margin * spendPerPeriod * s
}

// Fallback holds the simple estimates used when a fit fails or is refused
// (ErrNoRepeat, ErrNotConverged, ErrInfiniteMean), so that a caller never
// emits NaN:
//
//   - Rate is the pooled repeat rate Σx / ΣT per time unit;
//   - MeanSpend is the pooled mean of the repeat spends, Σ x·m̄ / Σx over
//     customers with x > 0 and m̄ > 0 (0 when there is none).
//
// A customer's rate is shrunk towards the pool by one pseudo time unit,
// (x + Rate) / (T + 1), and their spend by one pseudo purchase,
// (x·m̄ + MeanSpend) / (x + 1).
type Fallback struct {
	Rate, MeanSpend float64
	// RateRelSE and SpendRelSE are the relative standard errors of Rate
	// (Poisson: 1/sqrt(Σx)) and of MeanSpend (the x-weighted mean's
	// sandwich variance); NaN when there is nothing to pool.
	RateRelSE, SpendRelSE float64
	N                     int // customers used
}

// FitFallback computes the pooled estimates; customers with a non-finite or
// negative input are left out.
func FitFallback(x, T, mbar []float64) Fallback {
	var sx, sT, sxm, sxs float64
	f := Fallback{RateRelSE: math.NaN(), SpendRelSE: math.NaN()}
	for i := range x {
		if i >= len(T) || !finite(x[i]) || !finite(T[i]) || x[i] < 0 || T[i] < 0 {
			continue
		}
		f.N++
		sx += x[i]
		sT += T[i]
		if i < len(mbar) && x[i] > 0 && finite(mbar[i]) && mbar[i] > 0 {
			sxm += x[i] * mbar[i]
			sxs += x[i]
		}
	}
	if sT > 0 {
		f.Rate = sx / sT
	}
	if sx > 0 {
		f.RateRelSE = 1 / math.Sqrt(sx)
	}
	if sxs > 0 {
		f.MeanSpend = sxm / sxs
		var ss float64
		for i := range x {
			if i < len(T) && i < len(mbar) && finite(x[i]) && finite(T[i]) && T[i] >= 0 && x[i] > 0 && finite(mbar[i]) && mbar[i] > 0 {
				e := x[i] * (mbar[i] - f.MeanSpend)
				ss += e * e
			}
		}
		if f.MeanSpend > 0 {
			f.SpendRelSE = math.Sqrt(ss) / sxs / f.MeanSpend
		}
	}
	return f
}

// ExpectedPurchases returns t (x + Rate) / (T + 1), the purchases expected
// in the next t time units; 0 for invalid inputs.
func (f Fallback) ExpectedPurchases(t, x, T float64) float64 {
	if !finite(t) || !finite(x) || !finite(T) || t <= 0 || x < 0 || T < 0 {
		return 0
	}
	return t * (x + f.Rate) / (T + 1)
}

// ExpectedSpend returns (x·m̄ + MeanSpend) / (x + 1), or MeanSpend when the
// customer has no usable spend.
func (f Fallback) ExpectedSpend(x, mbar float64) float64 {
	if !finite(x) || !finite(mbar) || x <= 0 || mbar <= 0 {
		return f.MeanSpend
	}
	return (x*mbar + f.MeanSpend) / (x + 1)
}

// SpendLogVar returns the variance of ln ExpectedSpend(x, mbar) from
// SpendRelSE: (MeanSpend/(x·m̄ + MeanSpend))² SpendRelSE².
func (f Fallback) SpendLogVar(x, mbar float64) float64 {
	if f.MeanSpend <= 0 {
		return 0
	}
	w := 1.0
	if finite(x) && finite(mbar) && x > 0 && mbar > 0 {
		w = f.MeanSpend / (x*mbar + f.MeanSpend)
	}
	return w * w * f.SpendRelSE * f.SpendRelSE
}

// PurchasesLogVar returns the variance of ln ExpectedPurchases(t, x, T)
// from RateRelSE: (Rate/(x + Rate))² RateRelSE².
func (f Fallback) PurchasesLogVar(x float64) float64 {
	if !(f.Rate > 0) || !finite(x) || x < 0 {
		return 0
	}
	w := f.Rate / (x + f.Rate)
	return w * w * f.RateRelSE * f.RateRelSE
}

// CLV returns margin · ExpectedSpend · Σ_{k=1..n} rate / (1+d)^k, the value
// of CLV with a constant purchase rate and no dropout; 0 for invalid inputs.
func (f Fallback) CLV(x, T, mbar float64, opt CLVOptions) float64 {
	if opt.Periods <= 0 || !finite(opt.DiscountPerPeriod) || opt.DiscountPerPeriod <= -1 {
		return 0
	}
	rate := f.ExpectedPurchases(1, x, T)
	s := ContractualValue(0, rate, 1, opt.DiscountPerPeriod, opt.Periods)
	return opt.Margin * f.ExpectedSpend(x, mbar) * s
}

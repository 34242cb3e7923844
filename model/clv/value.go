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
	// DiscountPerPeriod is the discount rate per time unit (for weeks, about
	// an annual rate / 52); 0 means no discounting.
	DiscountPerPeriod float64 `json:"discount_per_period"`
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
// hypergeometric series depend on a customer only through (x, T), which
// repeat once times are rounded to days, so it sums them once per distinct
// pair; the results agree with CLV to about 1e-15 relative.
func (m BGNBD) CLVBatch(dst []float64, gg GammaGamma, x, tx, T, mbar []float64, opt CLVOptions) {
	if len(x) != len(dst) || len(tx) != len(dst) || len(T) != len(dst) || len(mbar) != len(dst) {
		panic(fmt.Sprintf("clv: CLVBatch lengths dst=%d x=%d tx=%d T=%d mbar=%d", len(dst), len(x), len(tx), len(T), len(mbar)))
	}
	if opt.Periods <= 0 {
		clear(dst)
		return
	}
	// unit[(x, T)] = Σ_k (bracket(k) - bracket(k-1)) / (1+d)^k
	unit := map[[2]float64]float64{}
	br := make([]float64, opt.Periods)
	disc := 1 / (1 + opt.DiscountPerPeriod)
	for i := range dst {
		spend := gg.ExpectedSpend(x[i], mbar[i])
		if checkHistory(x[i], tx[i], T[i]) != nil || math.IsNaN(spend) {
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
		dst[i] = opt.Margin * spend * (m.A + m.B + x[i] - 1) / den * u
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

// SBG is a fitted shifted-beta-geometric model of contract renewals (Fader
// & Hardie 2007, "How to project customer retention"): each customer churns
// at the end of a period with a constant probability θ ~ Beta(Alpha, Beta).
type SBG struct {
	Alpha, Beta float64
	LogLik      float64
	Converged   bool
}

// FitSBG fits the sBG model to one cohort: survivors[0] is the cohort size
// and survivors[t] the number still active after t periods (non-increasing).
// The log-likelihood is
//
//	LL = Σ_{t=1..n} (s_{t-1} - s_t) ln P(T=t) + s_n ln S(n)
//	P(T=1) = α/(α+β),  P(T=t) = P(T=t-1) (β+t-2)/(α+β+t-1)
//	S(t) = S(t-1) (β+t-1)/(α+β+t-1),  S(0) = 1
func FitSBG(survivors []float64) (SBG, error) {
	if len(survivors) < 2 {
		return SBG{}, fmt.Errorf("sbg: %d periods, need 2 or more: %w", len(survivors), ErrBadInput)
	}
	for t, s := range survivors {
		if !finite(s) || s < 0 || (t == 0 && s == 0) || (t > 0 && s > survivors[t-1]) {
			return SBG{}, fmt.Errorf("sbg: survivors[%d]=%v: need a positive cohort, non-increasing: %w", t, s, ErrBadInput)
		}
	}
	if survivors[len(survivors)-1] == survivors[0] {
		return SBG{}, fmt.Errorf("sbg: nobody churned: %w", ErrBadInput)
	}
	ll := func(th []float64) float64 {
		a, b := th[0], th[1]
		lp := math.Log(a / (a + b))
		ls := math.Log(b / (a + b))
		v := (survivors[0] - survivors[1]) * lp
		for t := 2; t < len(survivors); t++ {
			ft := float64(t)
			lp += math.Log((b + ft - 2) / (a + b + ft - 1))
			ls += math.Log((b + ft - 1) / (a + b + ft - 1))
			v += (survivors[t-1] - survivors[t]) * lp
		}
		return v + survivors[len(survivors)-1]*ls
	}
	starts := [][]float64{{1, 1}, {0.5, 3}, {3, 0.5}}
	best := maximize(numGrad(ll), starts, survivors[0], 300)
	if best.theta == nil {
		return SBG{}, fmt.Errorf("sbg: no start gave a finite likelihood: %w", ErrNotConverged)
	}
	m := SBG{Alpha: best.theta[0], Beta: best.theta[1], LogLik: best.ll, Converged: best.converged}
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
	N               int // customers used
}

// FitFallback computes the pooled estimates; customers with a non-finite or
// negative input are left out.
func FitFallback(x, T, mbar []float64) Fallback {
	var sx, sT, sxm, sxs float64
	var f Fallback
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
	if sxs > 0 {
		f.MeanSpend = sxm / sxs
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

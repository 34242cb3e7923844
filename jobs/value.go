package jobs

import (
	"math"

	"github.com/rs/zerolog"

	"churn/features"
	"churn/model/clv"
)

// ValueFit is what the value models learned, as the manifest and
// `churn value` report it.
type ValueFit struct {
	Unit        string          `json:"unit"`
	Customers   int             `json:"customers_with_orders"`
	Repeaters   int             `json:"repeat_customers"`
	BGNBD       *clv.BGNBD      `json:"bgnbd,omitempty"`
	GammaGamma  *clv.GammaGamma `json:"gamma_gamma,omitempty"`
	Fallback    *clv.Fallback   `json:"fallback,omitempty"`
	Contractual int             `json:"contractual_customers"`
	Notes       []string        `json:"notes,omitempty"`
	Options     clv.CLVOptions  `json:"clv_options"`
}

// unitDays is the length of a value-model time unit in days.
func unitDays(unit string) float64 {
	if unit == "day" {
		return 1
	}
	return 7
}

// rfmIn returns the frame's value-model inputs for one row in the model's
// unit; ok is false for a customer without orders.
func rfmIn(f *features.Frame, i int, days float64) (x, tx, T, mbar float64, ok bool) {
	x, tx, T = f.RFMx[i], f.RFMtx[i], f.RFMT[i]
	if math.IsNaN(x) || math.IsNaN(T) {
		return 0, 0, 0, 0, false
	}
	return x, tx / days, T / days, f.MeanRepeat[i], true
}

// fitValue fits BG/NBD and Gamma-Gamma on the non-contractual customers'
// purchase histories, in the configured unit.
func fitValue(f *features.Frame, cfg *Config, log zerolog.Logger) ValueFit {
	days := unitDays(cfg.Value.Unit)
	fit := ValueFit{Unit: cfg.Value.Unit}
	var xs, txs, Ts, ms []float64
	for i := range f.Rows() {
		if f.Contractual[i] {
			fit.Contractual++
			continue
		}
		x, tx, T, m, ok := rfmIn(f, i, days)
		if !ok || T <= 0 {
			continue
		}
		xs, txs, Ts, ms = append(xs, x), append(txs, tx), append(Ts, T), append(ms, m)
		if x > 0 {
			fit.Repeaters++
		}
	}
	fit.Customers = len(xs)
	periods := int(math.Round(float64(cfg.Value.HorizonDays) / days))
	fit.Options = clv.CLVOptions{Periods: periods, Margin: cfg.Value.Margin, DiscountPerPeriod: perPeriodDiscount(cfg.Value.AnnualDiscount, days)}
	if len(xs) == 0 {
		fit.Notes = append(fit.Notes, "no non-contractual customer with orders: BG/NBD not fitted")
		return fit
	}
	// The fallback is fitted always: it is cheap, and it stands in for
	// whichever model does not fit.
	fb := clv.FitFallback(xs, Ts, ms)
	bg, err := clv.FitBGNBD(xs, txs, Ts, clv.FitOptions{})
	if err != nil {
		fit.Fallback = &fb
		fit.Notes = append(fit.Notes, "BG/NBD: "+err.Error()+"; values use the pooled repeat rate and mean spend")
		log.Warn().Err(err).Int("customers", len(xs)).Msg("BG/NBD fit failed: value falls back to the pooled repeat rate and spend")
		return fit
	}
	fit.BGNBD = &bg
	var gx, gm []float64
	for k := range xs {
		if xs[k] > 0 && ms[k] > 0 && !math.IsNaN(ms[k]) {
			gx, gm = append(gx, xs[k]), append(gm, ms[k])
		}
	}
	gg, err := clv.FitGammaGamma(gx, gm, clv.FitOptions{})
	if err != nil {
		fit.Fallback = &fb
		fit.Notes = append(fit.Notes, "Gamma-Gamma: "+err.Error()+"; spend uses the pooled mean, shrunk per customer")
		log.Warn().Err(err).Int("customers", len(gx)).Msg("Gamma-Gamma fit failed: spend falls back to the pooled mean")
		return fit
	}
	fit.GammaGamma = &gg
	return fit
}

// perPeriodDiscount turns an annual discount rate into one per period of
// the given length in days.
func perPeriodDiscount(annual, days float64) float64 {
	return math.Pow(1+annual, days/365) - 1
}

// values computes predicted value and, where it applies, the probability of
// being alive, for every row of the frame. prob is the churn probability
// over the label horizon.
func values(f *features.Frame, prob []float64, fit ValueFit, cfg *Config) (value, pAlive []float64) {
	days := unitDays(cfg.Value.Unit)
	horizonDays := cfg.Features.Horizon.Hours() / 24
	months := float64(cfg.Value.HorizonDays) / 30
	monthly := perPeriodDiscount(cfg.Value.AnnualDiscount, 30)
	value = make([]float64, f.Rows())
	pAlive = make([]float64, f.Rows())
	// Customers valued by BG/NBD x Gamma-Gamma go through one batch call,
	// which shares the series terms across customers and periods. Value is
	// linear in margin, so the batch runs at margin 1 and each row scales.
	var batch []int
	var bx, btx, bT, bm, bmargin []float64
	for i := range f.Rows() {
		pAlive[i] = math.NaN()
		if f.Status[i] == features.Churned {
			continue
		}
		margin := f.Margin[i]
		if math.IsNaN(margin) || margin <= 0 {
			margin = cfg.Value.Margin
		}
		if f.Contractual[i] {
			// The churn model's probability over the horizon, as a monthly
			// hazard: 1 - (1-p)^(30/horizon).
			pm := 1 - math.Pow(1-clamp01(prob[i]), 30/horizonDays)
			spend := f.SpendRate[i]
			if math.IsNaN(spend) || spend < 0 {
				spend = 0
			}
			value[i] = clv.ContractualValue(pm, spend, margin, monthly, int(math.Round(months)))
			continue
		}
		x, tx, T, m, ok := rfmIn(f, i, days)
		if !ok {
			continue
		}
		opt := fit.Options
		opt.Margin = margin
		switch {
		case fit.BGNBD != nil && fit.GammaGamma != nil:
			batch = append(batch, i)
			bx, btx, bT, bm, bmargin = append(bx, x), append(btx, tx), append(bT, T), append(bm, m), append(bmargin, margin)
			pAlive[i] = fit.BGNBD.PAlive(x, tx, T)
		case fit.BGNBD != nil && fit.Fallback != nil:
			// Purchases from BG/NBD, spend from the fallback.
			value[i] = fit.BGNBD.ConditionalExpected(float64(opt.Periods), x, tx, T) * fit.Fallback.ExpectedSpend(x, m) * margin
			pAlive[i] = fit.BGNBD.PAlive(x, tx, T)
		case fit.Fallback != nil:
			value[i] = fit.Fallback.CLV(x, T, m, opt)
		}
		if math.IsNaN(value[i]) || math.IsInf(value[i], 0) {
			value[i] = 0
		}
	}
	if len(batch) > 0 {
		opt := fit.Options
		opt.Margin = 1
		dst := make([]float64, len(batch))
		fit.BGNBD.CLVBatch(dst, *fit.GammaGamma, bx, btx, bT, bm, opt)
		for k, i := range batch {
			v := dst[k] * bmargin[k]
			if math.IsNaN(v) || math.IsInf(v, 0) {
				v = 0
			}
			value[i] = v
		}
	}
	return value, pAlive
}

func clamp01(p float64) float64 { return math.Min(1, math.Max(0, p)) }

func nonNeg(v float64) float64 {
	if math.IsNaN(v) || v < 0 {
		return 0
	}
	return v
}

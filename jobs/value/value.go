package value

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"github.com/rs/zerolog"

	"churn/data"
	"churn/features"
	"churn/jobs/segment"
	"churn/model/clv"
)

// Options configures the customer value models.
type Options struct {
	// Unit is the time unit of the value models: "week" (default) or "day".
	Unit string
	// HorizonDays is how far ahead predicted value looks. Default 365.
	HorizonDays int
	// Margin applies when orders carry no margin. Default 0.3.
	Margin float64
	// AnnualDiscount is the yearly discount rate. Default 0.1.
	AnnualDiscount float64
}

// Fit is what the value models learned, as the manifest and
// `churn value` report it.
type Fit struct {
	Unit       string          `json:"unit"`
	Customers  int             `json:"customers_with_orders"`
	Repeaters  int             `json:"repeat_customers"`
	BGNBD      *clv.BGNBD      `json:"bgnbd,omitempty"`
	GammaGamma *clv.GammaGamma `json:"gamma_gamma,omitempty"`
	Fallback   *clv.Fallback   `json:"fallback,omitempty"`
	// Contractual customers are valued by shifted-beta-geometric fits, one
	// per plan (or per signup year when fewer than two plans hold
	// contractual customers); Contract says how.
	Contractual int           `json:"contractual_customers"`
	Contract    *ContractFits `json:"contract,omitempty"`
	// Discount states the one discounting rule of every value.
	Discount string `json:"discount_rule"`
	// Interval says how predicted_value_low and _high are computed.
	Interval IntervalInfo   `json:"interval"`
	Notes    []string       `json:"notes,omitempty"`
	Options  clv.CLVOptions `json:"clv_options"`
}

// IntervalInfo names the method and coverage of the value intervals.
type IntervalInfo struct {
	Method string  `json:"method"`
	Level  float64 `json:"level"`
}

// ContractFits are the sBG fits of the contractual customers.
type ContractFits struct {
	// By is "plan" or "signup_year".
	By string `json:"by"`
	// PeriodDays is the length of a renewal period.
	PeriodDays int            `json:"period_days"`
	Options    clv.CLVOptions `json:"clv_options"`
	// Pooled is the fit over every contractual customer, which a group too
	// small to fit on its own uses; nil when even that failed, and then
	// Prior holds the Beta(1 + churned, 1 + renewals) of a single churn
	// probability that every group uses.
	Pooled *clv.SBG   `json:"pooled,omitempty"`
	Prior  *clv.SBG   `json:"prior,omitempty"`
	Groups []SBGGroup `json:"groups"`
}

// SBGGroup is one plan's or signup year's sBG fit.
type SBGGroup struct {
	Group     string   `json:"group"`
	Customers int      `json:"customers"`
	Churned   int      `json:"churned"`
	Fit       *clv.SBG `json:"fit,omitempty"` // nil: the pooled fit values this group
	Note      string   `json:"note,omitempty"`
}

// ContractPeriodDays is the renewal period of the contractual value model:
// customers renew, and pay their spend rate, once per 30 days.
const ContractPeriodDays = 30

// minSBGGroup is the fewest customers a plan or signup year needs for a
// fit of its own; smaller groups use the pooled fit.
const minSBGGroup = 30

// discountRule is the sentence the manifest records; model/clv/doc.go
// states the formulas.
const discountRule = "a cash flow k periods of u days after the cutoff is divided by (1+annual_discount)^(k*u/365), counted at the end of its period"

// UnitDays is the length of a value-model time unit in days.
func UnitDays(unit string) float64 {
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

// FitFrame fits BG/NBD and Gamma-Gamma on the non-contractual customers'
// purchase histories, in the configured unit, and the sBG models of the
// contractual customers' renewals.
func FitFrame(f *features.Frame, opt Options, log zerolog.Logger) Fit {
	days := UnitDays(opt.Unit)
	fit := Fit{
		Unit:     opt.Unit,
		Discount: discountRule,
		Interval: IntervalInfo{Method: clv.IntervalMethod, Level: clv.IntervalLevel},
	}
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
	periods := int(math.Round(float64(opt.HorizonDays) / days))
	fit.Options = clv.CLVOptions{Periods: periods, Margin: opt.Margin, DiscountPerPeriod: clv.PeriodDiscount(opt.AnnualDiscount, days)}
	if fit.Contractual > 0 {
		fit.Contract = fitContracts(f, opt, &fit, log)
	}
	if len(xs) == 0 {
		if fit.Contractual < f.Rows() {
			fit.Notes = append(fit.Notes, "no non-contractual customer with orders: BG/NBD not fitted")
		}
		return fit
	}
	// The fallback is fitted always: it is cheap, and it stands in for
	// whichever model does not fit.
	fb := clv.FitFallback(xs, Ts, ms)
	bg, err := clv.FitBGNBD(xs, txs, Ts, clv.FitOptions{})
	if err != nil {
		fit.Fallback = &fb
		fit.Notes = append(fit.Notes, "BG/NBD: "+err.Error()+"; values use the pooled repeat rate and mean spend, and p_alive is left missing")
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

// Renewals returns the renewal history of a contractual row in periods of
// ContractPeriodDays: the periods completed before the cutoff, and, for a
// customer who cancelled before it, the period they cancelled in
// (1-based); churnedIn is 0 for a customer still active.
func Renewals(f *features.Frame, i int) (completed, churnedIn int) {
	period := int64(ContractPeriodDays) * int64(24*time.Hour)
	if c := f.CancelledAt[i]; c != data.NoTime {
		return 0, int(max(c-f.SignupAt[i], 0)/period) + 1
	}
	return int(max(f.Cutoff[i]-f.SignupAt[i], 0) / period), 0
}

// contractGroup names the sBG group of a contractual row.
func contractGroup(f *features.Frame, i int, byPlan bool) string {
	if byPlan {
		return f.Plan[i]
	}
	return strconv.Itoa(data.TimeOf(f.SignupAt[i]).Year())
}

// fitContracts fits one sBG per plan, or per signup year when fewer than
// two plans hold contractual customers, on the contractual customers'
// renewal histories (those still active censored at the cutoff), and a
// pooled fit that smaller or failing groups use.
func fitContracts(f *features.Frame, opt Options, fit *Fit, log zerolog.Logger) *ContractFits {
	plans := map[string]bool{}
	for i := range f.Rows() {
		if f.Contractual[i] {
			plans[f.Plan[i]] = true
		}
	}
	cf := &ContractFits{By: "signup_year", PeriodDays: ContractPeriodDays}
	byPlan := len(plans) >= 2
	if byPlan {
		cf.By = "plan"
	}
	n := int(math.Round(float64(opt.HorizonDays) / ContractPeriodDays))
	cf.Options = clv.CLVOptions{Periods: n, Margin: opt.Margin, DiscountPerPeriod: clv.PeriodDiscount(opt.AnnualDiscount, ContractPeriodDays)}
	type counts struct{ churned, alive []float64 }
	add := func(c *counts, completed, churnedIn int) {
		t := max(completed, churnedIn)
		for len(c.churned) <= t {
			c.churned, c.alive = append(c.churned, 0), append(c.alive, 0)
		}
		if churnedIn > 0 {
			c.churned[churnedIn]++
		} else {
			c.alive[completed]++
		}
	}
	var pooled counts
	groups := map[string]*counts{}
	for i := range f.Rows() {
		if !f.Contractual[i] {
			continue
		}
		completed, churnedIn := Renewals(f, i)
		g := contractGroup(f, i, byPlan)
		if groups[g] == nil {
			groups[g] = &counts{}
		}
		add(groups[g], completed, churnedIn)
		add(&pooled, completed, churnedIn)
	}
	sum := func(v []float64) (s float64) {
		for _, x := range v {
			s += x
		}
		return s
	}
	if m, err := clv.FitSBGCensored(pooled.churned, pooled.alive); err == nil {
		cf.Pooled = &m
	} else {
		// Nothing to learn heterogeneity from: one churn probability with
		// a uniform prior, updated by every renewal and cancellation seen.
		var ren float64
		for t, w := range pooled.alive {
			ren += float64(t) * w
		}
		for t, w := range pooled.churned {
			ren += float64(max(t-1, 0)) * w
		}
		nan := math.NaN()
		// No covariance: the intervals are left missing (NaN).
		prior := clv.SBG{Alpha: 1 + sum(pooled.churned), Beta: 1 + ren, Cov: [4]float64{nan, nan, nan, nan}}
		cf.Prior = &prior
		fit.Notes = append(fit.Notes, fmt.Sprintf("sBG pooled over %d contractual customers: %v; every customer uses Beta(1 + churned, 1 + renewals) = Beta(%g, %g), and predicted_value_low/high are missing", int(sum(pooled.alive)+sum(pooled.churned)), err, prior.Alpha, prior.Beta))
		log.Warn().Err(err).Msg("sBG fit failed: contractual values use one churn probability")
	}
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	sort.Strings(names)
	for _, g := range names {
		c := groups[g]
		sg := SBGGroup{Group: g, Customers: int(sum(c.churned) + sum(c.alive)), Churned: int(sum(c.churned))}
		switch {
		case cf.Pooled == nil:
		case sg.Customers < minSBGGroup:
			sg.Note = fmt.Sprintf("%d customers, fewer than %d: the pooled fit applies", sg.Customers, minSBGGroup)
		default:
			m, err := clv.FitSBGCensored(c.churned, c.alive)
			if err != nil {
				sg.Note = err.Error() + ": the pooled fit applies"
			} else {
				sg.Fit = &m
			}
		}
		cf.Groups = append(cf.Groups, sg)
	}
	return cf
}

// Model returns the sBG that values a contractual customer of group g,
// and whether it carries a covariance for the interval.
func (cf *ContractFits) Model(g string) clv.SBG {
	i := sort.Search(len(cf.Groups), func(k int) bool { return cf.Groups[k].Group >= g })
	if i < len(cf.Groups) && cf.Groups[i].Group == g && cf.Groups[i].Fit != nil {
		return *cf.Groups[i].Fit
	}
	if cf.Pooled != nil {
		return *cf.Pooled
	}
	return *cf.Prior
}

// valued is every customer's value with its interval, and P(alive).
type valued = segment.Valued

// Values computes every customer's predicted value, its interval and, for
// customers without a contract, P(alive). Non-contractual customers who
// have bought are valued by BG/NBD x Gamma-Gamma (or the fallback) whatever
// their status: quiet customers are what P(alive) is for. Contractual
// customers are valued by their group's sBG fit, spend rate and margin; one
// who cancelled before the cutoff is worth 0. Customers who never bought
// (without a contract) are worth 0. Every path discounts by the same rule
// (model/clv/doc.go).
func Values(f *features.Frame, fit Fit, opt Options) valued {
	days := UnitDays(opt.Unit)
	n := f.Rows()
	v := valued{Value: make([]float64, n), Low: make([]float64, n), High: make([]float64, n), PAlive: make([]float64, n)}
	// Value is linear in margin, so the batch runs at margin 1 and each
	// row scales.
	var batch []int
	var bx, btx, bT, bm []float64
	for i := range n {
		v.PAlive[i] = math.NaN()
		margin := f.Margin[i]
		if math.IsNaN(margin) || margin <= 0 {
			margin = opt.Margin
		}
		if f.Contractual[i] {
			if f.CancelledAt[i] != data.NoTime || fit.Contract == nil {
				continue
			}
			spend := f.SpendRate[i]
			if math.IsNaN(spend) || spend < 0 {
				spend = 0
			}
			completed, _ := Renewals(f, i)
			m := fit.Contract.Model(contractGroup(f, i, fit.Contract.By == "plan"))
			o := fit.Contract.Options
			pay := m.DiscountedPayments(completed, o.Periods, o.DiscountPerPeriod)
			v.Value[i] = margin * spend * pay
			v.Low[i], v.High[i] = clv.Interval(v.Value[i], m.PaymentsLogVar(completed, o.Periods, o.DiscountPerPeriod))
			continue
		}
		x, tx, T, m, ok := rfmIn(f, i, days)
		if !ok {
			continue
		}
		switch {
		case fit.BGNBD != nil:
			batch = append(batch, i)
			bx, btx, bT, bm = append(bx, x), append(btx, tx), append(bT, T), append(bm, m)
			v.PAlive[i] = fit.BGNBD.PAlive(x, tx, T)
		case fit.Fallback != nil:
			opt := fit.Options
			opt.Margin = margin
			v.Value[i] = fit.Fallback.CLV(x, T, m, opt)
			v.Low[i], v.High[i] = clv.Interval(v.Value[i], fit.Fallback.PurchasesLogVar(x)+fit.Fallback.SpendLogVar(x, m))
		}
	}
	if len(batch) > 0 {
		var spend clv.Spend = fit.Fallback
		if fit.GammaGamma != nil {
			spend = *fit.GammaGamma
		}
		opt := fit.Options
		opt.Margin = 1
		val, lo, hi := make([]float64, len(batch)), make([]float64, len(batch)), make([]float64, len(batch))
		fit.BGNBD.ValueBatch(val, lo, hi, spend, bx, btx, bT, bm, opt)
		for k, i := range batch {
			margin := f.Margin[i]
			if math.IsNaN(margin) || margin <= 0 {
				margin = opt.Margin
			}
			v.Value[i], v.Low[i], v.High[i] = val[k]*margin, lo[k]*margin, hi[k]*margin
		}
	}
	for i := range n {
		// A value is a finite amount >= 0 by construction; anything else
		// would be a defect, and is written as 0 rather than spread.
		if x := v.Value[i]; math.IsNaN(x) || math.IsInf(x, 0) || x < 0 {
			v.Value[i], v.Low[i], v.High[i] = 0, 0, 0
		}
	}
	return v
}

func clamp01(p float64) float64 { return math.Min(1, math.Max(0, p)) }

func nonNeg(v float64) float64 {
	if math.IsNaN(v) || v < 0 {
		return 0
	}
	return v
}

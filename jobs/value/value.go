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
// contractual customers' renewals: FitInputs of the InputsOf every row.
func FitFrame(f *features.Frame, opt Options, log zerolog.Logger) Fit {
	return FitInputs(InputsOf(f, opt), opt, log)
}

// Inputs are what the value models are fitted on, a few numbers per
// customer: the purchase summaries of the non-contractual customers who
// bought (in the frame's row order) and the renewal counts of the
// contractual customers per plan and per signup year. Inputs of
// consecutive customer ranges, merged in customer order (Merge), are the
// Inputs of the whole frame, so the fits are the same bit for bit.
type Inputs struct {
	Rows        int // customers, with or without orders
	Contractual int
	// X, Tx, T and M are the BG/NBD and Gamma-Gamma inputs in the
	// model's unit, of the non-contractual customers with orders and
	// T > 0.
	X, Tx, T, M []float64
	// Plans and Years count the contractual customers' renewals by plan
	// and by signup year.
	Plans, Years map[string]*RenewalCounts
}

// RenewalCounts counts a group's contractual customers by the period they
// cancelled in (Churned[t]) or, still active, the periods completed
// (Alive[t]): the censored sBG's data.
type RenewalCounts struct {
	Churned, Alive []float64
}

func (c *RenewalCounts) add(completed, churnedIn int) {
	t := max(completed, churnedIn)
	for len(c.Churned) <= t {
		c.Churned, c.Alive = append(c.Churned, 0), append(c.Alive, 0)
	}
	if churnedIn > 0 {
		c.Churned[churnedIn]++
	} else {
		c.Alive[completed]++
	}
}

// merge adds o's counts; they are whole numbers, so the sums are exact in
// any order.
func (c *RenewalCounts) merge(o *RenewalCounts) {
	for len(c.Churned) < len(o.Churned) {
		c.Churned, c.Alive = append(c.Churned, 0), append(c.Alive, 0)
	}
	for t := range o.Churned {
		c.Churned[t] += o.Churned[t]
		c.Alive[t] += o.Alive[t]
	}
}

func mergeGroups(dst *map[string]*RenewalCounts, src map[string]*RenewalCounts) {
	for g, c := range src {
		if *dst == nil {
			*dst = map[string]*RenewalCounts{}
		}
		if (*dst)[g] == nil {
			(*dst)[g] = &RenewalCounts{}
		}
		(*dst)[g].merge(c)
	}
}

// InputsOf returns the value models' inputs of f's rows.
func InputsOf(f *features.Frame, opt Options) *Inputs {
	days := UnitDays(opt.Unit)
	in := &Inputs{Rows: f.Rows()}
	for i := range f.Rows() {
		if f.Contractual[i] {
			in.Contractual++
			completed, churnedIn := Renewals(f, i)
			for _, g := range []struct {
				m    *map[string]*RenewalCounts
				name string
			}{{&in.Plans, contractGroup(f, i, true)}, {&in.Years, contractGroup(f, i, false)}} {
				if *g.m == nil {
					*g.m = map[string]*RenewalCounts{}
				}
				if (*g.m)[g.name] == nil {
					(*g.m)[g.name] = &RenewalCounts{}
				}
				(*g.m)[g.name].add(completed, churnedIn)
			}
			continue
		}
		x, tx, T, m, ok := rfmIn(f, i, days)
		if !ok || T <= 0 {
			continue
		}
		in.X, in.Tx, in.T, in.M = append(in.X, x), append(in.Tx, tx), append(in.T, T), append(in.M, m)
	}
	return in
}

// Merge appends o, the inputs of the customers that follow in's.
func (in *Inputs) Merge(o *Inputs) {
	in.Rows += o.Rows
	in.Contractual += o.Contractual
	in.X, in.Tx, in.T, in.M = append(in.X, o.X...), append(in.Tx, o.Tx...), append(in.T, o.T...), append(in.M, o.M...)
	mergeGroups(&in.Plans, o.Plans)
	mergeGroups(&in.Years, o.Years)
}

// FitInputs fits the value models on in, the inputs of every customer in
// customer order.
func FitInputs(in *Inputs, opt Options, log zerolog.Logger) Fit {
	days := UnitDays(opt.Unit)
	fit := Fit{
		Unit:     opt.Unit,
		Discount: discountRule,
		Interval: IntervalInfo{Method: clv.IntervalMethod, Level: clv.IntervalLevel},
	}
	xs, txs, Ts, ms := in.X, in.Tx, in.T, in.M
	fit.Contractual = in.Contractual
	for _, x := range xs {
		if x > 0 {
			fit.Repeaters++
		}
	}
	fit.Customers = len(xs)
	periods := int(math.Round(float64(opt.HorizonDays) / days))
	fit.Options = clv.CLVOptions{Periods: periods, Margin: opt.Margin, DiscountPerPeriod: clv.PeriodDiscount(opt.AnnualDiscount, days)}
	if fit.Contractual > 0 {
		fit.Contract = fitContracts(in, opt, &fit, log)
	}
	if len(xs) == 0 {
		if fit.Contractual < in.Rows {
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
func fitContracts(in *Inputs, opt Options, fit *Fit, log zerolog.Logger) *ContractFits {
	cf := &ContractFits{By: "signup_year", PeriodDays: ContractPeriodDays}
	groups := in.Years
	if len(in.Plans) >= 2 {
		cf.By, groups = "plan", in.Plans
	}
	n := int(math.Round(float64(opt.HorizonDays) / ContractPeriodDays))
	cf.Options = clv.CLVOptions{Periods: n, Margin: opt.Margin, DiscountPerPeriod: clv.PeriodDiscount(opt.AnnualDiscount, ContractPeriodDays)}
	var pooled RenewalCounts
	for _, c := range groups {
		pooled.merge(c)
	}
	sum := func(v []float64) (s float64) {
		for _, x := range v {
			s += x
		}
		return s
	}
	if m, err := clv.FitSBGCensored(pooled.Churned, pooled.Alive); err == nil {
		cf.Pooled = &m
	} else {
		// Nothing to learn heterogeneity from: one churn probability with
		// a uniform prior, updated by every renewal and cancellation seen.
		var ren float64
		for t, w := range pooled.Alive {
			ren += float64(t) * w
		}
		for t, w := range pooled.Churned {
			ren += float64(max(t-1, 0)) * w
		}
		nan := math.NaN()
		// No covariance: the intervals are left missing (NaN).
		prior := clv.SBG{Alpha: 1 + sum(pooled.Churned), Beta: 1 + ren, Cov: [4]float64{nan, nan, nan, nan}}
		cf.Prior = &prior
		fit.Notes = append(fit.Notes, fmt.Sprintf("sBG pooled over %d contractual customers: %v; every customer uses Beta(1 + churned, 1 + renewals) = Beta(%g, %g), and predicted_value_low/high are missing", int(sum(pooled.Alive)+sum(pooled.Churned)), err, prior.Alpha, prior.Beta))
		log.Warn().Err(err).Msg("sBG fit failed: contractual values use one churn probability")
	}
	names := make([]string, 0, len(groups))
	for g := range groups {
		names = append(names, g)
	}
	sort.Strings(names)
	for _, g := range names {
		c := groups[g]
		sg := SBGGroup{Group: g, Customers: int(sum(c.Churned) + sum(c.Alive)), Churned: int(sum(c.Churned))}
		switch {
		case cf.Pooled == nil:
		case sg.Customers < minSBGGroup:
			sg.Note = fmt.Sprintf("%d customers, fewer than %d: the pooled fit applies", sg.Customers, minSBGGroup)
		default:
			m, err := clv.FitSBGCensored(c.Churned, c.Alive)
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

package jobs

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"churn/data"
	"churn/data/runs"
	"churn/features"
	"churn/jobs/segment"
	"churn/jobs/value"
	"churn/model/clv"
)

// closedPAlive is P(alive | x, t_x, T) of Fader, Hardie & Lee (2005),
// eq. A.10, written out here rather than taken from model/clv.
func closedPAlive(bg *clv.BGNBD, x, tx, T float64) float64 {
	if x == 0 {
		return 1
	}
	return 1 / (1 + bg.A/(bg.B+x-1)*math.Pow((bg.Alpha+T)/(bg.Alpha+tx), bg.R+x))
}

// closedEY is E[Y(t) | x, t_x, T] of FHL (2005), eq. 10, with the Gauss
// hypergeometric function summed directly (no Euler transformation, unlike
// model/clv), which is accurate for the moderate x and t of CDNOW.
func closedEY(bg *clv.BGNBD, t, x, tx, T float64) float64 {
	if t == 0 {
		return 0
	}
	a, b, c := bg.R+x, bg.B+x, bg.A+bg.B+x-1
	z := t / (bg.Alpha + T + t)
	term, f := 1.0, 1.0
	for k := 0.0; k < 100000; k++ {
		term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
		f += term
		if math.Abs(term) < 1e-17*f {
			break
		}
	}
	num := (bg.A + bg.B + x - 1) / (bg.A - 1) * (1 - math.Pow((bg.Alpha+T)/(bg.Alpha+T+t), bg.R+x)*f)
	return num * closedPAlive(bg, x, tx, T) // 1/D = P(alive)
}

// TestValueCDNOWClosedForm checks `churn value` on CDNOW as
// of 1997-10-01, in weeks, against the closed forms with the fitted
// parameters. For every customer p_alive equals FHL's eq. A.10 within
// 1e-6; predicted_value equals margin x E[M | x, m̄] (Fader & Hardie 2013,
// eq. 5; the population mean for x = 0) x Σ_k (E[Y(k)] - E[Y(k-1)]) /
// (1+d)^k (FHL eq. 10, model/clv/doc.go's discounting) within 1e-6
// relative, so no customer with a positive closed-form value is valued at
// 0 and the values rank as the closed form ranks them; and every interval
// holds its value.
func TestValueCDNOWClosedForm(t *testing.T) {
	root := filepath.Join(t.TempDir(), "cdnow")
	if _, err := Import(context.Background(), Env{}, "cdnow", cdnowFile, root); err != nil {
		t.Fatal(err)
	}
	cfg, env := sampleConfig(t)
	cfg.Data = root
	cfg.AsOf = time.Date(1997, 10, 1, 0, 0, 0, 0, time.UTC)
	cfg.Value.Unit = "week"
	out := filepath.Join(t.TempDir(), "values.parquet")
	sum, err := Value(context.Background(), cfg, env, out)
	if err != nil {
		t.Fatal(err)
	}
	bg, gg := sum.Fit.BGNBD, sum.Fit.GammaGamma
	if bg == nil || gg == nil || sum.Fit.Fallback != nil {
		t.Fatalf("fits: %+v", sum.Fit)
	}
	if sum.Fit.Interval.Method == "" || sum.Fit.Interval.Level != 0.95 {
		t.Errorf("interval %+v, want the method and level 0.95", sum.Fit.Interval)
	}
	cols, err := data.ReadColumns(out)
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]data.OutColumn{}
	for _, c := range cols {
		col[c.Name] = c
	}
	ids := col["customer_id"].Strings
	value, low, high, pAlive := col["predicted_value"].Floats, col["predicted_value_low"].Floats, col["predicted_value_high"].Floats, col["p_alive"].Floats
	x, tx, T, mbar := col["frequency"].Floats, col["recency"].Floats, col["age"].Floats, col["mean_repeat_spend"].Floats
	if len(ids) != 2357 {
		t.Fatalf("%d customers, want 2357", len(ids))
	}
	margin := cfg.Value.Margin
	if fm := features.DefaultConfig().DefaultMargin; fm != margin {
		t.Fatalf("order margin default %v and value margin %v differ; the closed form below assumes one", fm, margin)
	}
	opt := sum.Fit.Options
	closed := make([]float64, len(ids))
	zero, quiet := 0, 0
	for i := range ids {
		if want := closedPAlive(bg, x[i], tx[i], T[i]); math.IsNaN(pAlive[i]) || math.Abs(pAlive[i]-want) > 1e-6 {
			t.Errorf("customer %s (x=%g t_x=%.4f T=%.4f): p_alive %v, closed form %.9f", ids[i], x[i], tx[i], T[i], pAlive[i], want)
		}
		spend := gg.P * gg.Gamma / (gg.Q - 1)
		if x[i] > 0 {
			spend = gg.P * (gg.Gamma + x[i]*mbar[i]) / (gg.P*x[i] + gg.Q - 1)
		}
		prev, s := 0.0, 0.0
		for k := 1; k <= opt.Periods; k++ {
			e := closedEY(bg, float64(k), x[i], tx[i], T[i])
			s += (e - prev) / math.Pow(1+opt.DiscountPerPeriod, float64(k))
			prev = e
		}
		closed[i] = margin * spend * s
		if closed[i] > 0 && value[i] == 0 {
			zero++
		}
		if math.Abs(value[i]-closed[i]) > 1e-6*closed[i] {
			t.Errorf("customer %s (x=%g t_x=%.4f T=%.4f): value %.9g, closed form %.9g", ids[i], x[i], tx[i], T[i], value[i], closed[i])
		}
		if !(low[i] <= value[i] && value[i] <= high[i] && low[i] > 0) {
			t.Errorf("customer %s: interval [%v, %v] does not hold the value %v", ids[i], low[i], high[i], value[i])
		}
		if T[i]-tx[i] > 13 {
			quiet++
		}
	}
	if zero > 0 {
		t.Errorf("%d customers with a positive closed-form value are valued at 0", zero)
	}
	idx := make([]int, len(ids))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return closed[idx[a]] < closed[idx[b]] })
	for k := 1; k < len(idx); k++ {
		i, j := idx[k-1], idx[k]
		if closed[j] > closed[i]*(1+1e-5) && !(value[j] > value[i]) {
			t.Errorf("customers %s and %s: closed form %.9g < %.9g but values %.9g, %.9g", ids[i], ids[j], closed[i], closed[j], value[i], value[j])
		}
	}
	t.Logf("2357 customers valued, %d quiet for over a quarter; r=%.4f alpha=%.4f a=%.4f b=%.4f; p=%.3f q=%.3f gamma=%.3f",
		quiet, bg.R, bg.Alpha, bg.A, bg.B, gg.P, gg.Q, gg.Gamma)
}

// lbetaT is ln B(a, b).
func lbetaT(a, b float64) float64 {
	la, _ := math.Lgamma(a)
	lb, _ := math.Lgamma(b)
	lab, _ := math.Lgamma(a + b)
	return la + lb - lab
}

// derl is Fader & Hardie (2010), "Customer-Base Valuation in a Contractual
// Setting", eq. 6: the discounted expected residual lifetime of a customer
// who has made m renewals, B(α, β+m+1)/B(α, β+m) · 2F1(1, β+m+1;
// α+β+m+1; 1/(1+d)), the series summed here.
func derl(alpha, beta float64, m int, d float64) float64 {
	b := beta + float64(m) + 1
	c := alpha + b
	z := 1 / (1 + d)
	term, f := 1.0, 1.0
	for k := 0.0; k < 1e7; k++ {
		term *= (b + k) / (c + k) * z
		f += term
		if term < 1e-17*f {
			break
		}
	}
	return math.Exp(lbetaT(alpha, b)-lbetaT(alpha, b-1)) * f
}

// TestContractualValuesMatchSBG values the embedded sample (generated by
// package synth: subscription plans with cancellations, and
// pay-as-you-go) and holds every active contractual customer's value to
// the sBG closed form with their group's fitted parameters: margin x
// spend rate x [DERL(m) - (1+d)^-n B(α, β+m+n)/B(α, β+m) DERL(m+n)] /
// (1+d), the n-period horizon as the difference of two DERLs of Fader &
// Hardie (2010) (model/clv/doc.go), within contractTol. Customers who
// cancelled before the cutoff are worth 0.
func TestContractualValuesMatchSBG(t *testing.T) {
	// contractTol: the closed form's ratios of Beta functions come from
	// differences of lnΓ of arguments near 10^6 for a plan whose churn is
	// homogeneous (α, β large), which leaves about 8 significant digits.
	const contractTol = 1e-7
	cfg, env := sampleConfig(t)
	ctx := context.Background()
	_, asOf, ds, err := openDataset(&cfg, &env)
	if err != nil {
		t.Fatal(err)
	}
	cut := asOf.UnixNano()
	ld, err := loadFrame(ctx, &cfg, &env, ds, []int64{cut}, cut, env.Log)
	if err != nil {
		t.Fatal(err)
	}
	f := ld.Frame
	fit := value.FitFrame(f, cfg.Value, env.Log)
	cf := fit.Contract
	if cf == nil || cf.Pooled == nil {
		t.Fatalf("no pooled sBG fit: %+v", fit)
	}
	own := 0
	for _, g := range cf.Groups {
		if g.Fit != nil {
			own++
			t.Logf("%s %s: %d customers, %d churned: alpha %.4f (se %.4f) beta %.4f (se %.4f)", cf.By, g.Group, g.Customers, g.Churned, g.Fit.Alpha, g.Fit.SE[0], g.Fit.Beta, g.Fit.SE[1])
		}
	}
	if cf.By != "plan" || own < 2 {
		t.Fatalf("sBG fitted by %q with %d groups of their own, want per plan, 2 or more", cf.By, own)
	}
	v := value.Values(f, fit, cfg.Value)
	period := float64(value.ContractPeriodDays) * 24 * float64(time.Hour)
	n, d := cf.Options.Periods, cf.Options.DiscountPerPeriod
	if n != 12 || math.Abs(d-(math.Pow(1.1, 30.0/365)-1)) > 1e-15 {
		t.Errorf("contract horizon %d periods at %v a period, want 12 at 1.1^(30/365)-1", n, d)
	}
	checked := 0
	for i := range f.Rows() {
		if !f.Contractual[i] {
			continue
		}
		if f.CancelledAt[i] != data.NoTime {
			if v.Value[i] != 0 {
				t.Errorf("customer %s cancelled before the cutoff: value %v, want 0", f.CustomerID[i], v.Value[i])
			}
			continue
		}
		m := cf.Model(f.Plan[i])
		r := int(math.Floor(float64(f.Cutoff[i]-f.SignupAt[i]) / period))
		ratio := math.Exp(lbetaT(m.Alpha, m.Beta+float64(r+n)) - lbetaT(m.Alpha, m.Beta+float64(r)))
		pay := (derl(m.Alpha, m.Beta, r, d) - math.Pow(1+d, -float64(n))*ratio*derl(m.Alpha, m.Beta, r+n, d)) / (1 + d)
		margin := f.Margin[i]
		if math.IsNaN(margin) || margin <= 0 {
			margin = cfg.Value.Margin
		}
		spend := math.Max(f.SpendRate[i], 0)
		if math.IsNaN(spend) {
			spend = 0
		}
		want := margin * spend * pay
		if math.Abs(v.Value[i]-want) > contractTol*want || (want == 0 && v.Value[i] != 0) {
			t.Errorf("customer %s (plan %s, %d renewals): value %.12g, sBG closed form %.12g", f.CustomerID[i], f.Plan[i], r, v.Value[i], want)
		}
		if want > 0 && !(v.Low[i] < want && want < v.High[i]) {
			t.Errorf("customer %s: interval [%v, %v] misses the value %v", f.CustomerID[i], v.Low[i], v.High[i], want)
		}
		checked++
	}
	if checked < 100 {
		t.Errorf("%d active contractual customers checked, want 100 or more", checked)
	}
	t.Logf("%d active contractual customers match the sBG closed form", checked)
}

// TestContractsBySignupYear: with a single plan the sBG is fitted per
// signup year. Customers drawn from a known sBG (θ ~ Beta(1, 3) per
// 30-day period), signing up over two years and observed to the cutoff,
// give each year's fit near the truth, and each customer the value of
// their year's fit.
func TestContractsBySignupYear(t *testing.T) {
	const alpha, beta = 1.0, 3.0
	rng := rand.New(rand.NewPCG(21, 22))
	cut := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	period := time.Duration(value.ContractPeriodDays) * 24 * time.Hour
	f := &features.Frame{}
	for i := range 4000 {
		signup := cut.AddDate(-2, 0, 0).Add(time.Duration(rng.Int64N(int64(2 * 365 * 24 * time.Hour))))
		th := rng.Float64() // Beta(1, 3) by inversion: 1 - (1-u)^(1/3)
		th = 1 - math.Pow(1-th, 1/beta)
		cancelled := data.NoTime
		for k := 1; signup.Add(time.Duration(k) * period).Before(cut); k++ {
			if rng.Float64() < th {
				cancelled = signup.Add(time.Duration(k)*period - time.Hour).UnixNano()
				break
			}
		}
		f.CustomerID = append(f.CustomerID, fmt.Sprintf("c%05d", i))
		f.Cutoff = append(f.Cutoff, cut.UnixNano())
		f.Status = append(f.Status, features.Active)
		f.Plan = append(f.Plan, "monthly")
		f.Region = append(f.Region, "")
		f.Contractual = append(f.Contractual, true)
		f.SignupAt = append(f.SignupAt, signup.UnixNano())
		f.CancelledAt = append(f.CancelledAt, cancelled)
		for _, c := range []*[]float64{&f.RFMx, &f.RFMtx, &f.RFMT, &f.MeanRepeat} {
			*c = append(*c, math.NaN())
		}
		f.SpendRate = append(f.SpendRate, 50)
		f.Margin = append(f.Margin, 0.4)
	}
	cfg := DefaultConfig()
	fit := value.FitFrame(f, cfg.Value, zerolog.Nop())
	cf := fit.Contract
	if cf == nil || cf.By != "signup_year" || len(cf.Groups) != 2 {
		t.Fatalf("contract fits %+v, want per signup year, 2024 and 2025", cf)
	}
	for _, g := range cf.Groups {
		m := g.Fit
		if m == nil {
			t.Logf("%s: %d customers, %s", g.Group, g.Customers, g.Note)
			continue
		}
		t.Logf("%s: %d customers, %d churned: alpha %.3f (se %.3f) beta %.3f (se %.3f)", g.Group, g.Customers, g.Churned, m.Alpha, m.SE[0], m.Beta, m.SE[1])
		if math.Abs(m.Alpha-alpha) > 4*m.SE[0] || math.Abs(m.Beta-beta) > 4*m.SE[1] {
			t.Errorf("%s: alpha %.3f±%.3f beta %.3f±%.3f, want %g and %g", g.Group, m.Alpha, m.SE[0], m.Beta, m.SE[1], alpha, beta)
		}
	}
	v := value.Values(f, fit, cfg.Value)
	for i := range f.Rows() {
		r, _ := value.Renewals(f, i)
		m := cf.Model(strconv.Itoa(time.Unix(0, f.SignupAt[i]).UTC().Year()))
		want := 0.0
		if f.CancelledAt[i] == data.NoTime {
			want = 0.4 * 50 * m.DiscountedPayments(r, cf.Options.Periods, cf.Options.DiscountPerPeriod)
		}
		if v.Value[i] != want {
			t.Errorf("customer %s: value %v, want %v", f.CustomerID[i], v.Value[i], want)
		}
	}
}

// TestValueTiersOverCustomersWithAValue: the tier quantiles are taken over
// the customers with a positive value, whatever their status, and
// customers without one are low.
func TestValueTiersOverCustomersWithAValue(t *testing.T) {
	cfg := DefaultConfig()
	// Ten customers with a value 1..10 (the 80% quantile is 8.2, the 50%
	// one 5.5) and five without.
	value := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 0, 0, 0, 0}
	got := segment.ValueTiers(value, cfg.Segments)
	want := []string{"low", "low", "low", "low", "low", "medium", "medium", "medium", "high", "high", "low", "low", "low", "low", "low"}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("value %v: tier %q, want %q (all: %v)", value[i], got[i], want[i], got)
		}
	}
	// A quiet non-contractual customer (status churned) keeps the value
	// and tier the model gives them; the segment stays churned.
	if seg := segment.Of(cfg.Segments, features.Churned, "low", got[9]); seg != cfg.SegmentName(runs.Churned) {
		t.Errorf("churned status: segment %q, want %q", seg, runs.Churned)
	}
	if seg := segment.Of(cfg.Segments, features.Active, "high", got[9]); seg != cfg.SegmentName(runs.AtRiskHighValue) {
		t.Errorf("active, high risk, high tier: segment %q, want %q", seg, runs.AtRiskHighValue)
	}
}

// TestContractsWithoutChurn: when no contractual customer has cancelled
// (label: contractual on data without cancellations) the sBG cannot be
// fitted; every customer is valued with Beta(1 + churned, 1 + renewals)
// as one churn probability, the intervals are missing, and a note says so.
func TestContractsWithoutChurn(t *testing.T) {
	cut := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f := &features.Frame{}
	for i := range 50 {
		f.CustomerID = append(f.CustomerID, fmt.Sprintf("c%02d", i))
		f.Cutoff = append(f.Cutoff, cut.UnixNano())
		f.Status = append(f.Status, features.Active)
		f.Plan = append(f.Plan, "")
		f.Region = append(f.Region, "")
		f.Contractual = append(f.Contractual, true)
		f.SignupAt = append(f.SignupAt, cut.AddDate(0, -i, -1).UnixNano())
		f.CancelledAt = append(f.CancelledAt, data.NoTime)
		for _, c := range []*[]float64{&f.RFMx, &f.RFMtx, &f.RFMT, &f.MeanRepeat} {
			*c = append(*c, math.NaN())
		}
		f.SpendRate = append(f.SpendRate, 20)
		f.Margin = append(f.Margin, 0.5)
	}
	cfg := DefaultConfig()
	fit := value.FitFrame(f, cfg.Value, zerolog.Nop())
	cf := fit.Contract
	if cf == nil || cf.Pooled != nil || cf.Prior == nil || len(fit.Notes) == 0 {
		t.Fatalf("contract fits %+v, notes %q: want no pooled fit, a prior and a note", cf, fit.Notes)
	}
	v := value.Values(f, fit, cfg.Value)
	for i := range f.Rows() {
		r, _ := value.Renewals(f, i)
		want := 0.5 * 20 * cf.Prior.DiscountedPayments(r, cf.Options.Periods, cf.Options.DiscountPerPeriod)
		if !(want > 0) || v.Value[i] != want || !math.IsNaN(v.Low[i]) || !math.IsNaN(v.High[i]) {
			t.Errorf("customer %s: value %v [%v, %v], want %v with no interval", f.CustomerID[i], v.Value[i], v.Low[i], v.High[i], want)
		}
	}
}

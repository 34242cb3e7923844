package clv

import (
	"errors"
	"math"
	"testing"

	"gonum.org/v1/gonum/diff/fd"
)

var cdnowParams = BGNBD{R: 0.2425945, Alpha: 4.4136019, A: 0.7929199, B: 2.4258881}

func TestBGNBDGradient(t *testing.T) {
	x := []float64{0, 1, 2, 5, 0, 30}
	tx := []float64{0, 3.5, 10, 20, 0, 38}
	T := []float64{10, 38, 20, 39, 5, 39}
	d, err := newBGData(x, tx, T)
	if err != nil {
		t.Fatal(err)
	}
	th := []float64{0.7, 3, 1.3, 2.2}
	got := make([]float64, 4)
	d.loglik(th, got)
	want := make([]float64, 4)
	fd.Gradient(want, func(p []float64) float64 { return d.loglik(p, nil) }, th, &fd.Settings{Formula: fd.Central, Step: 1e-6})
	for i := range got {
		if math.Abs(got[i]-want[i]) > 1e-5*math.Max(1, math.Abs(want[i])) {
			t.Errorf("d ll / d th[%d] = %.8g, finite differences %.8g", i, got[i], want[i])
		}
	}
}

func TestGammaGammaGradient(t *testing.T) {
	d, _, err := newGGData([]float64{1, 2, 2, 7}, []float64{10, 20.5, 3, 41})
	if err != nil {
		t.Fatal(err)
	}
	th := []float64{3, 2.5, 12}
	got := make([]float64, 3)
	d.loglik(th, got)
	want := make([]float64, 3)
	fd.Gradient(want, func(p []float64) float64 { return d.loglik(p, nil) }, th, &fd.Settings{Formula: fd.Central, Step: 1e-6})
	for i := range got {
		if math.Abs(got[i]-want[i]) > 1e-5*math.Max(1, math.Abs(want[i])) {
			t.Errorf("d ll / d th[%d] = %.8g, finite differences %.8g", i, got[i], want[i])
		}
	}
}

// direct2F1 is the plain Gauss series, for checking bracket where it is
// safe (moderate x, z).
func direct2F1(a, b, c, z float64) float64 {
	term, s := 1.0, 1.0
	for k := 0.0; k < 100000; k++ {
		term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
		s += term
		if math.Abs(term) < 1e-18*math.Abs(s) {
			break
		}
	}
	return s
}

func TestConditionalExpectedAgreesWithDirectFormula(t *testing.T) {
	m := cdnowParams
	for _, c := range []struct{ t, x, tx, T float64 }{
		{39, 2, 30.43, 38.86}, {10, 0, 0, 20}, {52, 7, 35, 39}, {5, 1, 1, 2},
	} {
		z := c.t / (m.Alpha + c.T + c.t)
		f := direct2F1(m.R+c.x, m.B+c.x, m.A+m.B+c.x-1, z)
		num := (m.A + m.B + c.x - 1) / (m.A - 1) * (1 - math.Pow((m.Alpha+c.T)/(m.Alpha+c.T+c.t), m.R+c.x)*f)
		den := 1.0
		if c.x > 0 {
			den += m.A / (m.B + c.x - 1) * math.Pow((m.Alpha+c.T)/(m.Alpha+c.tx), m.R+c.x)
		}
		want := num / den
		if got := m.ConditionalExpected(c.t, c.x, c.tx, c.T); math.Abs(got-want) > 1e-10*math.Max(1, want) {
			t.Errorf("E[Y(%g) | %g, %g, %g] = %.12g, direct formula %.12g", c.t, c.x, c.tx, c.T, got, want)
		}
	}
}

func TestPredictionsStayFinite(t *testing.T) {
	for _, c := range []struct {
		name        string
		m           BGNBD
		t, x, tx, T float64
	}{
		{"large x", cdnowParams, 52, 5000, 3000, 3000},
		{"large x, old last purchase", cdnowParams, 52, 5000, 10, 3000},
		{"long horizon", cdnowParams, 1e5, 3, 20, 39},
		{"a = 1", BGNBD{R: 0.3, Alpha: 4, A: 1, B: 2.5}, 39, 2, 30, 39},
		{"a just above 1", BGNBD{R: 0.3, Alpha: 4, A: 1 + 1e-12, B: 2.5}, 39, 2, 30, 39},
		{"T = 0", cdnowParams, 39, 0, 0, 0},
	} {
		e := c.m.ConditionalExpected(c.t, c.x, c.tx, c.T)
		p := c.m.PAlive(c.x, c.tx, c.T)
		if !finite(e) || e < 0 || !(p >= 0 && p <= 1) {
			t.Errorf("%s: E=%v PAlive=%v, want finite, E >= 0, PAlive in [0,1]", c.name, e, p)
		}
	}
	// a -> 1 is a removable singularity: both sides meet.
	lo := BGNBD{R: 0.3, Alpha: 4, A: 1 - 1e-7, B: 2.5}.ConditionalExpected(39, 2, 30, 39)
	at := BGNBD{R: 0.3, Alpha: 4, A: 1, B: 2.5}.ConditionalExpected(39, 2, 30, 39)
	if math.Abs(lo-at) > 1e-6 {
		t.Errorf("E at a = 1-1e-7 is %.10g, at a = 1 is %.10g", lo, at)
	}
}

func TestFitErrors(t *testing.T) {
	nan := math.NaN()
	for _, c := range []struct {
		name     string
		x, tx, T []float64
		want     error
	}{
		{"empty", nil, nil, nil, ErrNoCustomers},
		{"lengths", []float64{1}, []float64{1, 2}, []float64{3}, ErrBadInput},
		{"nan", []float64{1, nan}, []float64{1, 0}, []float64{3, 3}, ErrBadInput},
		{"inf T", []float64{1}, []float64{1}, []float64{math.Inf(1)}, ErrBadInput},
		{"negative x", []float64{-1}, []float64{0}, []float64{3}, ErrBadInput},
		{"fractional x", []float64{1.5}, []float64{1}, []float64{3}, ErrBadInput},
		{"t_x > T", []float64{1}, []float64{4}, []float64{3}, ErrBadInput},
		{"no repeat", []float64{0, 0}, []float64{0, 0}, []float64{3, 4}, ErrNoRepeat},
	} {
		_, err := FitBGNBD(c.x, c.tx, c.T, FitOptions{})
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
}

func TestGammaGammaBadSpends(t *testing.T) {
	x := []float64{0, 1, 2, 3, 1, 2, 4, 1, 3, 2, 5, 1}
	m := []float64{0, 10, -5, 0, 12, 30, 8, 25, 14, 9, 11, 40}
	g, err := FitGammaGamma(x, m, FitOptions{})
	if g.Skipped != 2 || g.N != 9 {
		t.Errorf("skipped=%d n=%d, want 2 skipped (mean spend -5 and 0), 9 fitted", g.Skipped, g.N)
	}
	if err != nil && !errors.Is(err, ErrNotConverged) && !errors.Is(err, ErrInfiniteMean) {
		t.Errorf("err = %v", err)
	}
	if _, err := FitGammaGamma([]float64{0, 1}, []float64{5, -1}, FitOptions{}); !errors.Is(err, ErrNoRepeat) {
		t.Errorf("no usable customer: err = %v, want ErrNoRepeat", err)
	}
	if _, err := FitGammaGamma([]float64{1}, []float64{math.NaN()}, FitOptions{}); !errors.Is(err, ErrBadInput) {
		t.Errorf("NaN spend: err = %v, want ErrBadInput", err)
	}
}

func TestFitIsDeterministic(t *testing.T) {
	x, tx, T := synthBG(20000, 7)
	a, errA := FitBGNBD(x, tx, T, FitOptions{})
	b, errB := FitBGNBD(x, tx, T, FitOptions{})
	if errA != nil || errB != nil {
		t.Fatalf("FitBGNBD: %v, %v", errA, errB)
	}
	if a != b {
		t.Errorf("two fits differ: %+v and %+v", a, b)
	}
	// The synthetic customers come from (r, α, a, b) = (0.25, 4, 0.8, 2.5);
	// 20,000 of them pin r and α within 15 %.
	if relErr(a.R, 0.25) > 0.15 || relErr(a.Alpha, 4) > 0.15 {
		t.Errorf("fit on synthetic data r=%.3f alpha=%.3f, want near 0.25, 4", a.R, a.Alpha)
	}
}

func TestSBGPublished(t *testing.T) {
	// Fader & Hardie (2007), "How to project customer retention", J.
	// Interactive Marketing 21(1), Table 1 and Sec. 4: the "regular" and
	// "high end" cohorts, years 0-7, and the fitted parameters (3 digits).
	for _, c := range []struct {
		name        string
		survivors   []float64
		alpha, beta float64
	}{
		{"regular", []float64{1000, 631, 468, 382, 326, 289, 262, 241}, 0.704, 1.182},
		{"high end", []float64{1000, 869, 743, 653, 593, 551, 517, 491}, 0.668, 3.806},
	} {
		m, err := FitSBG(c.survivors)
		if err != nil {
			t.Fatalf("%s: FitSBG: %v", c.name, err)
		}
		if math.Abs(m.Alpha-c.alpha) > 0.0011 || math.Abs(m.Beta-c.beta) > 0.0051 {
			t.Errorf("%s: alpha=%.4f beta=%.4f, want %.3f, %.3f", c.name, m.Alpha, m.Beta, c.alpha, c.beta)
		}
		if s := m.Survival(1); math.Abs(s*1000-c.survivors[1]) > 25 {
			t.Errorf("%s: S(1) = %.4f, want near %.0f/1000", c.name, s, c.survivors[1])
		}
	}
	if _, err := FitSBG([]float64{100, 120}); !errors.Is(err, ErrBadInput) {
		t.Errorf("increasing survivors: err = %v, want ErrBadInput", err)
	}
}

func TestContractualValue(t *testing.T) {
	for _, c := range []struct {
		name                string
		p, spend, margin, d float64
		periods             int
	}{
		{"12 months", 0.05, 30, 0.6, 0.01, 12},
		{"no discount", 0.1, 10, 1, 0, 24},
		{"no churn", 0, 10, 1, 0.02, 5},
	} {
		want, surv := 0.0, 1.0
		for k := 1; k <= c.periods; k++ {
			surv *= 1 - c.p
			want += c.margin * c.spend * surv / math.Pow(1+c.d, float64(k))
		}
		if got := ContractualValue(c.p, c.spend, c.margin, c.d, c.periods); math.Abs(got-want) > 1e-9*want {
			t.Errorf("%s: got %.10g, want %.10g", c.name, got, want)
		}
	}
	// Unbounded horizon: m s q/(1-q), q = (1-p)/(1+d).
	if got, want := ContractualValue(0.2, 10, 0.5, 0, 0), 0.5*10*0.8/0.2; math.Abs(got-want) > 1e-9 {
		t.Errorf("unbounded: got %v, want %v", got, want)
	}
	if got := ContractualValue(1.5, 10, 0.5, 0, 3); !math.IsNaN(got) {
		t.Errorf("p = 1.5: got %v, want NaN", got)
	}
}

func TestCLV(t *testing.T) {
	bg := cdnowParams
	gg := GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}
	opt := CLVOptions{Periods: 52, Margin: 0.3, DiscountPerPeriod: 0}
	// Without discounting the sum telescopes to E[Y(52)].
	want := 0.3 * gg.ExpectedSpend(2, 22.35) * bg.ConditionalExpected(52, 2, 30.43, 38.86)
	if got := CLV(bg, gg, 2, 30.43, 38.86, 22.35, opt); math.Abs(got-want) > 1e-9*want {
		t.Errorf("undiscounted CLV = %.10g, want margin x spend x E[Y(52)] = %.10g", got, want)
	}
	opt.DiscountPerPeriod = 0.002
	if got := CLV(bg, gg, 2, 30.43, 38.86, 22.35, opt); !(got > 0 && got < want) {
		t.Errorf("discounted CLV = %v, want in (0, %v)", got, want)
	}
	if got := CLV(bg, gg, 0, 0, 10, 0, opt); !(got > 0) {
		t.Errorf("CLV of a one-time buyer = %v, want > 0", got)
	}
}

func TestFallbackNeverNaN(t *testing.T) {
	f := FitFallback([]float64{0, 2, math.NaN(), 3}, []float64{10, 20, 5, 30}, []float64{0, 15, 1, -4})
	if f.N != 3 || relErr(f.Rate, 5.0/60) > 1e-12 || f.MeanSpend != 15 {
		t.Errorf("fallback = %+v, want N=3, Rate=5/60, MeanSpend=15", f)
	}
	opt := CLVOptions{Periods: 10, Margin: 0.5, DiscountPerPeriod: 0.01}
	for _, c := range [][3]float64{{0, 10, 0}, {2, 20, 15}, {math.NaN(), 1, 1}, {1, math.Inf(1), -3}} {
		if v := f.CLV(c[0], c[1], c[2], opt); !finite(v) || v < 0 {
			t.Errorf("Fallback.CLV(%v) = %v, want finite >= 0", c, v)
		}
	}
	// With nothing pooled, a customer without repeat purchases is worth 0.
	if v := FitFallback(nil, nil, nil).CLV(0, 5, 0, opt); v != 0 {
		t.Errorf("empty fallback, x=0: CLV = %v, want 0", v)
	}
}

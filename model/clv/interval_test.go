package clv

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestExpectedSpendOneTimeBuyer: a customer with no repeat purchase has no
// mean repeat spend (NaN in the features); Gamma-Gamma gives them the
// population mean, not NaN.
func TestExpectedSpendOneTimeBuyer(t *testing.T) {
	g := GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}
	want := 6.25 * 15.44 / 2.74
	for _, m := range []float64{math.NaN(), 0, -3, math.Inf(1)} {
		if got := g.ExpectedSpend(0, m); math.Abs(got-want) > 1e-12 {
			t.Errorf("ExpectedSpend(0, %v) = %v, want the population mean %v", m, got, want)
		}
	}
	if got := g.ExpectedSpend(math.NaN(), 10); !math.IsNaN(got) {
		t.Errorf("ExpectedSpend(NaN, 10) = %v, want NaN", got)
	}
}

// TestValueBatchAgreesWithCLV: the value is CLV, customer by customer.
func TestValueBatchAgreesWithCLV(t *testing.T) {
	gg := GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}
	x := []float64{0, 1, 2, 7, 0}
	tx := []float64{0, 5, 30.43, 35, 0}
	T := []float64{39, 20, 38.86, 39, 0}
	mbar := []float64{math.NaN(), 12, 22.35, 40, math.NaN()}
	opt := CLVOptions{Periods: 52, Margin: 0.3, DiscountPerPeriod: PeriodDiscount(0.1, 7)}
	v, lo, hi := make([]float64, 5), make([]float64, 5), make([]float64, 5)
	cdnowParams.ValueBatch(v, lo, hi, gg, x, tx, T, mbar, opt)
	for i := range x {
		want := CLV(cdnowParams, gg, x[i], tx[i], T[i], mbar[i], opt)
		if !(want > 0) || math.Abs(v[i]-want) > 1e-12*want {
			t.Errorf("customer %d: ValueBatch %.15g, CLV %.15g", i, v[i], want)
		}
		// A model without a covariance has no parameter uncertainty.
		if lo[i] != v[i] || hi[i] != v[i] {
			t.Errorf("customer %d: interval [%v, %v] without a covariance, want the value %v", i, lo[i], hi[i], v[i])
		}
	}
}

// TestIntervalMatchesParameterDraws fits CDNOW, draws 4,000 parameter sets
// from the fits' asymptotic normal distribution in the log parameters (the
// fits' own coordinates, where the likelihood is closest to quadratic; in
// natural parameters the Gamma-Gamma ridge's curvature inflates the spread
// of pγ/(q-1)), and compares the spread of ln(value) over the draws with the
// delta method's, customer by customer: a parametric bootstrap against the
// linearisation. They must agree within 15 % in standard deviation, and the
// delta interval must hold the draws' median.
func TestIntervalMatchesParameterDraws(t *testing.T) {
	s := readSummary(t, "cdnow_customers_summary_with_transactions.csv")
	x, tx, T, zbar := columns(s)
	bg, err := FitBGNBD(x, tx, T, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	gg, err := FitGammaGamma(x, zbar, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// Customers 1-10 of the published summary and a few extremes.
	pick := []int{0, 1, 2, 3, 5, 8, 100, 1000, 2000}
	var px, ptx, pT, pm []float64
	for _, i := range pick {
		px, ptx, pT, pm = append(px, x[i]), append(ptx, tx[i]), append(pT, T[i]), append(pm, zbar[i])
	}
	n := len(pick)
	opt := CLVOptions{Periods: 52, Margin: 1, DiscountPerPeriod: PeriodDiscount(0.1, 7)}
	v, lo, hi := make([]float64, n), make([]float64, n), make([]float64, n)
	bg.ValueBatch(v, lo, hi, gg, px, ptx, pT, pm, opt)

	rng := rand.New(rand.NewPCG(11, 12))
	drawBG := logNormalDraws(t, []float64{bg.R, bg.Alpha, bg.A, bg.B}, bg.Cov[:])
	drawGG := logNormalDraws(t, []float64{gg.P, gg.Q, gg.Gamma}, gg.Cov[:])
	draws := 4000
	logs := make([][]float64, n)
	tmp := make([]float64, n)
	for range draws {
		b := drawBG(rng)
		g := drawGG(rng)
		mb := BGNBD{R: b[0], Alpha: b[1], A: b[2], B: b[3]}
		mg := GammaGamma{P: g[0], Q: g[1], Gamma: g[2]}
		mb.CLVBatch(tmp, mg, px, ptx, pT, pm, opt)
		for i, w := range tmp {
			logs[i] = append(logs[i], math.Log(w))
		}
	}
	for i := range n {
		l := logs[i]
		slices.Sort(l)
		// A robust standard deviation: the 16-84 % spread over 2.
		sd := (l[int(0.8413*float64(draws))] - l[int(0.1587*float64(draws))]) / 2
		delta := (math.Log(hi[i]) - math.Log(lo[i])) / (2 * intervalZ)
		med := math.Exp(l[draws/2])
		t.Logf("x=%g t_x=%.2f T=%.2f: value %.3f [%.3f, %.3f], sd ln: delta %.4f, draws %.4f", px[i], ptx[i], pT[i], v[i], lo[i], hi[i], delta, sd)
		if math.Abs(delta-sd) > 0.15*sd {
			t.Errorf("customer %d: delta-method sd of ln value %.4f, parameter draws %.4f", pick[i], delta, sd)
		}
		if !(lo[i] < med && med < hi[i]) {
			t.Errorf("customer %d: interval [%.3f, %.3f] misses the draws' median %.3f", pick[i], lo[i], hi[i], med)
		}
	}
}

// logNormalDraws returns a sampler of th·exp(N(0, Σ_log)), Σ_log being the
// covariance cov of th carried to the log parameters, cov_ij/(th_i th_j).
func logNormalDraws(t *testing.T, th, cov []float64) func(*rand.Rand) []float64 {
	t.Helper()
	n := len(th)
	lc := make([]float64, n*n)
	for i := range n {
		for j := range n {
			lc[i*n+j] = cov[i*n+j] / (th[i] * th[j])
		}
	}
	var chol mat.Cholesky
	if !chol.Factorize(mat.NewSymDense(n, lc)) {
		t.Fatalf("covariance %v not positive definite", cov)
	}
	var l mat.TriDense
	chol.LTo(&l)
	return func(rng *rand.Rand) []float64 {
		z := make([]float64, n)
		for i := range z {
			z[i] = rng.NormFloat64()
		}
		out := slices.Clone(th)
		for i := range n {
			e := 0.0
			for j := 0; j <= i; j++ {
				e += l.At(i, j) * z[j]
			}
			out[i] *= math.Exp(e)
		}
		return out
	}
}

func TestInterval(t *testing.T) {
	if lo, hi := Interval(0, 0.3); lo != 0 || hi != 0 {
		t.Errorf("Interval(0) = [%v, %v], want [0, 0]", lo, hi)
	}
	lo, hi := Interval(10, 0.01)
	if math.Abs(lo*hi-100) > 1e-9 || math.Abs(math.Log(hi/10)-intervalZ*0.1) > 1e-12 {
		t.Errorf("Interval(10, 0.01) = [%v, %v], want 10·exp(∓1.96·0.1)", lo, hi)
	}
	if lo, hi := Interval(10, math.NaN()); !math.IsNaN(lo) || !math.IsNaN(hi) {
		t.Errorf("Interval with a NaN variance = [%v, %v], want NaNs", lo, hi)
	}
}

package clv

import (
	"bufio"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/stat"
)

// cdnowDir is the CDNOW sample shipped in the repository (see its README).
const cdnowDir = "../../data/testdata/cdnow"

// Tolerances of the published CDNOW results.
const (
	// paramTol: the issue asks for each BG/NBD parameter within 0.1 %.
	paramTol = 1e-3
	// llTol: the log-likelihood -9582.429 within 0.01.
	llTol = 0.01
	// seTol: lifetimes' standard errors within 2 % (they come from a
	// numerical Hessian too).
	seTol = 0.02
	// ggTol: Gamma-Gamma parameters are published to 2 decimals (p = 6.25,
	// q = 3.74, γ = 15.44), so ±0.005 plus a little for the flat ridge of
	// this likelihood.
	ggTol = 0.006
	// fourDec: values published to 4 decimals, from Hardie's Excel sheet,
	// whose truncated series reads E[X(78)] = 1.8576 where the full series
	// (this package, and a direct float64 sum of 10^5 terms) gives 1.85796:
	// 5e-4 covers both.
	fourDec = 5e-4
	// spendTol: lifetimes compares the expected average profits with a
	// relative tolerance; ours differ by at most 4e-4 (ID 1: 24.6586).
	spendTol = 1e-3
)

// summary is one customer of the CDNOW calibration summaries.
type summary struct {
	id             int
	x, tx, T, zbar float64
}

// readSummary reads cdnow_customers_summary.csv (ID,frequency,recency,T) or
// cdnow_customers_summary_with_transactions.csv (ID,x,t_x,T,zbar; CRLF, no
// final newline).
func readSummary(t testing.TB, name string) []summary {
	t.Helper()
	f, err := os.Open(filepath.Join(cdnowDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []summary
	sc := bufio.NewScanner(f)
	for line := 0; sc.Scan(); line++ {
		if line == 0 {
			continue
		}
		fs := strings.Split(strings.TrimRight(sc.Text(), "\r"), ",")
		if len(fs) < 4 || len(fs) > 5 {
			t.Fatalf("%s line %d: %d fields", name, line+1, len(fs))
		}
		var v [5]float64
		for i, s := range fs {
			if v[i], err = strconv.ParseFloat(s, 64); err != nil {
				t.Fatalf("%s line %d: %v", name, line+1, err)
			}
		}
		out = append(out, summary{id: int(v[0]), x: v[1], tx: v[2], T: v[3], zbar: v[4]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func columns(s []summary) (x, tx, T, zbar []float64) {
	for _, c := range s {
		x, tx, T, zbar = append(x, c.x), append(tx, c.tx), append(T, c.T), append(zbar, c.zbar)
	}
	return
}

func relErr(got, want float64) float64 { return math.Abs(got-want) / math.Abs(want) }

func fitCDNOW(t *testing.T) BGNBD {
	t.Helper()
	x, tx, T, _ := columns(readSummary(t, "cdnow_customers_summary.csv"))
	m, err := FitBGNBD(x, tx, T, FitOptions{})
	if err != nil {
		t.Fatalf("FitBGNBD: %v", err)
	}
	return m
}

func TestFitBGNBDCDNOW(t *testing.T) {
	m := fitCDNOW(t)
	t.Logf("r=%.7f alpha=%.7f a=%.7f b=%.7f ll=%.4f se=%.6f iterations=%d starts=%d",
		m.R, m.Alpha, m.A, m.B, m.LogLik, m.SE, m.Iterations, m.Starts)
	if !m.Converged || m.N != 2357 {
		t.Errorf("converged=%v n=%d, want true, 2357", m.Converged, m.N)
	}
	// Fader, Hardie & Lee (2005), Sec. 7, refitted to 7 digits
	// (the paper rounds to 0.243, 4.414, 0.793, 2.426 and -9582.4).
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"r", m.R, 0.2425945},
		{"alpha", m.Alpha, 4.4136019},
		{"a", m.A, 0.7929199},
		{"b", m.B, 2.4258881},
	} {
		if e := relErr(c.got, c.want); e > paramTol {
			t.Errorf("%s = %.7f, want %.7f (relative error %.2g > %g)", c.name, c.got, c.want, e, paramTol)
		}
	}
	if math.Abs(m.LogLik - -9582.429) > llTol {
		t.Errorf("ll = %.4f, want -9582.429 ± %g", m.LogLik, llTol)
	}
	// lifetimes docs/Quickstart.md, BetaGeoFitter summary, column se(coef).
	wantSE := [4]float64{0.012557, 0.378221, 0.185719, 0.705345}
	for i, w := range wantSE {
		if e := relErr(m.SE[i], w); e > seTol {
			t.Errorf("SE[%d] = %.6f, want %.6f (relative error %.2g > %g)", i, m.SE[i], w, e, seTol)
		}
	}
}

func TestBGNBDPredictionsCDNOW(t *testing.T) {
	m := fitCDNOW(t)
	// lifetimes tests/test_estimation.py, from Hardie's Excel sheet.
	if got := m.ConditionalExpected(39, 2, 30.43, 38.86); math.Abs(got-1.226) > 5e-4 {
		t.Errorf("E[Y(39) | 2, 30.43, 38.86] = %.5f, want 1.226", got)
	}
	// lifetimes tests, E[X(t)] at the exact MLE (datasets/README.md).
	for _, c := range []struct{ t, want float64 }{
		{0.1429, 0.0078}, {1, 0.0532}, {3, 0.1506}, {31.8571, 1.0405}, {32, 1.0437}, {78, 1.8576},
	} {
		if got := m.Expected(c.t); math.Abs(got-c.want) > fourDec {
			t.Errorf("E[X(%g)] = %.5f, want %.4f", c.t, got, c.want)
		}
	}
	if got := m.PAlive(0, 0, 38.86); got != 1 {
		t.Errorf("PAlive(x=0) = %v, want 1", got)
	}
	if got := m.PAlive(2, 30.43, 38.86); !(got > 0.5 && got < 1) {
		t.Errorf("PAlive(2, 30.43, 38.86) = %v, want in (0.5, 1)", got)
	}
}

func TestGammaGammaCDNOW(t *testing.T) {
	s := readSummary(t, "cdnow_customers_summary_with_transactions.csv")
	x, _, _, zbar := columns(s)
	g, err := FitGammaGamma(x, zbar, FitOptions{})
	if err != nil {
		t.Fatalf("FitGammaGamma: %v", err)
	}
	t.Logf("p=%.4f q=%.4f gamma=%.4f ll=%.4f se=%.4f n=%d iterations=%d", g.P, g.Q, g.Gamma, g.LogLik, g.SE, g.N, g.Iterations)
	if g.N != 946 || g.Skipped != 0 {
		t.Errorf("n=%d skipped=%d, want 946 repeat customers, 0 skipped", g.N, g.Skipped)
	}
	// lifetimes TestGammaGammaFitter::test_params_out_is_close_to_Hardie_paper.
	for _, c := range []struct {
		name      string
		got, want float64
	}{{"p", g.P, 6.25}, {"q", g.Q, 3.74}, {"gamma", g.Gamma, 15.44}} {
		if math.Abs(c.got-c.want) > ggTol*math.Max(1, c.want/10) {
			t.Errorf("%s = %.4f, want %.2f", c.name, c.got, c.want)
		}
	}
	// datasets/README.md: LL at (6.25, 3.74, 15.44) is -4055.92; the MLE is
	// at least as good and within rounding of it.
	if ll := g.LogLikelihood(x, zbar); g.LogLik < ll-1e-9 || math.Abs(g.LogLik - -4055.9177) > 0.01 {
		t.Errorf("ll = %.4f, want -4055.9177 ± 0.01", g.LogLik)
	}
	// lifetimes tests: conditional expected average profit, IDs 1-10.
	want := []float64{24.65, 18.91, 35.17, 35.17, 35.17, 71.46, 18.91, 35.17, 27.28, 35.17}
	for i, w := range want {
		if got := g.ExpectedSpend(s[i].x, s[i].zbar); relErr(got, w) > spendTol {
			t.Errorf("ID %d: ExpectedSpend = %.4f, want %.2f", s[i].id, got, w)
		}
	}
}

// Holdout figures of the CDNOW sample, calibrated through 1997-09-30 and
// compared over weeks 40-78 (notebook 04 prints and plots the same ones).
// Actual counts are the data's: 1,882 repeat purchase-days in the holdout
// (datasets README), 334 of them by the 1,411 customers with x = 0 (Fader,
// Hardie & Lee 2005, Sec. 5). The predicted figures are this package's
// BG/NBD at its MLE on the raw transactions (FHL's published parameters,
// see TestFitBGNBDCDNOW), laid out as FHL 2005's Figure 4: mean holdout
// purchases per customer by calibration repeat purchases x = 0..6 and 7+.
// No published table of Figure 4 exists to hold them to, so they are held
// within holdoutTol of the values first measured here.
var (
	// holdoutCount[x] is the number of customers with x repeat purchases
	// in weeks 1-39 (x = 7 pools 7 and more).
	holdoutCount = [8]float64{1411, 439, 214, 100, 62, 38, 29, 64}
	// holdoutActual[x] and holdoutPredicted[x] are the mean repeat
	// purchase-days per customer in weeks 40-78.
	holdoutActual    = [8]float64{0.2367, 0.6970, 1.3925, 1.5600, 2.5323, 2.9474, 3.8621, 6.3594}
	holdoutPredicted = [8]float64{0.2251, 0.5231, 1.0441, 1.5203, 2.1639, 2.6538, 3.5040, 6.1572}
	// holdoutSpendSpearman is the Spearman rank correlation between each
	// customer's predicted holdout spend, E[Y(39) | x, t_x, T] x the
	// Gamma-Gamma E[M | x, m̄], and the dollars they spent in weeks 40-78.
	holdoutSpendSpearman = 0.4264
)

// holdoutTol: the figures above are printed to 4 decimals.
const holdoutTol = 5e-4

// TestHoldoutCDNOW rebuilds the calibration summaries from the raw
// transactions and compares the repeat purchase-days of weeks 40-78 with the
// model's forecast: in total, by calibration frequency (FHL 2005's Figure 4)
// and, with Gamma-Gamma spend, in dollars per customer by rank.
func TestHoldoutCDNOW(t *testing.T) {
	path := filepath.Join(cdnowDir, "CDNOW_sample.txt")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	calEnd := time.Date(1997, 9, 30, 0, 0, 0, 0, time.UTC)
	end := time.Date(1998, 6, 30, 0, 0, 0, 0, time.UTC)
	type hist struct {
		first, last time.Time
		cal         map[time.Time]float64 // dollars per calibration purchase day
		hold        map[time.Time]bool
		holdSpend   float64
	}
	byID := map[string]*hist{}
	var ids []string
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		fs := strings.Fields(sc.Text())
		if len(fs) != 5 {
			t.Fatalf("%s line %d: %d fields", path, line, len(fs))
		}
		day, err := time.Parse("20060102", fs[2])
		if err != nil {
			t.Fatalf("%s line %d: %v", path, line, err)
		}
		dollars, err := strconv.ParseFloat(fs[4], 64)
		if err != nil {
			t.Fatalf("%s line %d: %v", path, line, err)
		}
		h := byID[fs[1]]
		if h == nil {
			h = &hist{first: day, cal: map[time.Time]float64{}, hold: map[time.Time]bool{}}
			byID[fs[1]] = h
			ids = append(ids, fs[1])
		}
		if day.Before(h.first) {
			h.first = day
		}
		if day.After(calEnd) {
			h.hold[day] = true
			h.holdSpend += dollars
			continue
		}
		h.cal[day] += dollars
		if day.After(h.last) {
			h.last = day
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	weeks := func(a, b time.Time) float64 { return b.Sub(a).Hours() / 24 / 7 }
	holdout := weeks(calEnd, end) // 39 weeks
	var x, tx, T, mbar, holdY, holdSpend []float64
	actual := 0
	for _, id := range ids {
		h := byID[id]
		x = append(x, float64(len(h.cal)-1))
		tx = append(tx, weeks(h.first, h.last))
		T = append(T, weeks(h.first, calEnd))
		repeat := 0.0
		for d, v := range h.cal {
			if d != h.first {
				repeat += v
			}
		}
		m := 0.0
		if len(h.cal) > 1 {
			m = repeat / float64(len(h.cal)-1)
		}
		mbar = append(mbar, m)
		actual += len(h.hold)
		holdY = append(holdY, float64(len(h.hold)))
		holdSpend = append(holdSpend, h.holdSpend)
	}
	m, err := FitBGNBD(x, tx, T, FitOptions{})
	if err != nil {
		t.Fatalf("FitBGNBD: %v", err)
	}
	// The forecast two ways: per customer given their history, and for the
	// cohort from the unconditional curve, E[X(T+39)] - E[X(T)]. Both follow
	// from the same fitted model, by different formulas.
	predicted, cohort := 0.0, 0.0
	cond := make([]float64, len(x))
	var n, act, pred [8]float64
	for i := range x {
		cond[i] = m.ConditionalExpected(holdout, x[i], tx[i], T[i])
		predicted += cond[i]
		cohort += m.Expected(T[i]+holdout) - m.Expected(T[i])
		k := min(int(x[i]), 7)
		n[k]++
		act[k] += holdY[i]
		pred[k] += cond[i]
	}
	t.Logf("customers=%d holdout=%.0f weeks actual=%d predicted=%.1f cohort forecast=%.1f (r=%.4f alpha=%.4f a=%.4f b=%.4f ll=%.3f)",
		len(x), holdout, actual, predicted, cohort, m.R, m.Alpha, m.A, m.B, m.LogLik)
	// datasets/README.md: 1,882 repeat purchase-days in weeks 40-78.
	if len(x) != 2357 || actual != 1882 {
		t.Errorf("customers=%d actual=%d, want 2357 and 1882", len(x), actual)
	}
	if math.Abs(m.LogLik - -9582.429) > llTol {
		t.Errorf("ll from the raw transactions = %.4f, want -9582.429", m.LogLik)
	}
	// At the published parameters the BG/NBD forecasts about 1,653 of the
	// 1,882 holdout purchase-days, under-forecasting this holdout by about
	// 12 %. We found no published holdout total to hold it to, so the test
	// holds the two independent forecasts together (within 1 %) and the
	// ratio to the actual count in 0.80..0.95.
	if e := relErr(predicted, cohort); e > 0.01 {
		t.Errorf("conditional forecast %.1f and cohort forecast %.1f differ by %.2g", predicted, cohort, e)
	}
	if r := predicted / float64(actual); r < 0.80 || r > 0.95 {
		t.Errorf("predicted/actual = %.3f (%.1f / %d), want 0.80..0.95", r, predicted, actual)
	}
	// Figure 4 of FHL 2005, by calibration frequency.
	if n[0] != 1411 || act[0] != 334 {
		t.Errorf("x = 0: %.0f customers made %.0f holdout purchases, FHL 2005: 1411 and 334", n[0], act[0])
	}
	for k := range n {
		a, p := act[k]/n[k], pred[k]/n[k]
		t.Logf("x=%d%s n=%4.0f actual %.4f predicted %.4f", k, map[bool]string{true: "+"}[k == 7], n[k], a, p)
		if n[k] != holdoutCount[k] || math.Abs(a-holdoutActual[k]) > holdoutTol || math.Abs(p-holdoutPredicted[k]) > holdoutTol {
			t.Errorf("x=%d: n %.0f actual %.4f predicted %.4f, want %.0f, %.4f, %.4f", k, n[k], a, p, holdoutCount[k], holdoutActual[k], holdoutPredicted[k])
		}
	}
	// Spend: Gamma-Gamma fitted on the calibration mean spends.
	g, err := FitGammaGamma(x, mbar, FitOptions{})
	if err != nil {
		t.Fatalf("FitGammaGamma: %v", err)
	}
	spend := make([]float64, len(x))
	for i := range x {
		spend[i] = cond[i] * g.ExpectedSpend(x[i], mbar[i])
	}
	rho := stat.Correlation(averageRanks(spend), averageRanks(holdSpend), nil)
	t.Logf("Gamma-Gamma p=%.4f q=%.4f gamma=%.4f; Spearman(predicted, actual holdout spend) = %.4f", g.P, g.Q, g.Gamma, rho)
	if math.Abs(rho-holdoutSpendSpearman) > holdoutTol {
		t.Errorf("Spearman rank correlation of predicted and actual holdout spend %.4f, want %.4f", rho, holdoutSpendSpearman)
	}
}

// averageRanks ranks v from 1, ties sharing the mean of their positions, as
// Spearman's coefficient needs.
func averageRanks(v []float64) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return v[idx[a]] < v[idx[b]] })
	r := make([]float64, len(v))
	for lo := 0; lo < len(idx); {
		hi := lo
		for hi+1 < len(idx) && v[idx[hi+1]] == v[idx[lo]] {
			hi++
		}
		for k := lo; k <= hi; k++ {
			r[idx[k]] = float64(lo+hi)/2 + 1
		}
		lo = hi + 1
	}
	return r
}

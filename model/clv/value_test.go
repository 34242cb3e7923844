package clv

import (
	"math"
	"testing"
)

// clvPerPeriod is CLV as first written: one hypergeometric series per
// period, each summed on its own by bracket. CLV and CLVBatch must agree
// with it.
func clvPerPeriod(bg BGNBD, gg GammaGamma, x, tx, T, mbar float64, opt CLVOptions) float64 {
	if opt.Periods <= 0 {
		return 0
	}
	spend := gg.ExpectedSpend(x, mbar)
	if checkHistory(x, tx, T) != nil || math.IsNaN(spend) {
		return math.NaN()
	}
	den := 1.0
	if x > 0 {
		den += math.Exp(bg.logOdds(x, tx, T))
	}
	scale := (bg.A + bg.B + x - 1) / den
	disc := 1 / (1 + opt.DiscountPerPeriod)
	f := 1.0
	prev, sum := 0.0, 0.0
	for k := 1; k <= opt.Periods; k++ {
		f *= disc
		e := scale * bracket(bg.R, bg.Alpha, bg.A, bg.B, float64(k), x, T)
		sum += (e - prev) * f
		prev = e
	}
	return opt.Margin * spend * sum
}

// clvTol is the agreement asked of the faster CLV: 1e-9 relative.
const clvTol = 1e-9

// clvGrid visits a grid of models, histories and horizons, including a near
// and at 1, large x, T = 0, horizons far beyond α+T (not with -short) and a
// negative A'.
func clvGrid(visit func(bg BGNBD, x, tx, T float64, opt CLVOptions)) {
	horizons := []int{1, 2, 13, 52, 200, 1000}
	if testing.Short() {
		horizons = horizons[:4]
	}
	models := []BGNBD{
		cdnowParams,
		{R: 0.25, Alpha: 4, A: 0.8, B: 2.5},
		{R: 0.3, Alpha: 4, A: 1, B: 2.5},
		{R: 0.3, Alpha: 4, A: 1 + 1e-12, B: 2.5},
		{R: 2, Alpha: 0.5, A: 3, B: 0.4},
		{R: 5, Alpha: 30, A: 0.3, B: 0.2},
	}
	hist := [][3]float64{
		{0, 0, 0}, {0, 0, 0.5}, {0, 0, 39}, {1, 1, 2}, {2, 30.43, 38.86},
		{7, 35, 39}, {30, 38, 39}, {5000, 3000, 3000}, {3, 0.1, 500},
	}
	for _, bg := range models {
		for _, h := range hist {
			for _, n := range horizons {
				for _, d := range []float64{0, 0.002, 0.05} {
					visit(bg, h[0], h[1], h[2], CLVOptions{Periods: n, Margin: 0.3, DiscountPerPeriod: d})
				}
			}
		}
	}
}

func TestCLVAgreesWithPerPeriodSeries(t *testing.T) {
	gg := GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}
	clvGrid(func(bg BGNBD, x, tx, T float64, opt CLVOptions) {
		want := clvPerPeriod(bg, gg, x, tx, T, 22.35, opt)
		got := CLV(bg, gg, x, tx, T, 22.35, opt)
		if !(math.Abs(got-want) <= clvTol*math.Abs(want)) {
			t.Errorf("%+v x=%g tx=%g T=%g %+v: CLV = %.17g, per period %.17g", bg, x, tx, T, opt, got, want)
		}
	})
}

func TestCLVBatchAgreesWithPerPeriodSeries(t *testing.T) {
	gg := GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}
	clvGrid(func(bg BGNBD, x, tx, T float64, opt CLVOptions) {
		// The customer three times, a neighbour sharing (x, T) and an invalid one.
		xs := []float64{x, x, x, math.NaN()}
		txs := []float64{tx, tx, tx, 0}
		Ts := []float64{T, T, T, 1}
		ms := []float64{22.35, 5, 22.35, 1}
		got := make([]float64, len(xs))
		bg.CLVBatch(got, gg, xs, txs, Ts, ms, opt)
		for i := range xs {
			want := clvPerPeriod(bg, gg, xs[i], txs[i], Ts[i], ms[i], opt)
			if math.IsNaN(want) != math.IsNaN(got[i]) || !(math.IsNaN(want) || math.Abs(got[i]-want) <= clvTol*math.Abs(want)) {
				t.Errorf("%+v x=%g tx=%g T=%g %+v, customer %d: CLVBatch = %.17g, per period %.17g", bg, xs[i], txs[i], Ts[i], opt, i, got[i], want)
			}
		}
	})
}

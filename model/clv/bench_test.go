package clv

import (
	"fmt"
	"testing"
)

const benchN = 1_000_000

func BenchmarkFit(b *testing.B) {
	x, tx, T := synthBG(benchN, 1)
	m := synthSpend(x, 2)
	b.Run("bgnbd", func(b *testing.B) {
		var fit BGNBD
		for b.Loop() {
			var err error
			if fit, err = FitBGNBD(x, tx, T, FitOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(benchN)*float64(b.N)/b.Elapsed().Seconds(), "customers/s")
		b.Logf("r=%.4f alpha=%.4f a=%.4f b=%.4f iterations=%d", fit.R, fit.Alpha, fit.A, fit.B, fit.Iterations)
	})
	b.Run("gammagamma", func(b *testing.B) {
		var fit GammaGamma
		for b.Loop() {
			var err error
			if fit, err = FitGammaGamma(x, m, FitOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(benchN)*float64(b.N)/b.Elapsed().Seconds(), "customers/s")
		b.Logf("p=%.4f q=%.4f gamma=%.4f n=%d", fit.P, fit.Q, fit.Gamma, fit.N)
	})
}

// BenchmarkValues measures what the job computes per customer: P(alive),
// expected purchases over the horizon, expected spend and CLV.
func BenchmarkValues(b *testing.B) {
	x, tx, T := synthBG(benchN, 1)
	m := synthSpend(x, 2)
	bg := BGNBD{R: 0.25, Alpha: 4, A: 0.8, B: 2.5}
	gg := GammaGamma{P: 6, Q: 4, Gamma: 15}
	for _, periods := range []int{13, 52} {
		opt := CLVOptions{Periods: periods, Margin: 0.3, DiscountPerPeriod: 0.002}
		b.Run(map[int]string{13: "periods=13", 52: "periods=52"}[periods], func(b *testing.B) {
			sum := 0.0
			for b.Loop() {
				for i := range x {
					sum += bg.PAlive(x[i], tx[i], T[i]) + bg.ConditionalExpected(float64(periods), x[i], tx[i], T[i]) +
						gg.ExpectedSpend(x[i], m[i]) + CLV(bg, gg, x[i], tx[i], T[i], m[i], opt)
				}
			}
			b.ReportMetric(float64(benchN)*float64(b.N)/b.Elapsed().Seconds(), "customers/s")
			if sum <= 0 {
				b.Fatal("no value")
			}
		})
	}
}

// BenchmarkCLV measures CLV alone, customer by customer, over the job's
// horizons.
func BenchmarkCLV(b *testing.B) {
	x, tx, T := synthBG(benchN, 1)
	m := synthSpend(x, 2)
	bg := BGNBD{R: 0.25, Alpha: 4, A: 0.8, B: 2.5}
	gg := GammaGamma{P: 6, Q: 4, Gamma: 15}
	for _, periods := range []int{13, 52} {
		opt := CLVOptions{Periods: periods, Margin: 0.3, DiscountPerPeriod: 0.002}
		b.Run(fmt.Sprintf("periods=%d", periods), func(b *testing.B) {
			sum := 0.0
			for b.Loop() {
				for i := range x {
					sum += CLV(bg, gg, x[i], tx[i], T[i], m[i], opt)
				}
			}
			b.ReportMetric(float64(benchN)*float64(b.N)/b.Elapsed().Seconds(), "customers/s")
			if sum <= 0 {
				b.Fatal("no value")
			}
		})
	}
}

// BenchmarkCLVBatch measures CLVBatch over the same customers.
func BenchmarkCLVBatch(b *testing.B) {
	x, tx, T := synthBG(benchN, 1)
	m := synthSpend(x, 2)
	bg := BGNBD{R: 0.25, Alpha: 4, A: 0.8, B: 2.5}
	gg := GammaGamma{P: 6, Q: 4, Gamma: 15}
	dst := make([]float64, benchN)
	for _, periods := range []int{13, 52} {
		opt := CLVOptions{Periods: periods, Margin: 0.3, DiscountPerPeriod: 0.002}
		b.Run(fmt.Sprintf("periods=%d", periods), func(b *testing.B) {
			for b.Loop() {
				bg.CLVBatch(dst, gg, x, tx, T, m, opt)
			}
			b.ReportMetric(float64(benchN)*float64(b.N)/b.Elapsed().Seconds(), "customers/s")
			if dst[0] <= 0 {
				b.Fatal("no value")
			}
		})
	}
}

// BenchmarkValueBatch measures what the job computes for the customers
// without a contract: value and its interval (five passes of
// DiscountedPurchases, shared per distinct (x, T)) for 200,000 customers
// with times in whole days, against the value alone.
func BenchmarkValueBatch(b *testing.B) {
	const n = 200_000
	x, tx, T := synthBG(n, 1)
	m := synthSpend(x, 2)
	bg := BGNBD{R: 0.25, Alpha: 4, A: 0.8, B: 2.5, Cov: [16]float64{1e-4, 0, 0, 0, 0, 1e-2, 0, 0, 0, 0, 1e-2, 0, 0, 0, 0, 1e-1}}
	gg := GammaGamma{P: 6, Q: 4, Gamma: 15}
	opt := CLVOptions{Periods: 52, Margin: 1, DiscountPerPeriod: PeriodDiscount(0.1, 7)}
	v, lo, hi := make([]float64, n), make([]float64, n), make([]float64, n)
	b.Run("value", func(b *testing.B) {
		for b.Loop() {
			bg.CLVBatch(v, gg, x, tx, T, m, opt)
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "customers/s")
	})
	b.Run("value+interval", func(b *testing.B) {
		for b.Loop() {
			bg.ValueBatch(v, lo, hi, gg, x, tx, T, m, opt)
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "customers/s")
	})
}

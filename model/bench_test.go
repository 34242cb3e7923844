package model

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

func BenchmarkFitLogistic(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			x, y := synth(n, 1)
			for i := 0; i < b.N; i++ {
				if _, err := FitLogistic(x, y, DefaultLogisticParams()); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

func BenchmarkPredictProba(b *testing.B) {
	tr, ytr := synth(2000, 1)
	va, yva := synth(800, 2)
	x, _ := synth(100000, 3)
	for _, algo := range []string{AlgoLogistic, AlgoGBT} {
		b.Run(algo, func(b *testing.B) {
			m, err := Train(fastConfig(algo), tr, va, nil, ytr, yva, nil)
			if err != nil {
				b.Fatal(err)
			}
			p := make([]float64, x.Rows)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := m.PredictProba(p, x); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(x.Rows*b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkNewDistribution bins one column of 700,000 rows, the size of
// the refit set at 200,000 customers, into the 10 bins of a drift profile:
// by selection of the order statistics, and by the full sort it replaced.
func BenchmarkNewDistribution(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, kind := range []string{"spread", "mostly zero"} {
		v := make([]float64, 700_000)
		for i := range v {
			v[i] = rng.NormFloat64()
			if kind == "mostly zero" && rng.IntN(10) > 0 {
				v[i] = 0
			}
		}
		for _, how := range []string{"select", "sort"} {
			b.Run(kind+"/"+how, func(b *testing.B) {
				col := make([]float64, len(v))
				for i := 0; i < b.N; i++ {
					copy(col, v)
					if how == "select" {
						NewDistribution(col, profileTestBins)
					} else {
						sortedDistribution(col, profileTestBins)
					}
				}
				b.ReportMetric(float64(len(v)*b.N)/b.Elapsed().Seconds(), "values/s")
			})
		}
	}
}

// profileTestBins is the bins of the drift profile the train job keeps.
const profileTestBins = 10

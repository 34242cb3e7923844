package model

import (
	"fmt"
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

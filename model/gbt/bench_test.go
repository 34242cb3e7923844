package gbt

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
)

// wide draws rows with cols columns (at least 10): the first 10 follow
// synthetic's ground truth, the rest are noise and noisy copies of the
// informative ones, with 5% missing values throughout.
func wide(rows, cols int, seed uint64) Data {
	base := synthetic(rows, seed)
	rng := rand.New(rand.NewPCG(seed, 13))
	d := Data{X: make([]float64, rows*cols), Rows: rows, Cols: cols, Y: base.Y}
	for i := 0; i < rows; i++ {
		x := d.X[i*cols : (i+1)*cols]
		copy(x, base.X[i*base.Cols:(i+1)*base.Cols])
		for j := base.Cols; j < cols; j++ {
			switch {
			case rng.Float64() < 0.05:
				x[j] = math.NaN()
			case j%3 == 0:
				x[j] = x[j%base.Cols] + rng.NormFloat64()
			case j%3 == 1:
				x[j] = math.Round(rng.NormFloat64() * 3)
			default:
				x[j] = rng.ExpFloat64()
			}
		}
	}
	return d
}

// BenchmarkFit trains 300 trees of depth 6 on 500,000 rows x 100 columns,
// the size of the XGBoost reference (540,715 x 93, 32 s with two
// threads). Run it once: go test -run XXX -bench Fit -benchtime 1x.
func BenchmarkFit(b *testing.B) {
	for _, rows := range []int{100_000, 500_000} {
		b.Run(fmt.Sprintf("rows=%d", rows), func(b *testing.B) {
			if testing.Short() {
				b.Skip("trains on 100,000 rows and more")
			}
			d := wide(rows, 100, 1)
			p := DefaultParams()
			p.Trees, p.EarlyStopping = 300, 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := Fit(d, nil, p); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(d.Rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkPredict scores 100,000 rows x 100 columns with 300 trees of
// depth 6 and reports rows per second; the goal is 1,000,000 rows in under
// a second.
func BenchmarkPredict(b *testing.B) {
	train := wide(20_000, 100, 2)
	p := DefaultParams()
	p.Trees, p.EarlyStopping = 300, 0
	m, err := Fit(train, nil, p)
	if err != nil {
		b.Fatal(err)
	}
	enc, err := m.MarshalBinary()
	if err != nil {
		b.Fatal(err)
	}
	x := wide(100_000, 100, 3)
	dst := make([]float64, x.Rows)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m.Predict(dst, x.X)
	}
	b.ReportMetric(float64(x.Rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(float64(len(enc)), "model-bytes")
}

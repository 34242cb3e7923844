package model

import (
	"math"
	"math/rand/v2"
	"reflect"
	"testing"
)

// standardiseByColumn is the definition standardise must keep: each
// column summed on its own, down the rows.
func standardiseByColumn(x *Matrix) colStats {
	c := len(x.Cols)
	st := colStats{n: make([]int, c), missing: make([]int, c), inf: make([]bool, c), mean: make([]float64, c), ss: make([]float64, c)}
	for j := range c {
		var sum float64
		for i := 0; i < x.Rows; i++ {
			v := x.X[i*c+j]
			switch {
			case math.IsNaN(v):
				st.missing[j]++
			case math.IsInf(v, 0):
				st.inf[j] = true
			default:
				st.n[j]++
				sum += v
			}
		}
		if st.n[j] > 0 {
			st.mean[j] = sum / float64(st.n[j])
		}
		for i := 0; i < x.Rows; i++ {
			if v := x.X[i*c+j]; !math.IsNaN(v) {
				st.ss[j] += (v - st.mean[j]) * (v - st.mean[j])
			}
		}
	}
	return st
}

// TestColumnStats: the block-wise sums equal the column-at-a-time ones bit
// for bit, for any worker count, over spread, missing, infinite, constant
// and all-missing columns, with a column count that leaves a part block.
func TestColumnStats(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 2))
	const rows, cols = 3001, 2*statsBlock + 5
	x := &Matrix{Rows: rows, X: make([]float64, rows*cols)}
	for j := range cols {
		x.Cols = append(x.Cols, string(rune('a'+j%26))+string(rune('a'+j/26)))
	}
	for i := range rows {
		for j := range cols {
			v := rng.NormFloat64()*float64(j+1) + 1e6*float64(j%3)
			switch {
			case j == 1:
				v = 4
			case j == 2:
				v = math.NaN()
			case j == 3 && i == 17:
				v = math.Inf(-1)
			case j%5 == 0 && rng.IntN(4) == 0:
				v = math.NaN()
			}
			x.X[i*cols+j] = v
		}
	}
	want := standardiseByColumn(x)
	for _, workers := range []int{1, 2, 7} {
		if got := columnStats(x, workers); !reflect.DeepEqual(got, want) {
			t.Errorf("%d workers: column statistics differ from the column-at-a-time sums", workers)
		}
	}
}

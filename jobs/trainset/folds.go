package trainset

import (
	"math"
	"math/rand/v2"

	"churn/model"
)

// StratifiedFolds assigns each row a fold so that every fold has the same
// share of positives: each class is shuffled with a seeded generator and
// dealt round-robin.
func StratifiedFolds(y []float64, k int, seed uint64) []int {
	folds := make([]int, len(y))
	rng := rand.New(rand.NewPCG(seed, 0x5f0d))
	for _, class := range []float64{0, 1} {
		var idx []int
		for i, v := range y {
			if v == class {
				idx = append(idx, i)
			}
		}
		rng.Shuffle(len(idx), func(a, b int) { idx[a], idx[b] = idx[b], idx[a] })
		for n, i := range idx {
			folds[i] = n % k
		}
	}
	return folds
}

// SplitInner splits training rows into fitting (80%), validation (10%)
// and calibration (10%) rows, stratified by class.
func SplitInner(rows []int, y []float64, seed uint64) (fit, valid, calib []int) {
	sub := make([]float64, len(rows))
	for k, i := range rows {
		sub[k] = y[i]
	}
	f := StratifiedFolds(sub, 10, seed)
	for k, i := range rows {
		switch f[k] {
		case 0:
			valid = append(valid, i)
		case 1:
			calib = append(calib, i)
		default:
			fit = append(fit, i)
		}
	}
	return fit, valid, calib
}

// MatrixRows returns a matrix of the given rows of m, in that order.
func MatrixRows(m *model.Matrix, rows []int) *model.Matrix {
	c := len(m.Cols)
	out := &model.Matrix{Cols: m.Cols, Rows: len(rows), X: make([]float64, 0, len(rows)*c)}
	for _, i := range rows {
		out.X = append(out.X, m.X[i*c:(i+1)*c]...)
	}
	return out
}

// Pick returns y at the given rows, in that order.
func Pick(y []float64, rows []int) []float64 {
	out := make([]float64, len(rows))
	for k, i := range rows {
		out[k] = y[i]
	}
	return out
}

// MeanStd returns the mean and the sample standard deviation of v: NaN
// for no values, a deviation of 0 for one.
func MeanStd(v []float64) (mean, std float64) {
	if len(v) == 0 {
		return math.NaN(), math.NaN()
	}
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	if len(v) < 2 {
		return mean, 0
	}
	for _, x := range v {
		std += (x - mean) * (x - mean)
	}
	return mean, math.Sqrt(std / float64(len(v)-1))
}

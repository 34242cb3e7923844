package model

import (
	"math"
	"math/rand/v2"
	"testing"
)

// evalByRow is the definition evalRows must keep: one row at a time, the
// margin summed over the terms in order, every sum over rows in row order.
func evalByRow(o *logisticObjective, g, bk []float64, icpt float64, lo, hi int) (loss, gi float64) {
	d := o.d
	for i := lo; i < hi; i++ {
		zi := o.z[i*d : (i+1)*d]
		s := icpt
		for k, v := range zi {
			s += bk[k] * float64(v)
		}
		e := math.Exp(-math.Abs(s))
		p := 1 / (1 + e)
		if s < 0 {
			p = e / (1 + e)
		}
		wi, yi := o.w[i], o.y[i]
		loss += wi * (max(s, 0) + math.Log1p(e) - yi*s)
		r := wi * (p - yi)
		o.curv[i] = wi * p * (1 - p) / o.wsum
		for k, v := range zi {
			g[k] += r * float64(v)
		}
		gi += r
	}
	return loss, gi
}

// hessVecByRow is the definition hessVecRows must keep.
func hessVecByRow(o *logisticObjective, g, vk []float64, vi float64, lo, hi int) (gi float64) {
	d := o.d
	for i := lo; i < hi; i++ {
		zi := o.z[i*d : (i+1)*d]
		u := vi
		for k, x := range zi {
			u += vk[k] * float64(x)
		}
		r := o.curv[i] * u
		for k, x := range zi {
			g[k] += r * float64(x)
		}
		gi += r
	}
	return gi
}

func sameBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

// TestLogisticRowsMatchByRow: the four-rows-at-a-time passes give the
// loss, gradient, curvature weights and Hessian products of the
// row-at-a-time loops bit for bit, over random designs of 1 to 70 terms,
// row ranges of every length mod 4 (0 to 41 rows, at any offset),
// weights with zeros and class weights, and margins far into either tail.
func TestLogisticRowsMatchByRow(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	for c := 0; c < 400; c++ {
		d := 1 + rng.IntN(70)
		rows := rng.IntN(42)
		lo := rng.IntN(5)
		n := lo + rows
		scale := []float64{0.1, 1, 30}[rng.IntN(3)]
		o := &logisticObjective{d: d, rows: n, z: make([]float32, n*d), y: make([]float64, n), w: make([]float64, n), curv: make([]float64, n)}
		for i := range o.z {
			o.z[i] = float32(rng.NormFloat64())
		}
		for i := range n {
			o.y[i] = float64(rng.IntN(2))
			o.w[i] = []float64{0, 1, 1, 3.5}[rng.IntN(4)]
			o.wsum += o.w[i]
		}
		o.wsum += 1
		bk := make([]float64, d)
		vk := make([]float64, d)
		for k := range bk {
			bk[k] = rng.NormFloat64() * scale
			vk[k] = rng.NormFloat64()
		}
		icpt, vi := rng.NormFloat64()*scale, rng.NormFloat64()
		g0 := make([]float64, d)
		for k := range g0 {
			g0[k] = rng.NormFloat64()
		}
		gotG, wantG := append([]float64(nil), g0...), append([]float64(nil), g0...)
		gotLoss, gotGi := o.evalRows(gotG, bk, icpt, lo, n)
		gotCurv := append([]float64(nil), o.curv...)
		clear(o.curv)
		wantLoss, wantGi := evalByRow(o, wantG, bk, icpt, lo, n)
		if !sameBits([]float64{gotLoss, gotGi}, []float64{wantLoss, wantGi}) || !sameBits(gotG, wantG) || !sameBits(gotCurv, o.curv) {
			t.Fatalf("case %d (%d terms, rows %d..%d): eval differs: loss %v/%v, intercept %v/%v", c, d, lo, n, gotLoss, wantLoss, gotGi, wantGi)
		}
		gotH, wantH := append([]float64(nil), g0...), append([]float64(nil), g0...)
		gotHi := o.hessVecRows(gotH, vk, vi, lo, n)
		wantHi := hessVecByRow(o, wantH, vk, vi, lo, n)
		if !sameBits(gotH, wantH) || math.Float64bits(gotHi) != math.Float64bits(wantHi) {
			t.Fatalf("case %d (%d terms, rows %d..%d): Hessian product differs", c, d, lo, n)
		}
	}
}

// TestDenseDesignMatchesDesign: every float32 of the dense design is
// design's value of that row and term, rounded, over columns with
// missing and infinite values (indicators), constant-when-present and
// spread columns, for any worker count.
func TestDenseDesignMatchesDesign(t *testing.T) {
	rng := rand.New(rand.NewPCG(2, 3))
	const rows, cols = 2*logisticBlock + 37, 9
	x := &Matrix{Rows: rows, X: make([]float64, rows*cols)}
	for j := range cols {
		x.Cols = append(x.Cols, string(rune('a'+j)))
	}
	for i := range rows {
		for j := range cols {
			v := rng.NormFloat64()*float64(j+1) + float64(j*1000)
			switch {
			case j%3 == 1 && rng.IntN(5) == 0:
				v = math.NaN()
			case j == 2:
				v = 5 // constant
			case j == 5 && rng.IntN(4) == 0:
				v = math.NaN() // constant when present
			case j == 5:
				v = 1
			}
			x.X[i*cols+j] = v
		}
	}
	m := &Logistic{Features: x.Cols}
	m.standardise(x, 1)
	// Infinities at prediction time count as missing too.
	x.X[3*cols+1], x.X[7*cols+4] = math.Inf(1), math.Inf(-1)
	d := len(m.Terms)
	buf := make([]float64, d)
	for _, workers := range []int{1, 3} {
		z := m.denseDesign(x, workers)
		for i := range rows {
			m.design(buf, x.Row(i))
			for k, v := range buf {
				if math.Float32bits(z[i*d+k]) != math.Float32bits(float32(v)) {
					t.Fatalf("%d workers, row %d, term %d: %v, design %v", workers, i, k, z[i*d+k], float32(v))
				}
			}
		}
	}
}

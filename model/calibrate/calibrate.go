// Package calibrate maps a classifier's margins (log-odds) to calibrated
// probabilities. Both maps are fitted on a cutoff that training did not see.
//
// # Platt scaling
//
// p = 1 / (1 + exp(-(A*m + B))), fitted by Newton's method with a line
// search (gonum/optimize) on Platt's smoothed targets (N+ + 1)/(N+ + 2)
// and 1/(N- + 2), as in Lin, Lin and Weng (2007), "A note on Platt's
// probabilistic outputs for support vector machines". Two parameters: it
// cannot overfit, and it cannot fix a non-sigmoid distortion.
//
// # Isotonic regression
//
// A non-decreasing step function fitted by pool-adjacent-violators on the
// margins (equal margins pooled first), evaluated by linear interpolation
// between block centres and flat outside them, as scikit-learn's
// IsotonicRegression does. It fixes any monotone distortion but needs more
// rows, and it may return exactly 0 or 1 where a block held one class.
package calibrate

import (
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// Platt is a sigmoid map of the margin.
type Platt struct{ A, B float64 }

// Prob returns the calibrated probability of margin m.
func (p Platt) Prob(m float64) float64 { return sigmoid(p.A*m + p.B) }

// FitPlatt fits A and B on margins and 0/1 labels.
func FitPlatt(margin, y []float64) Platt {
	var pos, neg float64
	for _, v := range y {
		if v > 0.5 {
			pos++
		} else {
			neg++
		}
	}
	hi, lo := (pos+1)/(pos+2), 1/(neg+2)
	t := make([]float64, len(y))
	for i, v := range y {
		t[i] = lo
		if v > 0.5 {
			t[i] = hi
		}
	}
	// Minimise the cross-entropy in (A, B) with gonum/optimize's Newton
	// method, which adds a multiple of the identity where the Hessian is not
	// positive definite, from A = 0 and B at the smoothed prior log-odds.
	prob := optimize.Problem{
		Func: func(x []float64) float64 {
			var s float64
			for i, m := range margin {
				z := x[0]*m + x[1]
				// t*log(1+e^-z) + (1-t)*log(1+e^z)
				s += t[i]*softplus(-z) + (1-t[i])*softplus(z)
			}
			return s
		},
		Grad: func(grad, x []float64) {
			grad[0], grad[1] = 0, 0
			for i, m := range margin {
				d := sigmoid(x[0]*m+x[1]) - t[i]
				grad[0] += d * m
				grad[1] += d
			}
		},
		Hess: func(hess *mat.SymDense, x []float64) {
			var h11, h21, h22 float64
			for _, m := range margin {
				p := sigmoid(x[0]*m + x[1])
				w := p * (1 - p)
				h11 += w * m * m
				h21 += w * m
				h22 += w
			}
			hess.SetSym(0, 0, h11)
			hess.SetSym(0, 1, h21)
			hess.SetSym(1, 1, h22)
		},
	}
	x0 := []float64{0, math.Log((pos + 1) / (neg + 1))}
	settings := &optimize.Settings{GradientThreshold: 1e-10, MajorIterations: 100}
	// An error (a stalled line search) leaves the best point found in res.
	res, _ := optimize.Minimize(prob, x0, settings, &optimize.Newton{})
	if res == nil {
		return Platt{A: x0[0], B: x0[1]}
	}
	a, b := res.X[0], res.X[1]
	return Platt{A: a, B: b}
}

// Isotonic is a monotone map of the margin: knots X (increasing) and
// probabilities Y (non-decreasing).
type Isotonic struct{ X, Y []float64 }

// Prob returns the calibrated probability of margin m.
func (s Isotonic) Prob(m float64) float64 {
	n := len(s.X)
	switch {
	case n == 0:
		return sigmoid(m)
	case math.IsNaN(m):
		return s.Y[n/2]
	case m <= s.X[0]:
		return s.Y[0]
	case m >= s.X[n-1]:
		return s.Y[n-1]
	}
	lo, hi := 0, n-1
	for hi-lo > 1 {
		mid := (lo + hi) / 2
		if s.X[mid] <= m {
			lo = mid
		} else {
			hi = mid
		}
	}
	f := (m - s.X[lo]) / (s.X[hi] - s.X[lo])
	return s.Y[lo] + f*(s.Y[hi]-s.Y[lo])
}

// FitIsotonic fits the map on margins and 0/1 labels.
func FitIsotonic(margin, y []float64) Isotonic {
	idx := make([]int, len(margin))
	for i := range idx {
		idx[i] = i
	}
	sortByMargin(idx, margin)
	type block struct{ x, sum, w float64 } // x: weighted mean margin
	var bs []block
	for k := 0; k < len(idx); {
		j := k
		var sum float64
		for j < len(idx) && margin[idx[j]] == margin[idx[k]] {
			sum += y[idx[j]]
			j++
		}
		b := block{x: margin[idx[k]], sum: sum, w: float64(j - k)}
		// Pool adjacent violators.
		for len(bs) > 0 && bs[len(bs)-1].sum/bs[len(bs)-1].w >= b.sum/b.w {
			last := bs[len(bs)-1]
			bs = bs[:len(bs)-1]
			b = block{x: (last.x*last.w + b.x*b.w) / (last.w + b.w), sum: last.sum + b.sum, w: last.w + b.w}
		}
		bs = append(bs, b)
		k = j
	}
	s := Isotonic{X: make([]float64, len(bs)), Y: make([]float64, len(bs))}
	for i, b := range bs {
		s.X[i], s.Y[i] = b.x, b.sum/b.w
	}
	return s
}

func sortByMargin(idx []int, m []float64) {
	// Stable order by margin, index on ties: deterministic.
	sortInts(idx, func(a, b int) bool {
		if m[a] != m[b] {
			return m[a] < m[b]
		}
		return a < b
	})
}

func sigmoid(s float64) float64 {
	if s >= 0 {
		return 1 / (1 + math.Exp(-s))
	}
	e := math.Exp(s)
	return e / (1 + e)
}

func softplus(s float64) float64 {
	if s > 0 {
		return s + math.Log1p(math.Exp(-s))
	}
	return math.Log1p(math.Exp(s))
}

func sortInts(a []int, less func(x, y int) bool) {
	slices.SortFunc(a, func(x, y int) int {
		if less(x, y) {
			return -1
		}
		if less(y, x) {
			return 1
		}
		return 0
	})
}

package eval

import (
	"math"
	"sort"
)

// ECEBins is the number of equal-width probability bins used by [ECE] and
// the reliability curve of a [Report].
const ECEBins = 10

// TopFraction is the share of the population, ranked by score, that lift and
// capture are measured on: the top decile.
const TopFraction = 0.1

// DefaultK is the list length of the precision at K in a [Report]: about the
// size of a retention team's daily call list.
const DefaultK = 100

// logLossEps bounds probabilities away from 0 and 1 in [LogLoss], the same
// clip scikit-learn applied for float64 before version 1.5.
const logLossEps = 1e-15

// order returns row indices sorted by descending score, ties by row index.
func order(p []float64) []int {
	idx := make([]int, len(p))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return p[idx[a]] > p[idx[b]] })
	return idx
}

func counts(y []float64) (pos, neg float64) {
	for _, v := range y {
		if v > 0.5 {
			pos++
		} else {
			neg++
		}
	}
	return pos, neg
}

// ROCAUC is the area under the ROC curve: the probability that a random
// positive scores above a random negative, ties counting one half. It is NaN
// when y holds a single class.
func ROCAUC(p, y []float64) float64 {
	pos, neg := counts(y)
	if pos == 0 || neg == 0 {
		return math.NaN()
	}
	idx := order(p)
	// Walk blocks of tied scores from the top; each negative in a block beats
	// the positives above the block and ties with the positives inside it.
	var above, sum float64
	for i := 0; i < len(idx); {
		j := i
		var bp, bn float64
		for j < len(idx) && p[idx[j]] == p[idx[i]] {
			if y[idx[j]] > 0.5 {
				bp++
			} else {
				bn++
			}
			j++
		}
		sum += bn * (above + bp/2)
		above += bp
		i = j
	}
	return sum / (pos * neg)
}

// PRAUC is the average precision: the precision at each distinct score
// threshold weighted by the recall gained there. It is NaN without
// positives.
func PRAUC(p, y []float64) float64 {
	pos, _ := counts(y)
	if pos == 0 {
		return math.NaN()
	}
	idx := order(p)
	var tp, seen, ap float64
	for i := 0; i < len(idx); {
		j := i
		var bp float64
		for j < len(idx) && p[idx[j]] == p[idx[i]] {
			if y[idx[j]] > 0.5 {
				bp++
			}
			j++
		}
		tp += bp
		seen += float64(j - i)
		ap += bp / pos * (tp / seen)
		i = j
	}
	return ap
}

// LogLoss is the mean negative log-likelihood, with probabilities clipped to
// [1e-15, 1-1e-15].
func LogLoss(p, y []float64) float64 {
	if len(p) == 0 {
		return math.NaN()
	}
	var s float64
	for i, v := range p {
		v = math.Min(math.Max(v, logLossEps), 1-logLossEps)
		if y[i] > 0.5 {
			s -= math.Log(v)
		} else {
			s -= math.Log1p(-v)
		}
	}
	return s / float64(len(p))
}

// Brier is the mean squared difference between probability and label.
func Brier(p, y []float64) float64 {
	if len(p) == 0 {
		return math.NaN()
	}
	var s float64
	for i, v := range p {
		d := v - y[i]
		s += d * d
	}
	return s / float64(len(p))
}

// ReliabilityPoint is one bin of a reliability (calibration) curve.
type ReliabilityPoint struct {
	Lo        float64 `json:"lo"`
	Hi        float64 `json:"hi"`
	Count     int     `json:"count"`
	Predicted float64 `json:"predicted"` // mean probability in the bin
	Observed  float64 `json:"observed"`  // share of positives in the bin
}

// Reliability bins the probabilities into bins equal-width intervals of
// [0, 1] and returns the non-empty bins in increasing order.
func Reliability(p, y []float64, bins int) []ReliabilityPoint {
	if bins < 1 {
		bins = ECEBins
	}
	pts := make([]ReliabilityPoint, bins)
	for b := range pts {
		pts[b].Lo = float64(b) / float64(bins)
		pts[b].Hi = float64(b+1) / float64(bins)
	}
	for i, v := range p {
		b := int(v * float64(bins))
		b = min(max(b, 0), bins-1)
		pts[b].Count++
		pts[b].Predicted += v
		pts[b].Observed += y[i]
	}
	out := pts[:0]
	for _, pt := range pts {
		if pt.Count == 0 {
			continue
		}
		pt.Predicted /= float64(pt.Count)
		pt.Observed /= float64(pt.Count)
		out = append(out, pt)
	}
	return out
}

// ECE is the expected calibration error over [ECEBins] equal-width bins: the
// count-weighted mean of |mean probability - observed rate|.
func ECE(p, y []float64) float64 {
	if len(p) == 0 {
		return math.NaN()
	}
	var s float64
	for _, pt := range Reliability(p, y, ECEBins) {
		s += float64(pt.Count) * math.Abs(pt.Predicted-pt.Observed)
	}
	return s / float64(len(p))
}

// topCount is the number of rows in the top fraction f, at least one.
func topCount(n int, f float64) int {
	k := int(math.Ceil(f * float64(n)))
	return min(max(k, 1), n)
}

// LiftCapture returns, for the top fraction f of rows ranked by score, the
// lift (positive rate there over the overall rate) and the capture (share
// of all positives found there). Both are NaN without positives.
func LiftCapture(p, y []float64, f float64) (lift, capture float64) {
	pos, _ := counts(y)
	if pos == 0 || len(p) == 0 {
		return math.NaN(), math.NaN()
	}
	idx := order(p)
	k := topCount(len(p), f)
	var tp float64
	for _, i := range idx[:k] {
		tp += y[i]
	}
	base := pos / float64(len(p))
	return tp / float64(k) / base, tp / pos
}

// PrecisionAtK is the share of positives among the k highest scores (all
// rows when k exceeds them).
func PrecisionAtK(p, y []float64, k int) float64 {
	if len(p) == 0 || k < 1 {
		return math.NaN()
	}
	k = min(k, len(p))
	var tp float64
	for _, i := range order(p)[:k] {
		tp += y[i]
	}
	return tp / float64(k)
}

// Point is a point of a curve, with the score threshold that produces it
// where that applies.
type Point struct {
	X         float64 `json:"x"`
	Y         float64 `json:"y"`
	Threshold float64 `json:"threshold"`
}

// ROCCurve returns the ROC curve as (false positive rate, true positive
// rate) points, one per distinct score from the highest down, starting at
// (0, 0) with threshold +Inf. It is nil when y holds a single class.
func ROCCurve(p, y []float64) []Point {
	pos, neg := counts(y)
	if pos == 0 || neg == 0 {
		return nil
	}
	idx := order(p)
	pts := []Point{{0, 0, math.Inf(1)}}
	var tp, fp float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && p[idx[j]] == p[idx[i]] {
			if y[idx[j]] > 0.5 {
				tp++
			} else {
				fp++
			}
			j++
		}
		pts = append(pts, Point{fp / neg, tp / pos, p[idx[i]]})
		i = j
	}
	return pts
}

// PRCurve returns the precision-recall curve as (recall, precision) points,
// one per distinct score from the highest down. It is nil without
// positives.
func PRCurve(p, y []float64) []Point {
	pos, _ := counts(y)
	if pos == 0 {
		return nil
	}
	idx := order(p)
	var pts []Point
	var tp float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && p[idx[j]] == p[idx[i]] {
			tp += y[idx[j]]
			j++
		}
		pts = append(pts, Point{tp / pos, tp / float64(j), p[idx[i]]})
		i = j
	}
	return pts
}

// Gains returns the cumulative gains curve at n evenly spaced population
// shares: X is the share of rows contacted in score order, Y the share of
// positives found, Threshold the lowest score contacted. It starts at
// (0, 0). It is nil without positives.
func Gains(p, y []float64, n int) []Point {
	pos, _ := counts(y)
	if pos == 0 || len(p) == 0 || n < 1 {
		return nil
	}
	idx := order(p)
	pts := []Point{{0, 0, math.Inf(1)}}
	var tp float64
	next := 1
	for r, i := range idx {
		tp += y[i]
		for next <= n && r+1 == topCount(len(p), float64(next)/float64(n)) {
			pts = append(pts, Point{float64(next) / float64(n), tp / pos, p[i]})
			next++
		}
	}
	return pts
}

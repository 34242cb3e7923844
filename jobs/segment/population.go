package segment

import (
	"fmt"
	"math"
	"slices"
	"sort"

	"churn/data/runs"
	"churn/features"
)

// The risk thresholds and value tiers read the whole scored population:
// the mean probability of the customers not churned, and two quantiles of
// the positive values. A run that scores its customers in ranges, on
// many machines, gets them from summaries of the ranges that merge
// exactly, in any grouping and order, into what one pass over every
// customer gives; RiskThresholds and ValueTiers are those summaries over
// one slice, so the two paths cannot disagree:
//
//	var pop Population                   // per range, merged: pop.Merge(&other)
//	pop.Add(prob, status, value)
//	th := pop.Thresholds(opt)            // the risk thresholds
//	var cv CutValues                     // per range, merged: cv.Merge(other)
//	cv.Add(value, pop.Wanted(opt))
//	hi, med, err := pop.Cuts(opt, cv)    // the value tiers' cut points
//	tiers := TiersAt(value, hi, med)     // per range
//
// Population is small: counts, an exact sum and a count per value bucket
// (the float's top bits: 1/256 of an octave), so it grows with the
// spread of the values, not with the customers. CutValues holds the
// distinct values of at most four buckets, those of the ranks the
// quantiles read.

// ExactSum is a sum of float64s without rounding error: non-overlapping
// partial sums (Shewchuk), whose Value is the sum correctly rounded,
// whatever the order and grouping of the Adds and Merges. The zero value
// is an empty sum.
type ExactSum struct {
	P []float64 // exported for encoders; non-overlapping, by increasing magnitude
}

// Add adds x, which must be finite.
func (s *ExactSum) Add(x float64) {
	i := 0
	for _, y := range s.P {
		if math.Abs(x) < math.Abs(y) {
			x, y = y, x
		}
		hi := x + y
		lo := y - (hi - x)
		if lo != 0 {
			s.P[i] = lo
			i++
		}
		x = hi
	}
	s.P = append(s.P[:i], x)
}

// Merge adds o's sum.
func (s *ExactSum) Merge(o *ExactSum) {
	for _, x := range o.P {
		s.Add(x)
	}
}

// Value returns the sum, correctly rounded to the nearest float64 (ties
// to even), as Python's math.fsum.
func (s *ExactSum) Value() float64 {
	p := s.P
	n := len(p)
	if n == 0 {
		return 0
	}
	n--
	hi, lo := p[n], 0.0
	for n > 0 {
		x, y := hi, p[n-1]
		n--
		hi = x + y
		lo = y - (hi - x)
		if lo != 0 {
			break
		}
	}
	if n > 0 && ((lo < 0 && p[n-1] < 0) || (lo > 0 && p[n-1] > 0)) {
		y := lo * 2
		x := hi + y
		if y == x-hi {
			hi = x
		}
	}
	return hi
}

// Population is the mergeable summary of scored customers that the risk
// thresholds and the value tiers' ranks read.
type Population struct {
	Scored  int      // customers not churned, with a probability
	ProbSum ExactSum // their probabilities
	Valued  int      // customers with a positive value
	// Buckets counts the positive values per bucketOf.
	Buckets map[uint32]int
}

// bucketOf is the bucket of a positive value: the top 20 bits of its
// float64 (the exponent and 8 bits of the fraction), which order the
// buckets as the values.
func bucketOf(v float64) uint32 { return uint32(math.Float64bits(v) >> 44) }

// Add adds customers: their probabilities, statuses and values (one per
// customer each; value may be nil for the thresholds alone).
func (p *Population) Add(prob []float64, status []features.Status, value []float64) {
	for i, x := range prob {
		if status[i] != features.Churned && !math.IsNaN(x) {
			p.ProbSum.Add(x)
			p.Scored++
		}
	}
	for _, v := range value {
		if v > 0 {
			if p.Buckets == nil {
				p.Buckets = map[uint32]int{}
			}
			p.Buckets[bucketOf(v)]++
			p.Valued++
		}
	}
}

// Merge adds o's customers.
func (p *Population) Merge(o *Population) {
	p.Scored += o.Scored
	p.ProbSum.Merge(&o.ProbSum)
	p.Valued += o.Valued
	for k, n := range o.Buckets {
		if p.Buckets == nil {
			p.Buckets = map[uint32]int{}
		}
		p.Buckets[k] += n
	}
}

// Thresholds resolves the configured thresholds against the population.
// A relative threshold is the lift times the base rate, at most 1; with
// no base rate (nobody scored, or every probability 0) it is 1, so that
// nobody is called at risk on no evidence.
func (p *Population) Thresholds(s Options) runs.RiskThresholds {
	t := runs.RiskThresholds{High: s.HighRisk, Medium: s.MediumRisk}
	if p.Scored > 0 {
		t.BaseRate = p.ProbSum.Value() / float64(p.Scored)
	}
	rel := func(lift float64) float64 {
		if t.BaseRate <= 0 {
			return 1
		}
		return min(lift*t.BaseRate, 1)
	}
	if t.High == 0 {
		t.High, t.HighRelative = rel(s.HighRiskLift), true
	}
	if t.Medium == 0 {
		t.Medium, t.MediumRelative = rel(s.MediumRiskLift), true
	}
	t.Medium = min(t.Medium, t.High)
	return t
}

// ranks returns the ranks, among the sorted positive values, that the
// quantile q interpolates between, and the weight of the upper one.
func (p *Population) ranks(q float64) (lo, hi int, frac float64) {
	pos := q * float64(p.Valued-1)
	lo = int(math.Floor(pos))
	return lo, min(lo+1, p.Valued-1), pos - float64(lo)
}

// locate returns the bucket that holds rank k of the sorted positive
// values, and k's rank within it.
func (p *Population) locate(keys []uint32, k int) (uint32, int) {
	for _, b := range keys {
		if n := p.Buckets[b]; k < n {
			return b, k
		} else {
			k -= n
		}
	}
	return keys[len(keys)-1], p.Buckets[keys[len(keys)-1]] - 1
}

func (p *Population) sortedKeys() []uint32 {
	keys := make([]uint32, 0, len(p.Buckets))
	for b := range p.Buckets {
		keys = append(keys, b)
	}
	slices.Sort(keys)
	return keys
}

// Wanted returns the buckets whose values the value tiers' cut points
// read (CutValues.Add), at most four.
func (p *Population) Wanted(s Options) []uint32 {
	if p.Valued == 0 {
		return nil
	}
	keys := p.sortedKeys()
	var out []uint32
	for _, q := range []float64{s.HighValueQuantile, s.MediumValueQuantile} {
		lo, hi, _ := p.ranks(q)
		for _, k := range []int{lo, hi} {
			b, _ := p.locate(keys, k)
			if !slices.Contains(out, b) {
				out = append(out, b)
			}
		}
	}
	return out
}

// CutValues counts the distinct positive values of the wanted buckets.
type CutValues map[float64]int

// Add counts the values of value in the buckets wanted.
func (c CutValues) Add(value []float64, wanted []uint32) {
	for _, v := range value {
		if v > 0 && slices.Contains(wanted, bucketOf(v)) {
			c[v]++
		}
	}
}

// Merge adds o's counts.
func (c CutValues) Merge(o CutValues) {
	for v, n := range o {
		c[v] += n
	}
}

// Cuts returns the high and medium value tiers' cut points: the
// quantiles HighValueQuantile and MediumValueQuantile of the positive
// values, by linear interpolation, from the population and the counted
// values of its wanted buckets; 0 and 0 when no customer has a value.
func (p *Population) Cuts(s Options, c CutValues) (hi, med float64, err error) {
	if p.Valued == 0 {
		return 0, 0, nil
	}
	keys := p.sortedKeys()
	// The counted values of each wanted bucket, sorted, with their counts.
	type run struct {
		v float64
		n int
	}
	byBucket := map[uint32][]run{}
	for v, n := range c {
		byBucket[bucketOf(v)] = append(byBucket[bucketOf(v)], run{v, n})
	}
	for _, rs := range byBucket {
		sort.Slice(rs, func(i, j int) bool { return rs[i].v < rs[j].v })
	}
	at := func(k int) (float64, error) {
		b, r := p.locate(keys, k)
		total := 0
		for _, x := range byBucket[b] {
			total += x.n
		}
		if total != p.Buckets[b] {
			return 0, fmt.Errorf("value tiers: %d values counted in bucket %#x, the population has %d", total, b, p.Buckets[b])
		}
		for _, x := range byBucket[b] {
			if r < x.n {
				return x.v, nil
			}
			r -= x.n
		}
		return 0, fmt.Errorf("value tiers: rank %d not found", k)
	}
	quantile := func(q float64) (float64, error) {
		lo, hi, frac := p.ranks(q)
		a, err := at(lo)
		if err != nil {
			return 0, err
		}
		b, err := at(hi)
		if err != nil {
			return 0, err
		}
		return a + frac*(b-a), nil
	}
	if hi, err = quantile(s.HighValueQuantile); err != nil {
		return 0, 0, err
	}
	if med, err = quantile(s.MediumValueQuantile); err != nil {
		return 0, 0, err
	}
	return hi, med, nil
}

// TiersAt places each value in a tier with the cut points of Cuts: high
// at or above hi, medium at or above med, else low; customers without a
// (positive) value are low.
func TiersAt(value []float64, hi, med float64) []string {
	tiers := make([]string, len(value))
	for i, v := range value {
		switch {
		case !(v > 0):
			tiers[i] = runs.Low
		case v >= hi:
			tiers[i] = runs.High
		case v >= med:
			tiers[i] = runs.Medium
		default:
			tiers[i] = runs.Low
		}
	}
	return tiers
}

package model

import (
	"math"
	"slices"

	"churn/model/internal/parallel"
)

// psiEps floors every bin's share before the logarithm in PSI, so that an
// empty bin on either side adds a large but finite term instead of Inf.
// 1e-4 is the floor most PSI tools use (a share of one in ten thousand).
const psiEps = 1e-4

// profileGroup is the columns Profile copies out per pass over the rows:
// eight float64s, a cache line of each row.
const profileGroup = 8

// shareScanEdges is the most edges shares counts past by a scan instead
// of a binary search.
const shareScanEdges = 16

// Distribution is the training distribution of one column: quantile bin
// edges over its finite-or-infinite values, the share of those values in
// each bin (len(Edges)+1 bins: (-Inf, e0], (e0, e1], ..., (eK, +Inf)), and
// the share of missing (NaN) values over all rows.
type Distribution struct {
	Edges   []float64 `json:"edges"`
	Props   []float64 `json:"props"`
	Missing float64   `json:"missing"`
}

// NewDistribution bins values into at most bins quantile bins (fewer when
// values repeat). bins < 2 means 10. values is left as it is.
func NewDistribution(values []float64, bins int) Distribution {
	return newDistributionOf(slices.Clone(values), bins)
}

// newDistributionOf is NewDistribution on values it may reorder and
// overwrite: the present values are compacted to its front and the
// selection works there, with no copy.
func newDistributionOf(values []float64, bins int) Distribution {
	if bins < 2 {
		bins = 10
	}
	n := 0
	top := math.Inf(-1)
	for _, v := range values {
		if !math.IsNaN(v) {
			values[n] = v
			n++
			top = max(top, v)
		}
	}
	present := values[:n]
	d := Distribution{}
	if len(values) > 0 {
		d.Missing = float64(len(values)-len(present)) / float64(len(values))
	}
	if len(present) == 0 {
		d.Props = []float64{0}
		return d
	}
	// The edges are order statistics: placing them is enough, a full sort
	// is not needed.
	ranks := make([]int, 0, bins-1)
	for k := 1; k < bins; k++ {
		if r := (k * len(present)) / bins; len(ranks) == 0 || r > ranks[len(ranks)-1] {
			ranks = append(ranks, r)
		}
	}
	selectRanks(present, ranks)
	for k := 1; k < bins; k++ {
		e := present[(k*len(present))/bins]
		if math.IsInf(e, 0) || (len(d.Edges) > 0 && e <= d.Edges[len(d.Edges)-1]) {
			continue
		}
		d.Edges = append(d.Edges, e)
	}
	// Drop an edge at the maximum: its upper bin would hold nothing.
	if n := len(d.Edges); n > 0 && d.Edges[n-1] >= top {
		d.Edges = d.Edges[:n-1]
	}
	d.Props = d.shares(present)
	return d
}

// selectRanks reorders a, which holds no NaN, so that a[r] is the value a
// sorted in increasing order would hold at r, for every r in ranks
// (increasing): a multiple quickselect with three-way partitions, so that
// columns of many equal values stay linear.
func selectRanks(a []float64, ranks []int) {
	selectIn(a, 0, len(a), ranks)
}

// selectIn places ranks, all within [lo, hi), within a[lo:hi].
func selectIn(a []float64, lo, hi int, ranks []int) {
	for len(ranks) > 0 && hi-lo > 1 {
		// Median of three as the pivot.
		x, y, z := a[lo], a[lo+(hi-lo)/2], a[hi-1]
		p := max(min(x, y), min(max(x, y), z))
		// a[lo:lt] < p, a[lt:gt] == p, a[gt:hi] > p.
		lt, i, gt := lo, lo, hi
		for i < gt {
			switch v := a[i]; {
			case v < p:
				a[lt], a[i] = a[i], a[lt]
				lt++
				i++
			case v > p:
				gt--
				a[gt], a[i] = a[i], a[gt]
			default:
				i++
			}
		}
		// Ranks below lt are placed within a[lo:lt], ranks from gt on
		// within a[gt:hi]; those between hold p already.
		k := 0
		for k < len(ranks) && ranks[k] < lt {
			k++
		}
		m := k
		for m < len(ranks) && ranks[m] < gt {
			m++
		}
		if k > 0 {
			selectIn(a, lo, lt, ranks[:k])
		}
		ranks = ranks[m:]
		lo = gt
	}
}

// shares returns the share of the non-missing values present in each bin.
func (d Distribution) shares(present []float64) []float64 {
	c := d.Count(present)
	p := make([]float64, len(c.Bins))
	for i, n := range c.Bins {
		if len(present) > 0 {
			p[i] = float64(n) / float64(len(present))
		}
	}
	return p
}

// Counts is how many values of a column fall in each bin of a
// Distribution, and how many are missing: the summary PSI reads, which
// adds up over any split of the rows (Merge).
type Counts struct {
	Bins    []int64 // len(Edges)+1
	Missing int64
}

// Merge adds o's values.
func (c *Counts) Merge(o Counts) {
	for len(c.Bins) < len(o.Bins) {
		c.Bins = append(c.Bins, 0)
	}
	for i, n := range o.Bins {
		c.Bins[i] += n
	}
	c.Missing += o.Missing
}

// Count returns the bin counts of actual against d's edges.
func (d Distribution) Count(actual []float64) Counts {
	c := Counts{Bins: make([]int64, len(d.Edges)+1)}
	if len(d.Edges) <= shareScanEdges {
		// The bin is the count of edges below v, which increase: a scan
		// with no branch to mispredict, where a binary search over a few
		// edges guesses wrong at about every step.
		for _, v := range actual {
			if math.IsNaN(v) {
				c.Missing++
				continue
			}
			i := 0
			for _, e := range d.Edges {
				i += b2i(e < v)
			}
			c.Bins[i]++
		}
	} else {
		for _, v := range actual {
			if math.IsNaN(v) {
				c.Missing++
				continue
			}
			i, _ := slices.BinarySearch(d.Edges, v) // first edge >= v: bin (e[i-1], e[i]]
			c.Bins[i]++
		}
	}
	return c
}

// b2i is 1 for true and 0 for false, which the compiler turns into a
// flag read instead of a branch.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// PSI is the population stability index of actual against d, with the
// missing share as one more bin: sum over bins of (a - e) * ln(a / e),
// shares floored at psiEps. Below 0.1 is usually read as stable, above
// 0.2 as a shift worth a look.
func (d Distribution) PSI(actual []float64) float64 {
	return d.PSICounts(d.Count(actual))
}

// PSICounts is PSI from the bin counts of the values (Count, merged over
// any split of them): the same figure, bit for bit.
func (d Distribution) PSICounts(c Counts) float64 {
	var present int64
	for _, n := range c.Bins {
		present += n
	}
	total := present + c.Missing
	if total == 0 {
		return 0
	}
	aMiss := float64(c.Missing) / float64(total)
	term := func(a, e float64) float64 {
		a, e = math.Max(a, psiEps), math.Max(e, psiEps)
		return (a - e) * math.Log(a/e)
	}
	psi := term(aMiss, d.Missing)
	for i := range len(d.Edges) + 1 {
		a := 0.0
		if i < len(c.Bins) && present > 0 {
			a = float64(c.Bins[i]) / float64(present)
		}
		e := 0.0
		if i < len(d.Props) {
			e = d.Props[i]
		}
		psi += term(a*(1-aMiss), e*(1-d.Missing))
	}
	return psi
}

// Profile returns the distribution of every column of m.
//
// Columns go profileGroup adjacent ones at a time: the goroutines (up to
// GOMAXPROCS) first copy the group out of the row-major matrix together,
// a block of rows each, reading each row's part once instead of once per
// column, then bin its columns, one each at a time. One set of column
// buffers serves every group. The result does not depend on the number of
// goroutines.
func Profile(m *Matrix, bins int) map[string]Distribution {
	c := len(m.Cols)
	dists := make([]Distribution, c)
	workers := parallel.Workers(0)
	var cols [profileGroup][]float64
	for q := range min(c, profileGroup) {
		cols[q] = make([]float64, m.Rows)
	}
	const block = 4096
	blocks := (m.Rows + block - 1) / block
	for lo := 0; lo < c; lo += profileGroup {
		hi := min(lo+profileGroup, c)
		parallel.For(workers, blocks, func(b int) {
			for i := b * block; i < min((b+1)*block, m.Rows); i++ {
				for q, v := range m.X[i*c+lo : i*c+hi] {
					cols[q][i] = v
				}
			}
		})
		parallel.For(workers, hi-lo, func(q int) {
			dists[lo+q] = newDistributionOf(cols[q], bins)
		})
	}
	out := make(map[string]Distribution, c)
	for j, name := range m.Cols {
		out[name] = dists[j]
	}
	return out
}

package gbt

import (
	"math"
	"math/bits"
	"slices"
	"sort"

	"churn/model/internal/parallel"
)

// binSampleRows bounds the rows whose values are sorted to place bin edges.
const binSampleRows = 200_000

// binned holds the training matrix as quantile-bin codes.
type binned struct {
	rows, cols int
	// codes is column-major: column j is codes[j*rows : (j+1)*rows]. Code
	// nbins[j] marks a missing value.
	codes []uint8
	// rowCodes holds the same codes row-major: row r is
	// rowCodes[r*cols : (r+1)*cols]. Sparse nodes build their histograms
	// from it (addHistRows).
	rowCodes []uint8
	// cuts[j][b] is the upper edge of bin b of column j: a value v falls in
	// the first bin b with v <= cuts[j][b], or in bin len(cuts[j]) past the
	// last edge. A column has len(cuts[j])+1 bins.
	cuts  [][]float64
	nbins []int
	// missing counts the missing values of each column.
	missing []int
	// release gives back the memory of codes and rowCodes (mapCodes),
	// which are unusable after it.
	release func()
}

// missing reports NaN and ±Inf, which the model treats alike: infinities
// carry no position on a quantile scale, so they follow a split's learned
// missing-value direction, in training and in prediction.
func missing(v float64) bool { return v-v != 0 }

// binMatrix places bin edges for every column from an exact sort of a
// deterministic, evenly strided sample of rows and codes every value.
func binMatrix(d Data, maxBins, workers int) *binned {
	b := &binned{
		rows:    d.Rows,
		cols:    d.Cols,
		cuts:    make([][]float64, d.Cols),
		nbins:   make([]int, d.Cols),
		missing: make([]int, d.Cols),
	}
	// Both code matrices are written in full by the coding loop below,
	// on every worker (mapCodes).
	codes, relCodes := mapCodes(d.Rows * d.Cols)
	rowCodes, relRows := mapCodes(d.Rows * d.Cols)
	b.codes, b.rowCodes = codes, rowCodes
	b.release = func() { relCodes(); relRows() }
	sample := min(d.Rows, binSampleRows)
	// Gather the sample column by column, as float32: binEdges tells
	// values apart as float32 anyway. A block of sample rows is read row
	// by row and written column by column, so that the writes of one
	// column stay within a few cache lines. A column with a finite value
	// beyond float32's range is gathered again as float64.
	vals := make([]float32, sample*d.Cols)
	const gatherBlock = 256
	wide := make([]bool, d.Cols*((sample+gatherBlock-1)/gatherBlock))
	parallel.For(workers, (sample+gatherBlock-1)/gatherBlock, func(k int) {
		for i := k * gatherBlock; i < min((k+1)*gatherBlock, sample); i++ {
			r := int(int64(i) * int64(d.Rows) / int64(sample))
			for j, v := range d.X[r*d.Cols : (r+1)*d.Cols] {
				f := float32(v)
				if f-f != 0 && !missing(v) {
					wide[k*d.Cols+j] = true
				}
				vals[j*sample+i] = f
			}
		}
	})
	parallel.For(workers, d.Cols, func(j int) {
		col := vals[j*sample : (j+1)*sample]
		isWide := false
		for k := j; k < len(wide); k += d.Cols {
			isWide = isWide || wide[k]
		}
		var cuts []float64
		if isWide {
			var finite []float64
			for i := range sample {
				r := int(int64(i) * int64(d.Rows) / int64(sample))
				if v := d.X[r*d.Cols+j]; !missing(v) {
					finite = append(finite, v)
				}
			}
			cuts = binEdges(finite, maxBins)
		} else {
			finite := col[:0]
			for _, v := range col {
				if v-v == 0 {
					finite = append(finite, v)
				}
			}
			cuts = binEdges32(finite, maxBins)
		}
		b.cuts[j] = cuts
		b.nbins[j] = len(cuts) + 1
	})
	// Code blocks of rows, reading X in order and writing every column's
	// codes in order; each block counts its own missing values.
	const block = 4096
	blocks := (d.Rows + block - 1) / block
	miss := make([]int, blocks*d.Cols)
	keys := make([][]uint64, d.Cols)
	for j, cuts := range b.cuts {
		keys[j] = make([]uint64, len(cuts))
		for i, c := range cuts {
			keys[j][i] = thresholdKey(c)
		}
	}
	parallel.For(workers, blocks, func(k int) {
		lo, hi := k*block, min((k+1)*block, d.Rows)
		for r := lo; r < hi; r++ {
			for j, v := range d.X[r*d.Cols : (r+1)*d.Cols] {
				c := uint8(b.nbins[j])
				if missing(v) {
					miss[k*d.Cols+j]++
				} else {
					c = uint8(searchKeys(keys[j], orderKey(v)))
				}
				b.codes[j*d.Rows+r] = c
				b.rowCodes[r*d.Cols+j] = c
			}
		}
	})
	for k := 0; k < blocks; k++ {
		for j := 0; j < d.Cols; j++ {
			b.missing[j] += miss[k*d.Cols+j]
		}
	}
	return b
}

// searchKeys returns the first i with k <= keys[i], or len(keys): for the
// thresholdKeys of a column's cuts and the orderKey of a finite value v,
// the bin of v, as the first cut with v <= cut. The halving step is
// arithmetic on the borrow of a subtraction, not a branch, which bins hit
// about at random would mispredict half the time.
func searchKeys(keys []uint64, k uint64) int {
	n := len(keys)
	if n == 0 {
		return 0
	}
	base := 0
	for n > 1 {
		half := n >> 1
		_, below := bits.Sub64(keys[base+half], k, 0) // 1 when the key is below k
		base += half & -int(below)
		n -= half
	}
	_, below := bits.Sub64(keys[base], k, 0)
	return base + int(below)
}

// binEdges sorts vals and returns at most maxBins-1 increasing edges that
// split them into bins of near-equal counts. Values are told apart as
// float32, the precision XGBoost reads them in, so that an exported model
// (WriteXGBoostJSON) sends every value the same way: values equal as
// float32 share a bin, and an edge sits on the boundary between two
// float32s near the midpoint of the neighbouring distinct values (see
// cut32), so unseen values between them are split about evenly. Fewer
// than two distinct values give no edges: the column is constant and
// never split on.
func binEdges(vals []float64, maxBins int) []float64 {
	if len(vals) == 0 {
		return nil
	}
	for i, v := range vals {
		vals[i] = round32(v)
	}
	slices.Sort(vals)
	distinct := slices.Compact(slices.Clone(vals))
	if len(distinct) <= maxBins {
		cuts := make([]float64, len(distinct)-1)
		for i := range cuts {
			cuts[i] = cut32(distinct[i], distinct[i+1])
		}
		return cuts
	}
	n := len(vals)
	cuts := make([]float64, 0, maxBins-1)
	for k := 1; k < maxBins; k++ {
		v := vals[k*n/maxBins]
		// The edge closes the bin after v, midway to the next distinct value.
		i := sort.SearchFloat64s(distinct, v)
		if i+1 >= len(distinct) {
			break
		}
		c := cut32(distinct[i], distinct[i+1])
		if len(cuts) == 0 || c > cuts[len(cuts)-1] {
			cuts = append(cuts, c)
		}
	}
	return cuts
}

// binEdges32 returns what binEdges returns for the same values given as
// float64, from finite float32 values, which it sorts in place. Sorting by
// radix gives the same order as a comparison sort but for the order of -0
// and +0, which compare equal and give the same edges either way.
func binEdges32(vals []float32, maxBins int) []float64 {
	if len(vals) == 0 {
		return nil
	}
	radixSort32(vals)
	distinct := slices.Compact(slices.Clone(vals))
	if len(distinct) <= maxBins {
		cuts := make([]float64, len(distinct)-1)
		for i := range cuts {
			cuts[i] = cut32(float64(distinct[i]), float64(distinct[i+1]))
		}
		return cuts
	}
	n := len(vals)
	cuts := make([]float64, 0, maxBins-1)
	for k := 1; k < maxBins; k++ {
		v := vals[k*n/maxBins]
		// The edge closes the bin after v, midway to the next distinct value.
		i, _ := slices.BinarySearch(distinct, v)
		if i+1 >= len(distinct) {
			break
		}
		c := cut32(float64(distinct[i]), float64(distinct[i+1]))
		if len(cuts) == 0 || c > cuts[len(cuts)-1] {
			cuts = append(cuts, c)
		}
	}
	return cuts
}

// radixSort32 sorts finite float32 values in increasing order (-0 before
// +0) by three passes of 11 bits over keys that order like the values.
func radixSort32(vals []float32) {
	keys := make([]uint32, len(vals))
	for i, v := range vals {
		u := math.Float32bits(v)
		if u>>31 != 0 {
			u = ^u
		} else {
			u |= 1 << 31
		}
		keys[i] = u
	}
	tmp := make([]uint32, len(keys))
	var count [1 << 11]int
	for shift := uint(0); shift < 32; shift += 11 {
		clear(count[:])
		for _, k := range keys {
			count[(k>>shift)&(1<<11-1)]++
		}
		sum := 0
		for i, c := range count {
			count[i] = sum
			sum += c
		}
		for _, k := range keys {
			d := (k >> shift) & (1<<11 - 1)
			tmp[count[d]] = k
			count[d]++
		}
		keys, tmp = tmp, keys
	}
	for i, u := range keys {
		if u>>31 != 0 {
			u &^= 1 << 31
		} else {
			u = ^u
		}
		vals[i] = math.Float32frombits(u)
	}
}

// round32 rounds v to the nearest float32, keeping values beyond float32's
// range as they are.
func round32(v float64) float64 {
	r := float64(float32(v))
	if math.IsInf(r, 0) {
		return v
	}
	return r
}

// cut32 returns an edge t with a <= t < b, for float32 values a < b, such
// that for every float64 v, v <= t exactly when float32(v) <= c for one
// float32 c in [a, b): t is the rounding boundary between c and the next
// float32, taken on c's side when a tie rounds to c (c's last mantissa
// bit even) and just below it otherwise. c is the float32 nearest the
// midpoint of a and b. Outside float32's range it falls back to the
// midpoint.
func cut32(a, b float64) float64 {
	if math.Abs(a) > math.MaxFloat32 || math.Abs(b) > math.MaxFloat32 {
		return midpoint(a, b)
	}
	up := float32(math.Inf(1))
	c := float32(a/2 + b/2)
	if float64(c) >= b {
		c = math.Nextafter32(float32(b), -up)
	}
	if float64(c) < a {
		c = float32(a)
	}
	next := math.Nextafter32(c, up)
	if math.IsInf(float64(next), 0) {
		return midpoint(a, b)
	}
	t := float64(c)/2 + float64(next)/2 // exact: float32s have fewer bits
	if math.Float32bits(c)&1 != 0 {
		t = math.Nextafter(t, math.Inf(-1))
	}
	return t
}

// midpoint returns a value strictly between a < b (or a itself when they
// are adjacent floats), without overflow.
func midpoint(a, b float64) float64 {
	m := a/2 + b/2
	if !(m >= a && m < b) {
		return a
	}
	return m
}

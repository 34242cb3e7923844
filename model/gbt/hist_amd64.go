//go:build amd64 && !purego

package gbt

// addHist4 adds g[i] to bin cols[q][idx[i]] of column q's histogram in h
// (colHist), for q < 4 and every i, in order of i, with the same sums bit
// for bit as addHist4Go. idx must be increasing, as every node's rows are,
// with its values below len(cols[q]), and g must hold len(idx) pairs: the
// assembly checks no index, so checkHist checks h's length, the last row
// and g's length first, and panics on a breach as Go's own bounds checks
// would.
func addHist4(h []gpair, cols *[4][]uint8, idx []int32, g []gpair) {
	if !checkHist(h, cols[:], idx, g) {
		return
	}
	addHist4SSE2(&h[0], &cols[0][0], &cols[1][0], &cols[2][0], &cols[3][0], idx, g)
}

// addHist8 is addHist4 for eight columns.
func addHist8(h []gpair, cols *[8][]uint8, idx []int32, g []gpair) {
	if !checkHist(h, cols[:], idx, g) {
		return
	}
	var c [8]*uint8
	for q := range c {
		c[q] = &cols[q][0]
	}
	addHist8SSE2(&h[0], &c, idx, g)
}

// checkHist reports whether idx has rows, and panics unless h holds the
// histograms of every column, its first and last rows (increasing rows:
// the least and the largest) index every column and g holds a pair per
// row.
func checkHist(h []gpair, cols [][]uint8, idx []int32, g []gpair) bool {
	_ = h[(len(cols)-1)*histStride+histWidth-1]
	n := len(idx)
	if n == 0 {
		return false
	}
	_ = g[n-1]
	first, last := int(idx[0]), int(idx[n-1])
	for _, c := range cols {
		_, _ = c[first], c[last]
	}
	return true
}

// addHist4SSE2 is addHist4 with a gradient pair added to a bin as one
// SSE2 vector: one load, one add and one store instead of two of each.
// The two lanes round exactly as two scalar additions do. Column q's
// histogram starts q*histStride pairs after h.
//
//go:noescape
func addHist4SSE2(h *gpair, c0, c1, c2, c3 *uint8, idx []int32, g []gpair)

// addHist8SSE2 is addHist4SSE2 for eight columns, given by an array of
// their codes' first elements.
//
//go:noescape
func addHist8SSE2(h *gpair, c *[8]*uint8, idx []int32, g []gpair)

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

// addHist4Rows is addHist4 on row-major codes: column q's code of row r is
// rc[r*stride+fs[q]] (addHist4RowsGo), with the same sums bit for bit.
// idx must be increasing; checkHistRows checks the first and last rows'
// codes, h's length and g's length, and panics on a breach.
func addHist4Rows(h []gpair, rc []uint8, stride int, fs *[4]int, idx []int32, g []gpair) {
	if !checkHistRows(h, rc, stride, fs[:], idx, g) {
		return
	}
	addHist4RowsSSE2(&h[0], &rc[fs[0]], &rc[fs[1]], &rc[fs[2]], &rc[fs[3]], stride, idx, g)
}

// addHist8Rows is addHist4Rows for eight columns.
func addHist8Rows(h []gpair, rc []uint8, stride int, fs *[8]int, idx []int32, g []gpair) {
	if !checkHistRows(h, rc, stride, fs[:], idx, g) {
		return
	}
	var c [8]*uint8
	for q, f := range fs {
		c[q] = &rc[f]
	}
	addHist8RowsSSE2(&h[0], &c, stride, idx, g, max(0, len(idx)-16))
}

// checkHistRows is checkHist for row-major codes: with increasing rows
// and column offsets within the row (addHistRows checks them), the first
// and the last row's codes bound every code the kernel reads.
func checkHistRows(h []gpair, rc []uint8, stride int, fs []int, idx []int32, g []gpair) bool {
	_ = h[(len(fs)-1)*histStride+histWidth-1]
	n := len(idx)
	if n == 0 {
		return false
	}
	_ = g[n-1]
	first, last := int(idx[0])*stride, int(idx[n-1])*stride
	for _, f := range fs {
		_, _ = rc[first+f], rc[last+f]
	}
	return true
}

// addHist4RowsSSE2 is addHist4SSE2 on row-major codes: column q's code of
// row r is at cq + r*stride.
//
//go:noescape
func addHist4RowsSSE2(h *gpair, c0, c1, c2, c3 *uint8, stride int, idx []int32, g []gpair)

// addHist8RowsSSE2 is addHist4RowsSSE2 for eight columns.
//
//go:noescape
func addHist8RowsSSE2(h *gpair, c *[8]*uint8, stride int, idx []int32, g []gpair, pre int)

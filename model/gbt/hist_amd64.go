//go:build amd64 && !purego

package gbt

// addHist4 adds g[i] to bin cols[q][idx[i]] of hs[q], for q < 4 and every
// i, in order of i, with the same sums bit for bit as addHist4Go. idx must
// be increasing, as every node's rows are, with its values below
// len(cols[q]), and g must hold len(idx) pairs: the assembly checks no
// index, so checkHist checks the last row and g's length first, and
// panics on a breach as Go's own bounds checks would.
func addHist4(hs *[4]*[histWidth]gpair, cols *[4][]uint8, idx []int32, g []gpair) {
	if !checkHist(cols[:], idx, g) {
		return
	}
	addHist4SSE2(&hs[0][0], &hs[1][0], &hs[2][0], &hs[3][0], &cols[0][0], &cols[1][0], &cols[2][0], &cols[3][0], idx, g)
}

// addHist8 is addHist4 for eight columns.
func addHist8(hs *[8]*[histWidth]gpair, cols *[8][]uint8, idx []int32, g []gpair) {
	if !checkHist(cols[:], idx, g) {
		return
	}
	var h [8]*gpair
	var c [8]*uint8
	for q := range h {
		h[q], c[q] = &hs[q][0], &cols[q][0]
	}
	addHist8SSE2(&h, &c, idx, g)
}

// checkHist reports whether idx has rows, and panics unless its first
// and last rows (increasing rows: the least and the largest) index every
// column and g holds a pair per row.
func checkHist(cols [][]uint8, idx []int32, g []gpair) bool {
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
// The two lanes round exactly as two scalar additions do.
//
//go:noescape
func addHist4SSE2(h0, h1, h2, h3 *gpair, c0, c1, c2, c3 *uint8, idx []int32, g []gpair)

// addHist8SSE2 is addHist4SSE2 for eight columns, given by arrays of
// their histograms' and codes' first elements.
//
//go:noescape
func addHist8SSE2(h *[8]*gpair, c *[8]*uint8, idx []int32, g []gpair)

//go:build amd64 && !purego

package gbt

// addHist4 adds g[i] to bin cols[q][idx[i]] of hs[q], for q < 4 and every
// i, in order of i, with the same sums bit for bit as addHist4Go. idx must
// be increasing, as every node's rows are, with its values below
// len(cols[q]), and g must hold len(idx) pairs: the assembly checks no
// index, so addHist4 checks the last row and g's length, and panics on a
// breach as Go's own bounds checks would.
func addHist4(hs *[histGroup]*[histWidth]gpair, cols *[histGroup][]uint8, idx []int32, g []gpair) {
	n := len(idx)
	if n == 0 {
		return
	}
	last := int(idx[n-1])
	_ = g[n-1]
	_, _, _, _ = cols[0][last], cols[1][last], cols[2][last], cols[3][last]
	if idx[0] < 0 {
		panic("gbt: negative row index")
	}
	addHist4SSE2(&hs[0][0], &hs[1][0], &hs[2][0], &hs[3][0], &cols[0][0], &cols[1][0], &cols[2][0], &cols[3][0], idx, g)
}

// addHist4SSE2 is addHist4 with a gradient pair added to a bin as one
// SSE2 vector: one load, one add and one store instead of two of each.
// The two lanes round exactly as two scalar additions do.
//
//go:noescape
func addHist4SSE2(h0, h1, h2, h3 *gpair, c0, c1, c2, c3 *uint8, idx []int32, g []gpair)

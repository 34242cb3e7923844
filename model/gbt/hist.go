package gbt

// addHist4Go adds g[i] to bin cols[q][idx[i]] of hs[q], for q < 4 and
// every i, in order of i: what addHist4 does, in Go. The order of the
// additions into each bin is the order of idx, so that a histogram's sums
// are the same bit for bit whichever of the two builds it.
func addHist4Go(hs *[histGroup]*[histWidth]gpair, cols *[histGroup][]uint8, idx []int32, g []gpair) {
	h0, h1, h2, h3 := hs[0], hs[1], hs[2], hs[3]
	c0, c1, c2, c3 := cols[0], cols[1], cols[2], cols[3]
	g = g[:len(idx)]
	for i, r := range idx {
		gp := g[i]
		b0, b1, b2, b3 := c0[r], c1[r], c2[r], c3[r]
		h0[b0].g += gp.g
		h0[b0].h += gp.h
		h1[b1].g += gp.g
		h1[b1].h += gp.h
		h2[b2].g += gp.g
		h2[b2].h += gp.h
		h3[b3].g += gp.g
		h3[b3].h += gp.h
	}
}

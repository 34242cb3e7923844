package gbt

// colHist returns column q's histogram within a block h of histograms
// laid out histStride apart, which must hold it within its length.
func colHist(h []gpair, q int) *[histWidth]gpair {
	end := q*histStride + histWidth
	return (*[histWidth]gpair)(h[end-histWidth : end : len(h)])
}

// addHist4Go adds g[i] to bin cols[q][idx[i]] of column q's histogram in
// h (colHist), for q < 4 and every i, in order of i: what addHist4 does,
// in Go. The order of the additions into each bin is the order of idx, so
// that a histogram's sums are the same bit for bit whichever kernel builds
// it, and however its columns are grouped.
func addHist4Go(h []gpair, cols *[4][]uint8, idx []int32, g []gpair) {
	h0, h1, h2, h3 := colHist(h, 0), colHist(h, 1), colHist(h, 2), colHist(h, 3)
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

// addHistGo is addHist4Go for one column.
func addHistGo(h *[histWidth]gpair, col []uint8, idx []int32, g []gpair) {
	g = g[:len(idx)]
	for i, r := range idx {
		b := col[r]
		h[b].g += g[i].g
		h[b].h += g[i].h
	}
}

// addHist adds g[i] to bin cols[q][idx[i]] of column q's histogram in h
// (colHist: histStride apart) for every column q and every i, in order of
// i, eight or four columns per pass over the rows where it can: one load
// of a row's gradient serves them all, and their independent additions
// overlap.
func addHist(h []gpair, cols [][]uint8, idx []int32, g []gpair) {
	q := 0
	for ; q+8 <= len(cols); q += 8 {
		addHist8(h[q*histStride:], (*[8][]uint8)(cols[q:q+8]), idx, g)
	}
	for ; q+4 <= len(cols); q += 4 {
		addHist4(h[q*histStride:], (*[4][]uint8)(cols[q:q+4]), idx, g)
	}
	for ; q < len(cols); q++ {
		addHistGo(colHist(h, q), cols[q], idx, g)
	}
}

package gbt

import "fmt"

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

// addHistRowGo is addHistGo on row-major codes: the code of row r is
// rc[r*stride+f].
func addHistRowGo(h *[histWidth]gpair, rc []uint8, stride, f int, idx []int32, g []gpair) {
	g = g[:len(idx)]
	for i, r := range idx {
		b := rc[int(r)*stride+f]
		h[b].g += g[i].g
		h[b].h += g[i].h
	}
}

// addHist4RowsGo is addHist4Go on row-major codes: column q's code of row
// r is rc[r*stride+fs[q]].
func addHist4RowsGo(h []gpair, rc []uint8, stride int, fs *[4]int, idx []int32, g []gpair) {
	h0, h1, h2, h3 := colHist(h, 0), colHist(h, 1), colHist(h, 2), colHist(h, 3)
	f0, f1, f2, f3 := fs[0], fs[1], fs[2], fs[3]
	g = g[:len(idx)]
	for i, r := range idx {
		gp := g[i]
		row := rc[int(r)*stride:]
		b0, b1, b2, b3 := row[f0], row[f1], row[f2], row[f3]
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

// addHistRows is addHist on row-major codes: column q's code of row r is
// rc[r*stride+fs[q]]. The sums are those of addHist, bit for bit: each bin
// takes its additions in order of idx. A sparse node's rows cost a cache
// line or two per row for all of a task's columns this way, where
// column-major codes cost a line per row and column.
func addHistRows(h []gpair, rc []uint8, stride int, fs []int, idx []int32, g []gpair) {
	for _, f := range fs {
		if f < 0 || f >= stride {
			panic(fmt.Sprintf("gbt: column offset %d outside a row of %d codes", f, stride))
		}
	}
	q := 0
	for ; q+8 <= len(fs); q += 8 {
		addHist8Rows(h[q*histStride:], rc, stride, (*[8]int)(fs[q:q+8]), idx, g)
	}
	for ; q+4 <= len(fs); q += 4 {
		addHist4Rows(h[q*histStride:], rc, stride, (*[4]int)(fs[q:q+4]), idx, g)
	}
	for ; q < len(fs); q++ {
		addHistRowGo(colHist(h, q), rc, stride, fs[q], idx, g)
	}
}

//go:build !amd64 || purego

package gbt

// addHist4 adds g[i] to bin cols[q][idx[i]] of column q's histogram in h,
// for q < 4 and every i, in order of i (see addHist4Go).
func addHist4(h []gpair, cols *[4][]uint8, idx []int32, g []gpair) {
	addHist4Go(h, cols, idx, g)
}

// addHist8 is addHist4 for eight columns.
func addHist8(h []gpair, cols *[8][]uint8, idx []int32, g []gpair) {
	addHist4Go(h, (*[4][]uint8)(cols[:4]), idx, g)
	addHist4Go(h[4*histStride:], (*[4][]uint8)(cols[4:]), idx, g)
}

// addHist4Rows is addHist4 on row-major codes (see addHist4RowsGo).
func addHist4Rows(h []gpair, rc []uint8, stride int, fs *[4]int, idx []int32, g []gpair) {
	addHist4RowsGo(h, rc, stride, fs, idx, g)
}

// addHist8Rows is addHist4Rows for eight columns.
func addHist8Rows(h []gpair, rc []uint8, stride int, fs *[8]int, idx []int32, g []gpair) {
	addHist4RowsGo(h, rc, stride, (*[4]int)(fs[:4]), idx, g)
	addHist4RowsGo(h[4*histStride:], rc, stride, (*[4]int)(fs[4:]), idx, g)
}

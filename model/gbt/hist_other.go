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

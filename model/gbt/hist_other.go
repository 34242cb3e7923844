//go:build !amd64 || purego

package gbt

// addHist4 adds g[i] to bin cols[q][idx[i]] of hs[q], for q < 4 and every
// i, in order of i (see addHist4Go).
func addHist4(hs *[4]*[histWidth]gpair, cols *[4][]uint8, idx []int32, g []gpair) {
	addHist4Go(hs, cols, idx, g)
}

// addHist8 is addHist4 for eight columns.
func addHist8(hs *[8]*[histWidth]gpair, cols *[8][]uint8, idx []int32, g []gpair) {
	addHist4Go((*[4]*[histWidth]gpair)(hs[:4]), (*[4][]uint8)(cols[:4]), idx, g)
	addHist4Go((*[4]*[histWidth]gpair)(hs[4:]), (*[4][]uint8)(cols[4:]), idx, g)
}

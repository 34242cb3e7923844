//go:build !amd64 || purego

package gbt

// addHist4 adds g[i] to bin cols[q][idx[i]] of hs[q], for q < 4 and every
// i, in order of i (see addHist4Go).
func addHist4(hs *[histGroup]*[histWidth]gpair, cols *[histGroup][]uint8, idx []int32, g []gpair) {
	addHist4Go(hs, cols, idx, g)
}

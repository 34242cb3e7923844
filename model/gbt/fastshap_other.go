//go:build !amd64 || purego

package gbt

// shapAVX512 is false: the fast TreeSHAP passes run the Go loops.
const shapAVX512 = false

// addLeaf adds the terms of one leaf's slots to every row (see addLeafGo).
func addLeaf(phi []float64, hs []uint32, tab []float64, slots []shapSlot) {
	addLeafGo(phi, hs, tab, slots)
}

// splitPatterns gives the children of a node their rows' patterns (see
// splitPatternsGo).
func splitPatterns(l, rt, p []uint32, k []uint64, bit uint32, miss, key uint64) {
	splitPatternsGo(l, rt, p, k, bit, miss, key)
}

//go:build amd64 && !purego

package gbt

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// shapAVX512 reports whether the fast TreeSHAP passes run the AVX-512
// kernels of fastshap_amd64.s, eight rows per instruction; they add the
// same products in the same order per row as the Go loops, so the
// contributions are the same bit for bit either way.
var shapAVX512 = cpu.X86.HasAVX512F && cpu.X86.HasAVX512VL

// addLeaf is addLeafGo, by the AVX-512 kernel where the CPU has one.
func addLeaf(phi []float64, hs []uint32, tab []float64, slots []shapSlot) {
	n, d := len(hs), len(slots)
	if !shapAVX512 || n == 0 || d == 0 || d > 6 {
		addLeafGo(phi, hs, tab, slots)
		return
	}
	// The kernel reads shapTablePad table entries and selects among the
	// first 1<<d (patterns are masked to d bits); it writes
	// phi[feat*n:][:n].
	if len(tab) < shapTablePad {
		panic("gbt: addLeaf: table shorter than shapTablePad entries")
	}
	for i := range slots {
		if f := int(slots[i].feat); f < 0 || (f+1)*n > len(phi) {
			panic("gbt: addLeaf: a slot's column is outside the block")
		}
	}
	shapLeafAVX512(&phi[0], &hs[0], &tab[0], &slots[0], d, n&^7, 1<<(n&7)-1, n)
}

// splitPatterns is splitPatternsGo, by the AVX-512 kernel where the CPU
// has one.
func splitPatterns(l, rt, p []uint32, k []uint64, bit uint32, miss, key uint64) {
	if !shapAVX512 || len(p) == 0 {
		splitPatternsGo(l, rt, p, k, bit, miss, key)
		return
	}
	n := len(p)
	if len(l) < n || len(rt) < n || len(k) < n {
		panic("gbt: splitPatterns: a slice shorter than the patterns")
	}
	splitPatternsAVX512(&l[0], &rt[0], &p[0], &k[0], n, bit, miss, key)
}

// shapSlot's layout is the kernel's: coef at 0 and 8, feat at 16, 24 bytes.
var _ = [1]struct{}{}[unsafe.Sizeof(shapSlot{})-24+unsafe.Offsetof(shapSlot{}.feat)-16]

// shapLeafAVX512 is addLeafGo for the n rows of hs and a leaf of d slots,
// 1 to 6, whose table tab has shapTablePad readable entries; n8 is n
// rounded down to a multiple of 8 and tail the mask of the rows past it
// (fastshap_amd64.s).
//
//go:noescape
func shapLeafAVX512(phi *float64, hs *uint32, tab *float64, slots *shapSlot, d, n8 int, tail uint64, n int)

// splitPatternsAVX512 is splitPatternsGo for the n rows of p
// (fastshap_amd64.s).
//
//go:noescape
func splitPatternsAVX512(l, rt, p *uint32, k *uint64, n int, bit uint32, miss, key uint64)

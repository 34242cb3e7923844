//go:build amd64 && !purego

package model

import "golang.org/x/sys/cpu"

// rowsAVX2 reports whether addRows4 runs the AVX2 kernel of rows_amd64.s.
var rowsAVX2 = cpu.X86.HasAVX2

// addRows4 is addRows4Go, the bulk of the terms four at a time by the AVX2
// kernel where the CPU has it, with the same sums bit for bit.
func addRows4(g []float64, z0, z1, z2, z3 []float32, r *[4]float64) {
	n := len(g)
	if !rowsAVX2 || n < 4 {
		addRows4Go(g, z0, z1, z2, z3, r)
		return
	}
	// The kernel checks no index: every row must hold g's terms.
	_, _, _, _ = z0[n-1], z1[n-1], z2[n-1], z3[n-1]
	m := n &^ 3
	addRows4AVX2(&g[0], &z0[0], &z1[0], &z2[0], &z3[0], m, r)
	if m < n {
		addRows4Go(g[m:], z0[m:], z1[m:], z2[m:], z3[m:], r)
	}
}

// addRows4AVX2 is addRows4Go for n terms, n a multiple of 4.
//
//go:noescape
func addRows4AVX2(dst *float64, z0, z1, z2, z3 *float32, n int, r *[4]float64)

//go:build !amd64 || purego

package model

// addRows4 is addRows4Go.
func addRows4(g []float64, z0, z1, z2, z3 []float32, r *[4]float64) {
	addRows4Go(g, z0, z1, z2, z3, r)
}

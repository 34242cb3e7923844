package model

// addRows4Go adds r[0] z0 + r[1] z1 + r[2] z2 + r[3] z3 to g term by
// term, each g[k] taking the four products in order, as four passes of a
// row-at-a-time loop would. Every z must hold len(g) terms.
func addRows4Go(g []float64, z0, z1, z2, z3 []float32, r *[4]float64) {
	z0 = z0[:len(g)]
	z1, z2, z3 = z1[:len(z0)], z2[:len(z0)], z3[:len(z0)]
	r0, r1, r2, r3 := r[0], r[1], r[2], r[3]
	for k, x := range z0 {
		v := g[k]
		v += r0 * float64(x)
		v += r1 * float64(z1[k])
		v += r2 * float64(z2[k])
		v += r3 * float64(z3[k])
		g[k] = v
	}
}

package clv

import (
	"math"
	"math/rand/v2"
)

// gammaRand draws from Gamma(shape, 1) by Marsaglia & Tsang (2000).
func gammaRand(rng *rand.Rand, shape float64) float64 {
	if shape < 1 {
		return gammaRand(rng, shape+1) * math.Pow(rng.Float64(), 1/shape)
	}
	d := shape - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := rng.Float64()
		if math.Log(u) < 0.5*x*x+d-d*v+d*math.Log(v) {
			return d * v
		}
	}
}

// synthBG simulates n customers of a BG/NBD world with (r, α, a, b) =
// (0.25, 4, 0.8, 2.5) in weeks: first purchases on a day of the first 12
// weeks, observed until the end of week 52, times recorded in whole days
// (as the job computes them), so identical histories repeat.
func synthBG(n int, seed uint64) (x, tx, T []float64) {
	rng := rand.New(rand.NewPCG(seed, 0))
	x, tx, T = make([]float64, n), make([]float64, n), make([]float64, n)
	for i := range n {
		lambda := gammaRand(rng, 0.25) / 4
		ga, gb := gammaRand(rng, 0.8), gammaRand(rng, 2.5)
		p := ga / (ga + gb)
		start := float64(rng.IntN(84))
		end := 364 - start // days observed
		t, last, k := 0.0, 0.0, 0
		for lambda > 0 {
			t += rng.ExpFloat64() / lambda * 7
			if t > end {
				break
			}
			k++
			last = math.Floor(t)
			if rng.Float64() < p {
				break
			}
		}
		x[i], tx[i], T[i] = float64(k), last/7, end/7
	}
	return x, tx, T
}

// synthSpend draws mean spends for the repeat customers of x from a
// Gamma-Gamma world with (p, q, γ) = (6, 4, 15).
func synthSpend(x []float64, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 1))
	m := make([]float64, len(x))
	for i, xi := range x {
		if xi == 0 {
			continue
		}
		nu := gammaRand(rng, 4) / 15
		s := 0.0
		for range int(xi) {
			s += gammaRand(rng, 6) / nu
		}
		// Cents, as amounts are recorded.
		m[i] = math.Round(s/xi*100) / 100
	}
	return m
}

package clv

import "math"

// maxTerms bounds the hypergeometric series. Its terms fall like
// z^k k^(a-2-r-x), so the bound only binds when t exceeds about 10^5 times
// α+T, far beyond any horizon of the job.
const maxTerms = 1_000_000

// bracket returns
//
//	[1 - (1-z)^(r+x) 2F1(r+x, b+x; c; z)] / (a-1),  c = a+b+x-1, z = t/(α+T+t)
//
// the factor of E[Y(t) | x, t_x, T] that needs the Gauss hypergeometric
// function. Computed directly, 2F1 overflows for large x while (1-z)^(r+x)
// underflows, and the division by a-1 loses every digit near a = 1. Euler's
// transformation 2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z) gives
//
//	(1-z)^(r+x) 2F1(r+x, b+x; c; z) = (1-z)^ε 2F1(A', ε; c; z)
//	A' = a+b-1-r,  ε = a-1
//
// whose series has small numerators and a denominator that grows with x.
// Writing 2F1(A', ε; c; z) = 1 + ε S, with
//
//	S = Σ_{k>=1} (A')_k (ε+1)_{k-1} / ((c)_k k!) z^k
//
// the bracket is -expm1(ε L)/ε - exp(ε L) S with L = ln(1-z), which has no
// cancellation as ε -> 0 (the limit is -L - S).
func bracket(r, alpha, a, b, t, x, T float64) float64 {
	eps := a - 1
	ap := a + b - 1 - r
	c := a + b + x - 1
	z := t / (alpha + T + t)
	L := -math.Log1p(t / (alpha + T))
	term := ap * z / c
	s := term
	for k := 1.0; k < maxTerms; k++ {
		den := (c + k) * (k + 1)
		if den == 0 {
			return math.NaN()
		}
		term *= (ap + k) * (eps + k) * z / den
		s += term
		if math.Abs(term) <= 1e-17*math.Abs(s) && k > -ap {
			break
		}
	}
	first := -L
	if eps != 0 {
		first = -math.Expm1(eps*L) / eps
	}
	return first - math.Exp(eps*L)*s
}

// maxSharedTerms bounds the series that brackets keeps in memory; beyond it
// (horizons of hundreds of times α+T) brackets sums each period on its own.
const maxSharedTerms = 1 << 14

// brackets writes bracket(r, alpha, a, b, k, x, T) for k = 1..len(dst) into
// dst. The coefficients of the series S do not depend on z, so they are
// computed once, up to the term that bracket would stop at for the largest
// z, and S is evaluated at every z_k by Horner's rule, the periods
// interleaved so that their multiply-adds do not wait on each other. At the
// smaller z the extra terms only add accuracy. The results agree with
// bracket to a few units in the last place.
func brackets(dst []float64, r, alpha, a, b, x, T float64) {
	n := len(dst)
	if n == 0 {
		return
	}
	eps := a - 1
	ap := a + b - 1 - r
	c := a + b + x - 1
	zmax := float64(n) / (alpha + T + float64(n))
	var buf [512]float64
	coef := append(buf[:0], ap/c) // coef[j] multiplies z^(j+1)
	term := coef[0] * zmax
	s := term
	for k := 1.0; ; k++ {
		den := (c + k) * (k + 1)
		if den == 0 {
			for i := range dst {
				dst[i] = math.NaN()
			}
			return
		}
		if len(coef) == maxSharedTerms {
			for i := range dst {
				dst[i] = bracket(r, alpha, a, b, float64(i+1), x, T)
			}
			return
		}
		f := (ap + k) * (eps + k) / den
		coef = append(coef, coef[len(coef)-1]*f)
		term *= f * zmax
		s += term
		if math.Abs(term) <= 1e-17*math.Abs(s) && k > -ap {
			break
		}
	}
	// dst holds z_k while Horner's rule runs in sum.
	var sbuf [128]float64
	sum := sbuf[:0]
	if n > len(sbuf) {
		sum = make([]float64, 0, n)
	}
	sum = sum[:n]
	for i := range dst {
		t := float64(i + 1)
		dst[i] = t / (alpha + T + t)
		sum[i] = coef[len(coef)-1]
	}
	for j := len(coef) - 2; j >= 0; j-- {
		cj := coef[j]
		for i, z := range dst {
			sum[i] = sum[i]*z + cj
		}
	}
	for i := range dst {
		t := float64(i + 1)
		S := sum[i] * dst[i]
		L := -math.Log1p(t / (alpha + T))
		first := -L
		if eps != 0 {
			first = -math.Expm1(eps*L) / eps
		}
		dst[i] = first - math.Exp(eps*L)*S
	}
}

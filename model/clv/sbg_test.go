package clv

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

// derlByQuadrature is DERL as F&H 2010 define it before any closed form:
// the expectation over θ ~ Beta(α, β+m) of the customer's discounted
// payments Σ_{j>=0} (1-θ)^(j+1)/(1+d)^j = (1-θ)(1+d)/(d+θ), integrated by
// the midpoint rule on a fine grid after the substitution θ = u^(1/e),
// e = min(α, 1), which removes the density's singularity at 0 when α < 1.
func derlByQuadrature(alpha, beta float64, m int, d float64) float64 {
	b := beta + float64(m)
	const n = 400_000
	lb := lbeta(alpha, b)
	sum := 0.0
	for i := range n {
		u := (float64(i) + 0.5) / n
		e := min(alpha, 1)
		th := math.Pow(u, 1/e)
		// Beta density times dθ/du = θ^(α-1) (1-θ)^(b-1) / B · θ^(1-e)/e
		w := math.Exp((alpha-e)*math.Log(th)+(b-1)*math.Log1p(-th)-lb) / e
		sum += w * (1 - th) * (1 + d) / (d + th)
	}
	return sum / n
}

// TestDERLClosedForm holds SBG.DERL (F&H 2010, eq. 6, summed as a
// hypergeometric series) to the integral it comes from, and
// DiscountedPayments to the closed form of doc.go: the finite horizon as a
// difference of two DERLs, and the unbounded horizon as DERL/(1+d).
func TestDERLClosedForm(t *testing.T) {
	const tol = 1e-6
	for _, c := range []struct {
		name        string
		alpha, beta float64
		m, n        int
		d           float64
	}{
		{"regular, new, 10% a year monthly", 0.704, 1.182, 0, 12, PeriodDiscount(0.1, 30)},
		{"regular, 5 renewals", 0.704, 1.182, 5, 12, PeriodDiscount(0.1, 30)},
		{"high end, 2 renewals, 10% a period", 0.668, 3.806, 2, 7, 0.1},
		{"alpha above 1, 30 renewals", 2.5, 4, 30, 36, 0.01},
	} {
		got := SBG{Alpha: c.alpha, Beta: c.beta}.DERL(c.m, c.d)
		want := derlByQuadrature(c.alpha, c.beta, c.m, c.d)
		if math.Abs(got-want) > tol*want {
			t.Errorf("%s: DERL = %.9g, integral %.9g", c.name, got, want)
		}
		s := SBG{Alpha: c.alpha, Beta: c.beta}
		ratio := math.Exp(lbeta(c.alpha, c.beta+float64(c.m+c.n)) - lbeta(c.alpha, c.beta+float64(c.m)))
		closed := (s.DERL(c.m, c.d) - math.Pow(1+c.d, -float64(c.n))*ratio*s.DERL(c.m+c.n, c.d)) / (1 + c.d)
		if got := s.DiscountedPayments(c.m, c.n, c.d); math.Abs(got-closed) > 1e-9*closed {
			t.Errorf("%s: DiscountedPayments(%d, %d) = %.12g, closed form %.12g", c.name, c.m, c.n, got, closed)
		}
		if got, want := s.DiscountedPayments(c.m, 0, c.d), s.DERL(c.m, c.d)/(1+c.d); math.Abs(got-want) > 1e-12*want {
			t.Errorf("%s: unbounded DiscountedPayments = %.12g, want DERL/(1+d) = %.12g", c.name, got, want)
		}
	}
	if v := (SBG{Alpha: 0.7, Beta: 1.2}).DERL(0, 0); !math.IsInf(v, 1) {
		t.Errorf("DERL at d = 0, alpha < 1 = %v, want +Inf (the series diverges)", v)
	}
	if v := (SBG{Alpha: 0.7, Beta: 1.2}).DiscountedPayments(-1, 3, 0.01); !math.IsNaN(v) {
		t.Errorf("negative renewals: %v, want NaN", v)
	}
}

// TestFitSBGCensored draws customers from a known sBG, observed for
// different numbers of periods as at a cutoff, and recovers the
// parameters; with one cohort the censored fit equals FitSBG.
func TestFitSBGCensored(t *testing.T) {
	const alpha, beta = 1.2, 3.5
	rng := rand.New(rand.NewPCG(3, 4))
	churned := make([]float64, 40)
	alive := make([]float64, 40)
	for range 20000 {
		th := betaDraw(rng, alpha, beta)
		obs := rng.IntN(len(alive)) // periods observed before the cutoff
		t0 := 1
		for ; t0 <= obs && rng.Float64() >= th; t0++ {
		}
		if t0 <= obs {
			churned[t0]++
		} else {
			alive[obs]++
		}
	}
	m, err := FitSBGCensored(churned, alive)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("alpha %.4f (se %.4f), beta %.4f (se %.4f), n %d, churned %d", m.Alpha, m.SE[0], m.Beta, m.SE[1], m.N, m.Churned)
	// 20,000 customers: within 4 standard errors of the truth.
	if math.Abs(m.Alpha-alpha) > 4*m.SE[0] || math.Abs(m.Beta-beta) > 4*m.SE[1] {
		t.Errorf("alpha=%.4f±%.4f beta=%.4f±%.4f, want %g and %g", m.Alpha, m.SE[0], m.Beta, m.SE[1], alpha, beta)
	}
	if !(m.Cov[1] == m.Cov[2]) || !(m.Cov[0] > 0) {
		t.Errorf("covariance %v not symmetric positive", m.Cov)
	}
	survivors := []float64{1000, 631, 468, 382, 326, 289, 262, 241}
	one, err := FitSBG(survivors)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := FitSBGCensored([]float64{0, 0}, []float64{10, 5}); !errors.Is(err, ErrBadInput) {
		t.Errorf("nobody churned: err = %v, want ErrBadInput", err)
	}
	if _, err := FitSBGCensored([]float64{1, 2}, []float64{10, 5}); !errors.Is(err, ErrBadInput) {
		t.Errorf("churn in period 0: err = %v, want ErrBadInput", err)
	}
	// F&H 2007's regular cohort, whose fit TestSBGPublished holds.
	if math.Abs(one.Alpha-0.704) > 0.0011 || one.N != 1000 || one.Churned != 759 {
		t.Errorf("regular cohort: alpha %.4f n %d churned %d", one.Alpha, one.N, one.Churned)
	}
}

// betaDraw draws Beta(a, b) from two gamma draws (Marsaglia-Tsang).
func betaDraw(rng *rand.Rand, a, b float64) float64 {
	x, y := gammaDraw(rng, a), gammaDraw(rng, b)
	return x / (x + y)
}

func gammaDraw(rng *rand.Rand, k float64) float64 {
	if k < 1 {
		return gammaDraw(rng, k+1) * math.Pow(rng.Float64(), 1/k)
	}
	d := k - 1.0/3
	c := 1 / math.Sqrt(9*d)
	for {
		x := rng.NormFloat64()
		v := 1 + c*x
		if v <= 0 {
			continue
		}
		v = v * v * v
		if u := rng.Float64(); math.Log(u) < 0.5*x*x+d-d*v+d*math.Log(v) {
			return d * v
		}
	}
}

// TestSBGHomogeneousInterval: when every customer churns with the same
// probability the fit can run off towards α, β -> ∞ with no covariance
// (the embedded sample's "business" plan does); the interval then comes
// from the binomial variance of θ and must match the geometric value's
// spread at θ ± its standard error.
func TestSBGHomogeneousInterval(t *testing.T) {
	nan := math.NaN()
	const theta, s, exposure = 0.04, 2e6, 20000.0
	m := SBG{Alpha: theta * s, Beta: (1 - theta) * s, Cov: [4]float64{nan, nan, nan, nan}, Exposure: exposure}
	d := PeriodDiscount(0.1, 30)
	got := math.Sqrt(m.PaymentsLogVar(3, 12, d))
	se := math.Sqrt(theta * (1 - theta) / exposure)
	geo := func(th float64) float64 { return ContractualValue(th, 1, 1, d, 12) }
	want := (math.Log(geo(theta-se)) - math.Log(geo(theta+se))) / 2
	if !(math.Abs(got-want) < 0.01*want) {
		t.Errorf("sd of ln value %.6f, geometric at θ ± se %.6f", got, want)
	}
	// A fit with neither a covariance nor a homogeneous limit has no interval.
	m.Alpha, m.Beta = 0.5, 3
	if v := m.PaymentsLogVar(3, 12, d); !math.IsNaN(v) {
		t.Errorf("no covariance, alpha+beta = 3.5: log variance %v, want NaN", v)
	}
}

package segment

import (
	"math"
	"math/big"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"churn/features"
)

// plainQuantile is the quantile q of sorted values by linear
// interpolation, as one process sorting every value takes it.
func plainQuantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	return sorted[lo] + (pos-float64(lo))*(sorted[hi]-sorted[lo])
}

func plainTiers(value []float64, s Options) []string {
	var have []float64
	for _, v := range value {
		if v > 0 {
			have = append(have, v)
		}
	}
	sort.Float64s(have)
	return TiersAt(value, plainQuantile(have, s.HighValueQuantile), plainQuantile(have, s.MediumValueQuantile))
}

// population draws n customers: probabilities and values with ties,
// zeros, NaN probabilities, churned customers, and values spread over
// many octaves or crowded into one bucket.
func population(r *rand.Rand, n int) (prob []float64, status []features.Status, value []float64) {
	pool := []float64{0, 1, 2.5, 2.5000000000000004, 10, 1e-300, 5e-324, 123456.789}
	for range n {
		switch r.IntN(6) {
		case 0:
			prob = append(prob, math.NaN())
		case 1:
			prob = append(prob, float64(r.IntN(4))/4)
		default:
			prob = append(prob, r.Float64())
		}
		st := features.Status("active")
		if r.IntN(5) == 0 {
			st = features.Churned
		}
		status = append(status, st)
		switch r.IntN(5) {
		case 0:
			value = append(value, pool[r.IntN(len(pool))])
		case 1:
			value = append(value, 100+r.Float64()*1e-9) // one bucket, many distinct values
		case 2:
			value = append(value, math.Exp(r.NormFloat64()*8))
		case 3:
			value = append(value, -r.Float64())
		default:
			value = append(value, r.Float64()*1000)
		}
	}
	return prob, status, value
}

// TestPopulationMergesExactly: on random populations of 0 to 2,000
// customers (ties, zeros, NaN, tiny sizes), cut into random ranges whose
// summaries are merged in random groupings, the risk thresholds equal
// RiskThresholds over every customer, the base rate is the correctly
// rounded mean, and the value tiers' cut points and tiers are those of
// sorting every positive value (the quantile by linear interpolation).
func TestPopulationMergesExactly(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	opts := []Options{
		{HighRiskLift: 3, MediumRiskLift: 2, HighValueQuantile: 0.8, MediumValueQuantile: 0.5},
		{HighRisk: 0.4, MediumRiskLift: 2, HighValueQuantile: 1, MediumValueQuantile: 0},
		{HighRiskLift: 1.5, MediumRiskLift: 1.2, HighValueQuantile: 0.999, MediumValueQuantile: 0.001},
	}
	sizes := []int{0, 1, 2, 3, 5, 17, 100, 2000}
	for trial := range 300 {
		n := sizes[trial%len(sizes)]
		if trial >= 2*len(sizes) {
			n = r.IntN(600)
		}
		prob, status, value := population(r, n)
		s := opts[trial%len(opts)]
		// Ranges: random cut points.
		cuts := []int{0, n}
		for range r.IntN(6) {
			cuts = append(cuts, r.IntN(n+1))
		}
		slices.Sort(cuts)
		var parts []*Population
		for k := 0; k+1 < len(cuts); k++ {
			lo, hi := cuts[k], cuts[k+1]
			p := &Population{}
			p.Add(prob[lo:hi], status[lo:hi], value[lo:hi])
			parts = append(parts, p)
		}
		r.Shuffle(len(parts), func(i, j int) { parts[i], parts[j] = parts[j], parts[i] })
		var pop Population
		for len(parts) > 0 { // merge in random groupings
			k := r.IntN(len(parts))
			if k+1 < len(parts) && r.IntN(2) == 0 {
				parts[k].Merge(parts[k+1])
				parts = slices.Delete(parts, k+1, k+2)
				continue
			}
			pop.Merge(parts[k])
			parts = slices.Delete(parts, k, k+1)
		}
		th := pop.Thresholds(s)
		if want := RiskThresholds(s, prob, status); th != want {
			t.Fatalf("trial %d (%d customers): thresholds %+v, over every customer %+v", trial, n, th, want)
		}
		if want := exactMean(prob, status); th.BaseRate != want {
			t.Fatalf("trial %d: base rate %v, exact mean %v", trial, th.BaseRate, want)
		}
		wanted := pop.Wanted(s)
		if len(wanted) > 4 {
			t.Fatalf("trial %d: %d buckets wanted", trial, len(wanted))
		}
		cv := CutValues{}
		for k := 0; k+1 < len(cuts); k++ {
			part := CutValues{}
			part.Add(value[cuts[k]:cuts[k+1]], wanted)
			cv.Merge(part)
		}
		hi, med, err := pop.Cuts(s, cv)
		if err != nil {
			t.Fatalf("trial %d: %v", trial, err)
		}
		var have []float64
		for _, v := range value {
			if v > 0 {
				have = append(have, v)
			}
		}
		sort.Float64s(have)
		if wh, wm := plainQuantile(have, s.HighValueQuantile), plainQuantile(have, s.MediumValueQuantile); hi != wh || med != wm {
			t.Fatalf("trial %d (%d values): cut points %v and %v, sorting gives %v and %v", trial, len(have), hi, med, wh, wm)
		}
		if got, want := ValueTiers(value, s), plainTiers(value, s); !slices.Equal(got, want) {
			t.Fatalf("trial %d: ValueTiers differs from sorting", trial)
		}
	}
}

// exactMean is the mean of the not-churned probabilities, summed in
// exact rational arithmetic and rounded once.
func exactMean(prob []float64, status []features.Status) float64 {
	sum := new(bigRat)
	n := 0
	for i, p := range prob {
		if status[i] != features.Churned && !math.IsNaN(p) {
			sum.add(p)
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum.float() / float64(n)
}

// TestExactSum: ExactSum's value is the correctly rounded sum of values
// whose naive sum loses them (cancellation, wide magnitudes), in any order.
func TestExactSum(t *testing.T) {
	cases := [][]float64{
		{},
		{1e100, 1, -1e100},
		{0.1, 0.2, 0.3, -0.6},
		{1, 1e-16, 1e-16},
		{math.MaxFloat64 / 4, math.MaxFloat64 / 4, -math.MaxFloat64 / 4},
		{5e-324, 5e-324, 1},
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		var c []float64
		for range r.IntN(50) {
			c = append(c, math.Ldexp(r.NormFloat64(), r.IntN(200)-100))
		}
		cases = append(cases, c)
	}
	for i, c := range cases {
		want := new(bigRat)
		for _, x := range c {
			want.add(x)
		}
		for range 3 {
			var s ExactSum
			for _, x := range c {
				s.Add(x)
			}
			if got := s.Value(); got != want.float() {
				t.Fatalf("case %d %v: %v, exact %v", i, c, got, want.float())
			}
			r.Shuffle(len(c), func(a, b int) { c[a], c[b] = c[b], c[a] })
		}
	}
}

// bigRat is an exact rational sum of float64s.
type bigRat struct{ r big.Rat }

func (b *bigRat) add(x float64) {
	var v big.Rat
	v.SetFloat64(x)
	b.r.Add(&b.r, &v)
}

// float is the sum rounded to the nearest float64.
func (b *bigRat) float() float64 {
	f, _ := b.r.Float64()
	return f
}

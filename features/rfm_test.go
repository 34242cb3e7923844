package features

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"churn/data"
)

// TestRFMBruteForce: the RFM inputs, from per-cutoff sums and purchase
// days, equal a direct computation over the orders before each cutoff,
// with cutoffs in the middle of a day (whose day holds orders on both
// sides), several orders a day, and orders fed in random order through
// forks and shards.
func TestRFMBruteForce(t *testing.T) {
	cuts := []int64{
		time.Date(2026, 6, 1, 7, 0, 0, 0, time.UTC).UnixNano(),
		time.Date(2026, 7, 1, 13, 30, 0, 0, time.UTC).UnixNano(),
		time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC).UnixNano(),
	}
	end := cuts[2] + 120*dayNS
	rng := rand.New(rand.NewPCG(11, 12))
	var h history
	ids := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	for _, id := range ids {
		h.customers = append(h.customers, data.Customer{ID: id, SignupAt: cuts[0] - 400*dayNS, CancelledAt: data.NoTime})
	}
	for range 600 {
		day := cuts[rng.IntN(3)] - int64(rng.IntN(4))*dayNS // around a cutoff's day...
		if rng.IntN(3) == 0 {
			day = cuts[0] - int64(rng.IntN(300))*dayNS // ...or anywhere before
		}
		ts := floorDiv(day, dayNS)*dayNS + rng.Int64N(dayNS)
		amt := float64(rng.IntN(10000))/100 - 10
		h.orders = append(h.orders, data.Order{CustomerID: ids[rng.IntN(len(ids))], TS: ts, Amount: amt, Margin: float64(rng.IntN(3)) / 4})
	}
	rng.Shuffle(len(h.orders), func(i, j int) { h.orders[i], h.orders[j] = h.orders[j], h.orders[i] })
	got := mustBuild(t, DefaultConfig(), cuts, end, h)

	b, err := NewBuilder(DefaultConfig(), cuts, end)
	if err != nil {
		t.Fatal(err)
	}
	b.AddCustomers(h.customers)
	b.Freeze()
	shards := b.Shards(3)
	for lo := 0; lo < len(h.orders); lo += 50 {
		batch := h.orders[lo:min(lo+50, len(h.orders))]
		idx, _, _ := b.Resolve(nil, batch)
		for _, s := range shards {
			s.AddResolved(batch, idx)
		}
	}
	if err := b.JoinShards(shards); err != nil {
		t.Fatal(err)
	}
	sharded, err := b.Build(allTables)
	if err != nil {
		t.Fatal(err)
	}
	if err := sameX(got, sharded); err != nil {
		t.Fatalf("shards: %v", err)
	}

	for i := range got.Rows() {
		c := got.Cutoff[i]
		var days []int64
		buyByDay := map[int64]int64{}
		for _, o := range h.orders {
			if o.CustomerID != got.CustomerID[i] || o.TS >= c || o.Amount < 0 {
				continue
			}
			d := floorDiv(o.TS, dayNS)
			if _, ok := buyByDay[d]; !ok {
				days = append(days, d)
			}
			buyByDay[d] += fixed(o.Amount)
		}
		sort.Slice(days, func(a, b int) bool { return days[a] < days[b] })
		want := [4]float64{math.NaN(), math.NaN(), math.NaN(), math.NaN()}
		if n := len(days); n > 0 {
			first, last := days[0], days[n-1]
			want[0], want[1], want[2] = float64(n-1), float64(last-first), float64(floorDiv(c-1, dayNS)-first)
			if n > 1 {
				var repeat int64
				for _, d := range days[1:] {
					repeat += buyByDay[d]
				}
				want[3] = float64(repeat) / micro / float64(n-1)
			}
		}
		have := [4]float64{got.RFMx[i], got.RFMtx[i], got.RFMT[i], got.MeanRepeat[i]}
		for j, name := range []string{"x", "t_x", "T", "MeanRepeat"} {
			if !same(have[j], want[j]) {
				t.Errorf("customer %s cutoff %s: %s = %v, want %v", got.CustomerID[i], time.Unix(0, c).UTC().Format(time.RFC3339), name, have[j], want[j])
			}
		}
	}
}

func TestDayset(t *testing.T) {
	var d dayset
	in := []int32{100, -70, 5, 64, 63, 300, -1, 100}
	for _, v := range in {
		d.add(v)
	}
	var o dayset
	o.add(1000)
	o.add(-200)
	d.merge(&o)
	set := map[int32]bool{}
	for _, v := range append(in, 1000, -200) {
		set[v] = true
	}
	for _, before := range []int32{-300, -200, -199, -70, 0, 5, 6, 63, 64, 65, 100, 101, 999, 1000, 1001, 5000} {
		want := 0
		for v := range set {
			if v < before {
				want++
			}
		}
		if got := d.countBefore(before); got != want {
			t.Errorf("countBefore(%d) = %d, want %d", before, got, want)
		}
	}
}

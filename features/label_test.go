package features

import (
	"fmt"
	"math"
	"testing"
	"time"

	"churn/data"
)

// TestRefundIsNotActivity: a noncontractual customer whose only order in
// the horizon is a refund has churned, and one whose only order in the
// lookback window is a refund was not active (SPEC.md: refunds do not
// count).
func TestRefundIsNotActivity(t *testing.T) {
	day := func(d int) int64 { return time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC).AddDate(0, 0, d).UnixNano() }
	c := day(200)
	cust := func(id string) data.Customer {
		return data.Customer{ID: id, SignupAt: day(0), CancelledAt: data.NoTime}
	}
	order := func(id string, d int, amount float64) data.Order {
		return data.Order{CustomerID: id, TS: day(d), Amount: amount, Margin: math.NaN()}
	}
	h := history{
		customers: []data.Customer{cust("buys-again"), cust("refund-only-after"), cust("refund-only-before"), cust("zero-amount-after")},
		orders: []data.Order{
			order("buys-again", 150, 40), order("buys-again", 230, 25),
			order("refund-only-after", 150, 40), order("refund-only-after", 230, -40),
			order("refund-only-before", 20, 40), order("refund-only-before", 180, -40), order("refund-only-before", 230, 30),
			order("zero-amount-after", 150, 40), order("zero-amount-after", 230, 0),
		},
	}
	cfg := DefaultConfig()
	cfg.Label = Noncontractual
	f := mustBuild(t, cfg, []int64{c}, day(400), h)
	for id, want := range map[string]string{
		"buys-again":         "active 0",
		"refund-only-after":  "active 1",    // the refund in the horizon is no activity
		"refund-only-before": "churned NaN", // nor is the refund in the lookback window
		"zero-amount-after":  "active 0",    // an order of 0 is an order
	} {
		i := indexOf(f, id, c)
		if got := fmt.Sprintf("%s %v", f.Status[i], f.Label[i]); got != want {
			t.Errorf("%s: status and label %q, want %q", id, got, want)
		}
	}
}

// TestAutoLabelSeesOnlyThePast: under Auto a plan is contractual at a
// cutoff only once one of its customers has cancelled before it, and
// customers without a plan follow the majority of those with one, never a
// single cancellation.
func TestAutoLabelSeesOnlyThePast(t *testing.T) {
	day := func(d int) int64 { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d).UnixNano() }
	c1, c2 := day(100), day(200)
	type cu struct {
		id, plan string
		cancel   int // day, or -1
	}
	build := func(cs []cu) *Frame {
		var h history
		for _, x := range cs {
			r := data.Customer{ID: x.id, Plan: x.plan, SignupAt: day(0), CancelledAt: data.NoTime}
			if x.cancel >= 0 {
				r.CancelledAt = day(x.cancel)
			}
			h.customers = append(h.customers, r)
		}
		return mustBuild(t, DefaultConfig(), []int64{c1, c2}, day(400), h)
	}
	check := func(f *Frame, id string, c int64, want bool) {
		t.Helper()
		if i := indexOf(f, id, c); f.Contractual[i] != want {
			t.Errorf("%s at day %d: contractual %v, want %v", id, (c-day(0))/int64(24*time.Hour), f.Contractual[i], want)
		}
	}
	// "pro" has its first cancellation on day 150: noncontractual at day
	// 100, contractual at day 200. "shop" cancels only after the data
	// (day 500): never contractual. Three of four plan customers are on
	// "pro", so the plan-less customer follows "pro".
	f := build([]cu{
		{"pro-a", "pro", 150}, {"pro-b", "pro", -1}, {"pro-c", "pro", -1},
		{"shop-a", "shop", 500},
		{"none", "", -1},
	})
	for _, id := range []string{"pro-a", "pro-b", "pro-c", "shop-a", "none"} {
		check(f, id, c1, false)
	}
	for _, id := range []string{"pro-a", "pro-b", "pro-c", "none"} {
		check(f, id, c2, true)
	}
	check(f, "shop-a", c2, false)

	// Without plans, one cancellation among 200 customers (0.5%) is not a
	// contract; three (1.5%) are.
	var cs []cu
	for i := range 200 {
		cs = append(cs, cu{fmt.Sprintf("c%03d", i), "", -1})
	}
	cs[0].cancel = 50
	f = build(cs)
	check(f, "c000", c2, false)
	check(f, "c199", c2, false)
	cs[1].cancel, cs[2].cancel = 150, 160
	f = build(cs)
	check(f, "c199", c1, false) // at day 100 the later two are the future
	check(f, "c199", c2, true)
}

package lists

import (
	"cmp"
	"math"
	"slices"
	"strings"
)

// ExpectedNetColumn is the leading column of a budgeted list.
const ExpectedNetColumn = "expected_net_value"

// Budgeted returns the customers of r that f selects, ranked by expected
// net retained value, p x value x saveRate - offerCost (ties by customer
// id), as far as that value stays above 0, at most budget rows when
// budget > 0 and top rows when top > 0. Customers without a probability
// or value are left out. The table leads with expected_net_value.
func Budgeted(r *Run, f Filter, budget, top int, offerCost, saveRate float64) (*Table, *Offers, error) {
	rows, err := r.Select(f, "", 0)
	if err != nil {
		return nil, nil, err
	}
	net := make(map[int32]float64, len(rows))
	var ranked []int32
	for _, i := range rows {
		v := r.var_[i]*saveRate - offerCost
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		net[i] = v
		ranked = append(ranked, i)
	}
	slices.SortFunc(ranked, func(a, b int32) int {
		if c := cmp.Compare(net[b], net[a]); c != 0 {
			return c
		}
		return strings.Compare(r.ids[a], r.ids[b])
	})
	sum := &Offers{OfferCost: offerCost, SaveRate: saveRate, StoppedBy: "end"}
	t := &Table{r: r, extra: []column{{name: ExpectedNetColumn, f: []float64{}, dec: 2}}}
	for _, i := range ranked {
		switch {
		case budget > 0 && len(t.rows) == budget:
			sum.StoppedBy = "budget"
		case top > 0 && len(t.rows) == top:
			sum.StoppedBy = "top"
		case !(net[i] > 0):
			sum.StoppedBy = "not_positive"
		default:
			t.rows = append(t.rows, i)
			t.extra[0].f = append(t.extra[0].f, net[i])
			sum.ExpectedRetained += r.var_[i] * saveRate
			continue
		}
		break
	}
	sum.Offers = len(t.rows)
	sum.Cost = float64(sum.Offers) * offerCost
	sum.ExpectedNet = sum.ExpectedRetained - sum.Cost
	sum.Cost, sum.ExpectedRetained, sum.ExpectedNet = round2(sum.Cost), round2(sum.ExpectedRetained), round2(sum.ExpectedNet)
	return t, sum, nil
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

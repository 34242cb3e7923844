package synth

import (
	"context"
	"math"
	"slices"
	"testing"

	"churn/data"
)

// memData holds a simulated dataset in memory.
type memData struct {
	customers []data.Customer
	sessions  []data.Session
	events    []data.Event
	tickets   []data.Ticket
	surveys   []data.Survey
	orders    []data.Order
	stats     Stats
}

func collect[T any](dst *[]T) func([]T) error {
	return func(rows []T) error {
		*dst = append(*dst, rows...)
		return nil
	}
}

// simulateAll runs every shard of cfg in memory.
func simulateAll(t testing.TB, cfg Config) *memData {
	t.Helper()
	m := &memData{}
	out := sinks{
		customers: collect(&m.customers), sessions: collect(&m.sessions), events: collect(&m.events),
		tickets: collect(&m.tickets), surveys: collect(&m.surveys), orders: collect(&m.orders),
	}
	for s := 0; s < Shards(cfg); s++ {
		st, err := simulate(context.Background(), cfg, s, out)
		if err != nil {
			t.Fatal(err)
		}
		m.stats.Add(st)
	}
	return m
}

// snapshot is what a simple model sees of one customer at a cutoff, and
// whether the customer churned in the horizon after it.
type snapshot struct {
	id       string
	plan     string
	x        []float64
	churned  bool
	declined bool // sessions in the last 30 days below half of the 30 before
}

// snapshots builds features and labels at cutoff (ns) with a 90-day
// horizon, by the label rules of SPEC.md, for customers active at cutoff.
func snapshots(m *memData, cutoff int64) []snapshot {
	const horizon = 90 * dayNS
	type acc struct {
		s30, s60, e30, t90, neg90, lastAct, lastAfter int64
		csat, ncsat                                   float64
		nps                                           float64
		ord90                                         float64
	}
	idx := map[string]int{}
	for i, c := range m.customers {
		idx[c.ID] = i
	}
	a := make([]acc, len(m.customers))
	for i := range a {
		a[i].lastAct, a[i].lastAfter, a[i].nps = data.NoTime, data.NoTime, math.NaN()
	}
	touch := func(id string, ts int64) *acc {
		p := &a[idx[id]]
		if ts < cutoff {
			p.lastAct = max(p.lastAct, ts)
		} else if ts < cutoff+horizon {
			p.lastAfter = ts
		}
		return p
	}
	for _, s := range m.sessions {
		p := touch(s.CustomerID, s.StartedAt)
		switch {
		case s.StartedAt >= cutoff:
		case s.StartedAt >= cutoff-30*dayNS:
			p.s30++
		case s.StartedAt >= cutoff-60*dayNS:
			p.s60++
		}
	}
	for _, e := range m.events {
		p := touch(e.CustomerID, e.TS)
		if e.TS < cutoff && e.TS >= cutoff-30*dayNS && e.Event != evLogin && e.Event != evIntegration {
			p.e30++
		}
	}
	for _, o := range m.orders {
		p := touch(o.CustomerID, o.TS)
		if o.TS < cutoff && o.TS >= cutoff-90*dayNS && o.Amount > 0 {
			p.ord90++
		}
	}
	for _, tk := range m.tickets {
		p := &a[idx[tk.CustomerID]]
		if tk.CreatedAt < cutoff && tk.CreatedAt >= cutoff-90*dayNS {
			p.t90++
			if tk.ResolvedAt == data.NoTime || tk.ResolvedAt >= cutoff {
				p.neg90++
			}
			if !math.IsNaN(tk.CSAT) {
				p.csat += tk.CSAT
				p.ncsat++
			}
		}
	}
	for _, s := range m.surveys {
		if s.AnsweredAt < cutoff {
			a[idx[s.CustomerID]].nps = float64(s.NPS)
		}
	}
	var out []snapshot
	for i, c := range m.customers {
		if c.SignupAt >= cutoff || (c.CancelledAt != data.NoTime && c.CancelledAt <= cutoff) {
			continue
		}
		p := &a[i]
		var churned bool
		if c.Plan != planSpecs[payg].name {
			churned = c.CancelledAt != data.NoTime && c.CancelledAt <= cutoff+horizon
		} else {
			if p.lastAct == data.NoTime || p.lastAct < cutoff-90*dayNS {
				continue // not active in the lookback: not in the population
			}
			churned = p.lastAfter == data.NoTime
		}
		rec := 90.0
		if p.lastAct != data.NoTime {
			rec = min(90, float64(cutoff-p.lastAct)/float64(dayNS))
		}
		csat, hasCSAT := 3.0, 0.0
		if p.ncsat > 0 {
			csat, hasCSAT = p.csat/p.ncsat, 1
		}
		nps, hasNPS := 7.0, 0.0
		if !math.IsNaN(p.nps) {
			nps, hasNPS = p.nps, 1
		}
		tenure := float64(cutoff-c.SignupAt) / float64(dayNS)
		isPayg := 0.0
		if c.Plan == planSpecs[payg].name {
			isPayg = 1
		}
		out = append(out, snapshot{
			id:   c.ID,
			plan: c.Plan,
			x: []float64{
				math.Log1p(float64(p.s30)), math.Log1p(float64(p.s60)), math.Log1p(float64(p.e30)),
				math.Log1p(float64(p.s30)) - math.Log1p(float64(p.s60)), rec, float64(p.t90), float64(p.neg90),
				csat, hasCSAT, nps, hasNPS, math.Log1p(tenure), isPayg, math.Log1p(p.ord90),
			},
			churned:  churned,
			declined: p.s60 >= 4 && 2*p.s30 < p.s60,
		})
	}
	return out
}

// fitLogistic fits a ridge logistic regression by gradient descent on
// standardised features and returns a scoring function.
func fitLogistic(train []snapshot) func([]float64) float64 {
	k := len(train[0].x)
	mean, sd := make([]float64, k), make([]float64, k)
	for _, s := range train {
		for j, v := range s.x {
			mean[j] += v
		}
	}
	for j := range mean {
		mean[j] /= float64(len(train))
	}
	for _, s := range train {
		for j, v := range s.x {
			sd[j] += (v - mean[j]) * (v - mean[j])
		}
	}
	for j := range sd {
		sd[j] = math.Sqrt(sd[j]/float64(len(train))) + 1e-9
	}
	w := make([]float64, k+1)
	z := func(x []float64) float64 {
		s := w[k]
		for j, v := range x {
			s += w[j] * (v - mean[j]) / sd[j]
		}
		return s
	}
	grad := make([]float64, k+1)
	for it := 0; it < 300; it++ {
		clear(grad)
		for _, s := range train {
			y := 0.0
			if s.churned {
				y = 1
			}
			e := 1/(1+math.Exp(-z(s.x))) - y
			for j, v := range s.x {
				grad[j] += e * (v - mean[j]) / sd[j]
			}
			grad[k] += e
		}
		for j := range w {
			w[j] -= 0.5 * (grad[j]/float64(len(train)) + 1e-3*w[j])
		}
	}
	return z
}

// rocAUC is the probability that a random churner scores above a random
// stayer (ties count half).
func rocAUC(score []float64, label []bool) float64 {
	type p struct {
		s float64
		y bool
	}
	ps := make([]p, len(score))
	for i := range score {
		ps[i] = p{score[i], label[i]}
	}
	slices.SortFunc(ps, func(a, b p) int {
		switch {
		case a.s < b.s:
			return -1
		case a.s > b.s:
			return 1
		}
		return 0
	})
	var pos, neg, rankSum float64
	for i := 0; i < len(ps); {
		j := i
		for j < len(ps) && ps[j].s == ps[i].s {
			j++
		}
		r := float64(i+j+1) / 2
		for k := i; k < j; k++ {
			if ps[k].y {
				rankSum += r
				pos++
			} else {
				neg++
			}
		}
		i = j
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

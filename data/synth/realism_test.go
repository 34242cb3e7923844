package synth

import (
	"strings"
	"testing"
)

// realismConfig is small enough to simulate in memory in a few seconds.
func realismConfig() Config {
	cfg := DefaultConfig()
	cfg.Customers = 4000
	cfg.ShardSize = 2000
	cfg.Days = 540
	cfg.Seed = 7
	return cfg
}

// TestRealism checks that the data poses a fair problem: a plausible churn
// rate, churn that follows declining usage, and a simple logistic model on
// a handful of history features that ranks churners well but not
// perfectly.
func TestRealism(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates 4,000 customers over 540 days")
	}
	cfg := realismConfig()
	m := simulateAll(t, cfg)
	end := cfg.End.UnixNano()
	var train []snapshot
	for _, back := range []int64{360, 300, 240, 180} {
		for _, s := range snapshots(m, end-back*dayNS) {
			if s.id[len(s.id)-1]%2 == 0 {
				train = append(train, s)
			}
		}
	}
	test := snapshots(m, end-90*dayNS)
	type count struct{ n, churn int }
	var all, decl, other count
	byPlan := map[string]*count{}
	for _, s := range test {
		c := byPlan[s.plan]
		if c == nil {
			c = &count{}
			byPlan[s.plan] = c
		}
		add := func(c *count) {
			c.n++
			if s.churned {
				c.churn++
			}
		}
		add(&all)
		add(c)
		if s.declined {
			add(&decl)
		} else {
			add(&other)
		}
	}
	rate := func(c count) float64 { return float64(c.churn) / float64(c.n) }
	for _, p := range planSpecs {
		if c := byPlan[p.name]; c != nil {
			t.Logf("plan %s: %d active, 90-day churn %.3f", p.name, c.n, rate(*c))
		}
	}
	t.Logf("active at cutoff %d, 90-day churn %.3f; decliners %d churn %.3f, others %d churn %.3f",
		all.n, rate(all), decl.n, rate(decl), other.n, rate(other))
	if r := rate(all); r < 0.10 || r > 0.40 {
		t.Errorf("90-day churn among active customers = %.3f, want in [0.10, 0.40]", r)
	}
	if rate(decl) < 1.3*rate(other) {
		t.Errorf("churn of decliners %.3f, others %.3f: want decliners at least 1.3 times as likely", rate(decl), rate(other))
	}

	z := fitLogistic(train)
	var score []float64
	var label []bool
	for _, s := range test {
		if s.id[len(s.id)-1]%2 == 1 {
			score = append(score, z(s.x))
			label = append(label, s.churned)
		}
	}
	auc := rocAUC(score, label)
	t.Logf("logistic on %d features: ROC AUC %.3f on %d held-out customers", len(train[0].x), auc, len(score))
	if auc < 0.68 || auc > 0.92 {
		t.Errorf("ROC AUC of a simple model = %.3f, want in [0.68, 0.92]: the problem is too hard or too easy", auc)
	}

	var en, pt bool
	for _, tk := range m.tickets {
		en = en || strings.Contains(tk.Text, "the ")
		pt = pt || strings.Contains(tk.Text, "não") || strings.Contains(tk.Text, "obrigado")
	}
	if !en || !pt {
		t.Errorf("ticket texts: English %v, Portuguese %v; want both", en, pt)
	}
}

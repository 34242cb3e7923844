package features

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"churn/data"
)

// TestRecatalog: events folded by shards under a guessed catalog, then
// Recatalog to the catalog learned from every row (and the events folded
// again when it asks), give the frame of folding under the learned catalog
// from the start, bit for bit, labels and statuses included. Over
// histories with close ranks, an automated event, one name and more names
// than the mix holds, and guesses that are the learned catalog, its names
// in another order, with a name missing or added, with the automated
// names wrong, or empty; an order alone must not ask for a refold.
func TestRecatalog(t *testing.T) {
	last := testCutoffs[len(testCutoffs)-1]
	end := last + 120*dayNS
	oneName := randomHistory(41, 60, end, 400)
	for i := range oneName.events {
		oneName.events[i].Event = "only"
	}
	manyNames := randomHistory(42, 90, end, 400)
	rng := rand.New(rand.NewPCG(42, 1))
	for i := range manyNames.events {
		manyNames.events[i].Event = "n" + strconv.Itoa(rng.IntN(45)) // 45 names of about the same count, K = 30
	}
	lateName := randomHistory(43, 80, end, 400)
	for i := range lateName.events {
		if lateName.events[i].TS > last-20*dayNS {
			lateName.events[i].Event = "late"
		}
	}
	automated := automatedHistory(func(s string) string { return s })
	// Some customers go idle: only the automated name fires for them in
	// the last 100 days, so whether it counts as activity decides their
	// status and label.
	automated.events = slices.DeleteFunc(slices.Clone(automated.events), func(e data.Event) bool {
		return e.Event != "sync" && e.TS > cut-100*dayNS && e.CustomerID < "c016"
	})
	automated.customers = slices.Clone(automated.customers)
	for i := range automated.customers {
		automated.customers[i].CancelledAt = data.NoTime
	}
	automatedCuts := []int64{cut - 60*dayNS, cut - 30*dayNS, cut}
	coreCfg := DefaultConfig()
	coreCfg.CoreEvents = []string{"login", "sync"}
	ignoreCfg := DefaultConfig()
	ignoreCfg.IgnoreEvents = []string{"share"}

	for _, tt := range []struct {
		name    string
		cfg     Config
		cutoffs []int64
		end     int64
		h       history
	}{
		{"random", DefaultConfig(), testCutoffs, end, randomHistory(40, 100, end, 400)},
		{"one name", DefaultConfig(), testCutoffs, end, oneName},
		{"more names than the mix", DefaultConfig(), testCutoffs, end, manyNames},
		{"a name only late", DefaultConfig(), testCutoffs, end, lateName},
		{"automated", DefaultConfig(), automatedCuts, cut + 100*dayNS, automated},
		{"automated, core events set", coreCfg, automatedCuts, cut + 100*dayNS, automated},
		{"ignored events", ignoreCfg, testCutoffs, end, randomHistory(44, 100, end, 400)},
	} {
		t.Run(tt.name, func(t *testing.T) {
			until := tt.cutoffs[len(tt.cutoffs)-1]
			root, err := NewBuilder(tt.cfg, tt.cutoffs, tt.end)
			if err != nil {
				t.Fatal(err)
			}
			root.AddCustomers(tt.h.customers)
			root.Freeze()
			p := root.NewEventProfile(until)
			p.AddEventRows(tt.h.events)
			p.AddSessionRows(tt.h.sessions)
			learned := root.CatalogWith(p.Catalog(tt.cfg.EventVocab))
			if tt.name == "automated" && len(learned.Automated) == 0 {
				t.Fatal("no automated name learned: the case tests nothing")
			}
			want := foldUnder(t, tt.cfg, tt.cutoffs, tt.end, tt.h, learned, nil)

			reversed := learned
			reversed.Events = slices.Clone(learned.Events)
			slices.Reverse(reversed.Events)
			missing := learned
			missing.Events = learned.Events[:max(len(learned.Events)-1, 0)]
			added := learned
			added.Events = append(slices.Clone(learned.Events), "never-seen")
			noAuto := learned
			noAuto.Automated = nil
			allAuto := learned
			allAuto.Automated = slices.Clone(learned.Events)
			for _, g := range []struct {
				name   string
				guess  Catalog
				refold bool
			}{
				{"the learned catalog", learned, false},
				{"reversed", reversed, false},
				{"a name missing", missing, len(learned.Events) > 0},
				{"a name added", added, true},
				{"no automated name", noAuto, len(learned.Automated) > 0 && tt.cfg.CoreEvents == nil},
				{"every name automated", allAuto, true},
				{"empty", Catalog{Attributes: learned.Attributes}, len(learned.Events) > 0},
			} {
				got := foldUnder(t, tt.cfg, tt.cutoffs, tt.end, tt.h, learned, &g.guess)
				if err := sameFrame(want.f, got.f); err != nil {
					t.Fatalf("guess %s: %v", g.name, err)
				}
				if g.name != "every name automated" && got.refold != g.refold {
					t.Errorf("guess %s: refold %v, want %v", g.name, got.refold, g.refold)
				}
			}
		})
	}
}

type folded struct {
	f      *Frame
	refold bool
}

// foldUnder folds h on two shards, the events under guess then
// Recatalog to cat (folded again when it asks), or under cat from the
// start when guess is nil, and builds every row.
func foldUnder(t *testing.T, cfg Config, cutoffs []int64, end int64, h history, cat Catalog, guess *Catalog) folded {
	t.Helper()
	b, err := NewBuilder(cfg, cutoffs, end)
	if err != nil {
		t.Fatal(err)
	}
	b.AddCustomers(h.customers)
	b.Freeze()
	first := cat
	if guess != nil {
		first = *guess
	}
	b.SetCatalog(first)
	shards := b.Shards(2)
	feed := func(batch any) {
		idx, _, err := b.Resolve(nil, batch)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range shards {
			if err := s.AddResolved(batch, idx); err != nil {
				t.Fatal(err)
			}
		}
	}
	feed(h.sessions)
	feed(h.tickets)
	feed(h.orders)
	mark, err := b.MarkEvents(shards)
	if err != nil {
		t.Fatal(err)
	}
	for lo := 0; lo < len(h.events); lo += 97 {
		feed(h.events[lo:min(lo+97, len(h.events))])
	}
	feed(h.surveys) // after the events: Recatalog must keep it
	var out folded
	if guess != nil {
		if out.refold, err = b.Recatalog(mark, cat); err != nil {
			t.Fatal(err)
		}
		if out.refold {
			feed(h.events)
		}
	}
	if err := b.JoinShards(shards); err != nil {
		t.Fatal(err)
	}
	if out.f, err = b.Build(allTables); err != nil {
		t.Fatal(err)
	}
	return out
}

// sameFrame is sameX, the labels, statuses and catalog included.
func sameFrame(want, got *Frame) error {
	if err := sameX(want, got); err != nil {
		return err
	}
	if fmt.Sprint(got.Names) != fmt.Sprint(want.Names) {
		return fmt.Errorf("names %v, want %v", got.Names, want.Names)
	}
	if fmt.Sprintf("%+v", *got.Catalog) != fmt.Sprintf("%+v", *want.Catalog) {
		return fmt.Errorf("catalog %+v, want %+v", *got.Catalog, *want.Catalog)
	}
	for i := range want.Rows() {
		if math.Float64bits(want.Label[i]) != math.Float64bits(got.Label[i]) || want.Status[i] != got.Status[i] {
			return fmt.Errorf("row %d: label %v %s, want %v %s", i, got.Label[i], got.Status[i], want.Label[i], want.Status[i])
		}
	}
	return nil
}

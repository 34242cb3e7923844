package jobs

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"churn/data"
	"churn/features"
)

// TestCatalogSessionsFromMainPass: a dataset with a heartbeat that fires
// every day and an action taken on every visit, by customers who stay
// away one day in fifteen. Both names fire on nearly every day, so the
// catalog needs the sessions to tell them apart (with them, only the
// heartbeat is automated; without, both would be), and the main pass
// profiles the sessions as it folds them. The frame (names, values,
// catalog) equals that of one Builder fed everything after a catalog
// learned from its own read of the events and the sessions, for 1 and 3
// workers.
func TestCatalogSessionsFromMainPass(t *testing.T) {
	const day = int64(24 * time.Hour)
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	cut := start + 200*day
	var ids, sessIDs, evIDs, names []string
	var signups, sessAt, evAt []int64
	var durs, pages, qty []float64
	for i := range 64 {
		id := fmt.Sprintf("c%03d", i)
		ids, signups = append(ids, id), append(signups, start)
		for d := range int64(200) {
			t0 := start + d*day
			evIDs, evAt, names, qty = append(evIDs, id), append(evAt, t0+2*3600e9), append(names, "heartbeat"), append(qty, 1)
			if (d*13+int64(i))%15 == 0 {
				continue // a day away: no visit, so no action
			}
			sessIDs, sessAt, durs, pages = append(sessIDs, id), append(sessAt, t0+9*3600e9), append(durs, 600), append(pages, 3)
			evIDs, evAt, names, qty = append(evIDs, id), append(evAt, t0+9*3600e9+60e9), append(names, "open_board"), append(qty, 1)
			if (d+int64(i))%9 == 0 {
				evIDs, evAt, names, qty = append(evIDs, id), append(evAt, t0+9*3600e9+120e9), append(names, "export"), append(qty, 1)
			}
		}
	}
	root := t.TempDir()
	write := func(table string, cols []data.OutColumn) {
		t.Helper()
		if err := os.MkdirAll(filepath.Join(root, table), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := data.WriteParquet(filepath.Join(root, table, "part-0.parquet"), cols, data.WriteOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	write("customers", []data.OutColumn{{Name: "customer_id", Kind: data.String, Strings: ids}, {Name: "signup_at", Kind: data.Timestamp, Times: signups}})
	write("sessions", []data.OutColumn{{Name: "customer_id", Kind: data.String, Strings: sessIDs}, {Name: "started_at", Kind: data.Timestamp, Times: sessAt},
		{Name: "duration_s", Kind: data.Float, Floats: durs}, {Name: "pages", Kind: data.Float, Floats: pages}})
	write("events", []data.OutColumn{{Name: "customer_id", Kind: data.String, Strings: evIDs}, {Name: "ts", Kind: data.Timestamp, Times: evAt},
		{Name: "event", Kind: data.String, Strings: names}, {Name: "quantity", Kind: data.Float, Floats: qty}})

	ctx := context.Background()
	cfg, env := sampleConfig(t)
	cfg.Data, cfg.AsOf = root, time.Unix(0, cut).UTC()
	ds, err := discover(root)
	if err != nil {
		t.Fatal(err)
	}
	cuts := []int64{cut}

	// The plain path: one Builder, the catalog from its own read of the
	// events and the sessions, then every row.
	var customers []data.Customer
	for i, id := range ids {
		customers = append(customers, data.Customer{ID: id, SignupAt: signups[i], CancelledAt: data.NoTime})
	}
	var sessions []data.Session
	for i, id := range sessIDs {
		sessions = append(sessions, data.Session{CustomerID: id, StartedAt: sessAt[i], DurationS: durs[i], Pages: pages[i]})
	}
	var events []data.Event
	for i, id := range evIDs {
		events = append(events, data.Event{CustomerID: id, TS: evAt[i], Event: names[i], Quantity: qty[i]})
	}
	b, err := features.NewBuilder(cfg.Features, cuts, cut)
	if err != nil {
		t.Fatal(err)
	}
	b.AddCustomers(customers)
	b.Freeze()
	b.ChannelsUntil(cut)
	p := b.NewEventProfile(cut)
	p.AddEventRows(events)
	if !p.NeedsSessions() {
		t.Fatal("two names fire on nearly every day, but the profile does not ask for the sessions")
	}
	p.AddSessionRows(sessions)
	b.SetCatalog(b.CatalogWith(p.Catalog(cfg.Features.EventVocab)))
	b.AddSessions(sessions)
	b.AddEvents(events)
	want, err := b.Build(map[data.Table]bool{data.Customers: true, data.Sessions: true, data.Events: true})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(want.Catalog.Automated, []string{"heartbeat"}) {
		t.Fatalf("plain path: automated events %q, want [heartbeat]", want.Catalog.Automated)
	}

	for _, workers := range []int{1, 3} {
		cfg.Workers = workers
		ld, err := loadFrame(ctx, &cfg, &env, ds, cuts, cut, env.Log)
		if err != nil {
			t.Fatal(err)
		}
		got := ld.Frame
		if !slices.Equal(got.Catalog.Events, want.Catalog.Events) || !slices.Equal(got.Catalog.Automated, want.Catalog.Automated) {
			t.Errorf("%d workers: catalog %q automated %q; want %q, %q", workers, got.Catalog.Events, got.Catalog.Automated, want.Catalog.Events, want.Catalog.Automated)
		}
		if !slices.Equal(got.Names, want.Names) || !slices.Equal(got.CustomerID, want.CustomerID) {
			t.Fatalf("%d workers: %d columns, %d rows; want %d, %d", workers, len(got.Names), got.Rows(), len(want.Names), want.Rows())
		}
		for k := range want.X {
			if math.Float64bits(got.X[k]) != math.Float64bits(want.X[k]) {
				t.Fatalf("%d workers: row %d, %s: %v, want %v", workers, k/len(want.Names), want.Names[k%len(want.Names)], got.X[k], want.X[k])
			}
		}
	}
}

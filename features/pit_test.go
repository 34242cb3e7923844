package features

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"churn/data"
)

// randomHistory makes a deterministic history of n customers over the
// days before end, with rows in every table.
func randomHistory(seed uint64, n int, end int64, days int) history {
	rng := rand.New(rand.NewPCG(seed, 7))
	start := end - int64(days)*dayNS
	when := func(from int64) int64 { return from + rng.Int64N(end-from) }
	nan := math.NaN()
	orNaN := func(p float64, v float64) float64 {
		if rng.Float64() < p {
			return nan
		}
		return v
	}
	var h history
	plans := []string{"monthly", "annual", "shop", ""}
	events := []string{"login", "create", "share", "search", "export"}
	channels := []string{"email", "Chat", "phone", "social", "fax", ""}
	texts := []string{"", "thanks, all good now", "terrible, still broken", "péssimo atendimento, não resolveram", "ok"}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("c%03d", i)
		signup := when(start)
		cancel := data.NoTime
		plan := plans[rng.IntN(len(plans))]
		if plan != "shop" && rng.Float64() < 0.3 {
			cancel = when(signup)
		}
		h.customers = append(h.customers, data.Customer{ID: id, SignupAt: signup, Plan: plan, Region: "r" + fmt.Sprint(i%3), CancelledAt: cancel})
		for k := rng.IntN(60); k > 0; k-- {
			h.sessions = append(h.sessions, data.Session{CustomerID: id, StartedAt: when(signup), DurationS: orNaN(0.1, float64(rng.IntN(3600))), Pages: orNaN(0.1, float64(rng.IntN(30))), Channel: "web"})
		}
		for k := rng.IntN(80); k > 0; k-- {
			h.events = append(h.events, data.Event{CustomerID: id, TS: when(signup), Event: events[rng.IntN(len(events))], Quantity: 1})
		}
		for k := rng.IntN(5); k > 0; k-- {
			c := when(signup)
			res := data.NoTime
			if rng.Float64() < 0.7 {
				res = c + rng.Int64N(5*dayNS)
			}
			h.tickets = append(h.tickets, data.Ticket{CustomerID: id, CreatedAt: c, Channel: channels[rng.IntN(len(channels))],
				Text: texts[rng.IntN(len(texts))], Sentiment: orNaN(0.5, rng.Float64()*2-1), FirstResponseS: orNaN(0.2, float64(rng.IntN(86400))),
				ResolvedAt: res, CSAT: orNaN(0.4, float64(1+rng.IntN(5))), Effort: orNaN(0.4, float64(1+rng.IntN(5)))})
		}
		for k := rng.IntN(4); k > 0; k-- {
			h.surveys = append(h.surveys, data.Survey{CustomerID: id, AnsweredAt: when(signup), NPS: rng.IntN(11)})
		}
		for k := rng.IntN(8); k > 0; k-- {
			amt := math.Round(rng.Float64()*20000) / 100
			if rng.Float64() < 0.1 {
				amt = -amt
			}
			h.orders = append(h.orders, data.Order{CustomerID: id, TS: when(signup), Amount: amt, Margin: orNaN(0.5, rng.Float64())})
		}
	}
	return h
}

// after returns rows at and after c for the customers of h, in every
// table, a customer who signs up at c, and cancellations after c for the
// customers still active at c.
func after(h history, c int64, seed uint64) history {
	rng := rand.New(rand.NewPCG(seed, 11))
	later := func() int64 {
		if rng.IntN(4) == 0 {
			return c // exactly at the cutoff: the label side
		}
		return c + rng.Int64N(200*dayNS)
	}
	var x history
	for _, cu := range h.customers {
		if cu.CancelledAt == data.NoTime && rng.IntN(2) == 0 {
			cu.CancelledAt = later()
		}
		x.customers = append(x.customers, cu)
		id := cu.ID
		for k := 0; k < 3; k++ {
			x.sessions = append(x.sessions, data.Session{CustomerID: id, StartedAt: later(), DurationS: 50, Pages: 4})
			x.events = append(x.events, data.Event{CustomerID: id, TS: later(), Event: "create", Quantity: 1})
			x.tickets = append(x.tickets, data.Ticket{CustomerID: id, CreatedAt: later(), Channel: "email", Text: "awful",
				Sentiment: math.NaN(), FirstResponseS: 1, ResolvedAt: data.NoTime, CSAT: 1, Effort: 1})
			x.surveys = append(x.surveys, data.Survey{CustomerID: id, AnsweredAt: later(), NPS: 0})
			x.orders = append(x.orders, data.Order{CustomerID: id, TS: later(), Amount: 1000, Margin: 0.9})
			// For the catalog families: a channel, an event name so
			// frequent it would top the event mix, and an attribute-free
			// burst, all at or after c.
			x.sessions = append(x.sessions, data.Session{CustomerID: id, StartedAt: later(), DurationS: 50, Pages: 4, Channel: "kiosk"})
			for range 20 {
				x.events = append(x.events, data.Event{CustomerID: id, TS: later(), Event: "future_burst", Quantity: 1})
			}
		}
	}
	x.customers = append(x.customers, data.Customer{ID: "late", SignupAt: c, CancelledAt: data.NoTime})
	x.sessions = append(x.sessions, data.Session{CustomerID: "late", StartedAt: c + dayNS, DurationS: 5, Pages: 1})
	return x
}

func concat(a, b history) history {
	return history{
		customers: b.customers, // b's customers table replaces a's
		sessions:  append(append([]data.Session(nil), a.sessions...), b.sessions...),
		events:    append(append([]data.Event(nil), a.events...), b.events...),
		tickets:   append(append([]data.Ticket(nil), a.tickets...), b.tickets...),
		surveys:   append(append([]data.Survey(nil), a.surveys...), b.surveys...),
		orders:    append(append([]data.Order(nil), a.orders...), b.orders...),
	}
}

var testCutoffs = []int64{
	time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC).UnixNano(),
	time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC).UnixNano(),
	time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC).UnixNano(),
}

// sameX reports the first feature whose bits differ between two Frames
// with the same rows.
func sameX(a, b *Frame) error {
	if a.Rows() != b.Rows() || len(a.Names) != len(b.Names) {
		return fmt.Errorf("shape %dx%d, want %dx%d", b.Rows(), len(b.Names), a.Rows(), len(a.Names))
	}
	for i := 0; i < a.Rows(); i++ {
		if a.CustomerID[i] != b.CustomerID[i] || a.Cutoff[i] != b.Cutoff[i] {
			return fmt.Errorf("row %d is %s@%d, want %s@%d", i, b.CustomerID[i], b.Cutoff[i], a.CustomerID[i], a.Cutoff[i])
		}
		for j, n := range a.Names {
			if x, y := a.At(i, j), b.At(i, j); math.Float64bits(x) != math.Float64bits(y) {
				return fmt.Errorf("customer %s cutoff %d: %s = %v, want %v", a.CustomerID[i], a.Cutoff[i], n, y, x)
			}
		}
		value := [][2]float64{{a.RFMx[i], b.RFMx[i]}, {a.RFMtx[i], b.RFMtx[i]}, {a.RFMT[i], b.RFMT[i]},
			{a.MeanRepeat[i], b.MeanRepeat[i]}, {a.SpendRate[i], b.SpendRate[i]}, {a.Margin[i], b.Margin[i]}}
		for k, v := range value {
			if math.Float64bits(v[0]) != math.Float64bits(v[1]) {
				return fmt.Errorf("customer %s: value input %d = %v, want %v", a.CustomerID[i], k, v[1], v[0])
			}
		}
	}
	return nil
}

// TestNoLeakage: rows at and after a cutoff, in every table, and
// cancellations after it, leave every feature of that cutoff bit-identical.
func TestNoLeakage(t *testing.T) {
	end := testCutoffs[len(testCutoffs)-1] + 120*dayNS
	h := randomHistory(1, 120, testCutoffs[0], 400)
	for _, mode := range []LabelMode{Auto, Noncontractual} {
		cfg := DefaultConfig()
		cfg.Label = mode
		for k, c := range testCutoffs {
			t.Run(fmt.Sprintf("%s/%s", mode, data.FormatDate(time.Unix(0, c))), func(t *testing.T) {
				// Rows before c come from h and from the rows h gets
				// between the earlier cutoffs and c.
				base := h
				for _, e := range testCutoffs[:k] {
					base = concat(base, clip(after(base, e, uint64(e)), c))
				}
				want := mustBuild(t, cfg, []int64{c}, end, base)
				got := mustBuild(t, cfg, []int64{c}, end, concat(base, after(base, c, 99)))
				if err := sameX(want, got); err != nil {
					t.Fatal(err)
				}
				labels := 0
				for i := range want.Label {
					if math.Float64bits(want.Label[i]) != math.Float64bits(got.Label[i]) {
						labels++
					}
				}
				t.Logf("%d of %d labels changed by the later rows", labels, want.Rows())
				if labels == 0 {
					t.Errorf("no label changed: the later rows were not seen at all")
				}
			})
		}
	}
}

// TestRowsAtDataEnd: rows at exactly dataEnd, which readers bounded with
// data.ReadOptions.Until = dataEnd hand on, change no feature and no label,
// not even those of a cutoff whose label ends at dataEnd.
func TestRowsAtDataEnd(t *testing.T) {
	cfg := DefaultConfig()
	end := testCutoffs[len(testCutoffs)-1] + cfg.LabelSpan().Nanoseconds()
	h := randomHistory(3, 120, testCutoffs[0], 400)
	var x history
	for _, cu := range h.customers {
		if cu.CancelledAt == data.NoTime {
			cu.CancelledAt = end
		}
		x.customers = append(x.customers, cu)
		id := cu.ID
		x.sessions = append(x.sessions, data.Session{CustomerID: id, StartedAt: end, DurationS: 50, Pages: 4})
		x.events = append(x.events, data.Event{CustomerID: id, TS: end, Event: "create", Quantity: 1})
		x.tickets = append(x.tickets, data.Ticket{CustomerID: id, CreatedAt: end, Channel: "email", Text: "awful",
			Sentiment: math.NaN(), FirstResponseS: 1, ResolvedAt: data.NoTime, CSAT: 1, Effort: 1})
		x.surveys = append(x.surveys, data.Survey{CustomerID: id, AnsweredAt: end, NPS: 0})
		x.orders = append(x.orders, data.Order{CustomerID: id, TS: end, Amount: 1000, Margin: 0.9})
	}
	x.customers = append(x.customers, data.Customer{ID: "late", SignupAt: end, CancelledAt: data.NoTime})
	for _, mode := range []LabelMode{Auto, Contractual, Noncontractual} {
		cfg.Label = mode
		want := mustBuild(t, cfg, testCutoffs, end, h)
		got := mustBuild(t, cfg, testCutoffs, end, concat(h, x))
		if err := sameX(want, got); err != nil {
			t.Errorf("%s: %v", mode, err)
		}
		labelled := 0
		for i := range want.Label {
			if math.Float64bits(want.Label[i]) != math.Float64bits(got.Label[i]) {
				t.Errorf("%s: customer %s cutoff %s: label %v, want %v", mode, want.CustomerID[i],
					data.FormatDate(time.Unix(0, want.Cutoff[i])), got.Label[i], want.Label[i])
			}
			if want.Cutoff[i] == testCutoffs[len(testCutoffs)-1] && !math.IsNaN(want.Label[i]) {
				labelled++
			}
		}
		if labelled == 0 {
			t.Errorf("%s: no label at the last cutoff: its horizon should end exactly at dataEnd", mode)
		}
	}
}

// clip keeps the rows of x strictly before c and x's customers.
func clip(x history, c int64) history {
	var out history
	for _, cu := range x.customers {
		if cu.ID == "late" {
			continue
		}
		out.customers = append(out.customers, cu)
	}
	for _, r := range x.sessions {
		if r.StartedAt < c && r.CustomerID != "late" {
			out.sessions = append(out.sessions, r)
		}
	}
	for _, r := range x.events {
		if r.TS < c {
			out.events = append(out.events, r)
		}
	}
	for _, r := range x.tickets {
		if r.CreatedAt < c {
			out.tickets = append(out.tickets, r)
		}
	}
	for _, r := range x.surveys {
		if r.AnsweredAt < c {
			out.surveys = append(out.surveys, r)
		}
	}
	for _, r := range x.orders {
		if r.TS < c {
			out.orders = append(out.orders, r)
		}
	}
	return out
}

// TestManyCutoffsMatchOne: the rows of a many-cutoff Frame equal the
// Frames built for each cutoff alone.
func TestManyCutoffsMatchOne(t *testing.T) {
	end := testCutoffs[len(testCutoffs)-1] + 120*dayNS
	h := randomHistory(2, 80, end, 500)
	all := mustBuild(t, DefaultConfig(), testCutoffs, end, h)
	b := catalogBuilder(t, end, h)
	h.feed(t, b)
	from := 0
	for k, c := range testCutoffs {
		one := mustBuildCatalog(t, DefaultConfig(), []int64{c}, end, h, *all.Catalog)
		part := slice(all, from, from+one.Rows())
		if err := sameX(one, part); err != nil {
			t.Fatalf("cutoff %d: %v", c, err)
		}
		for i := range one.Label {
			if math.Float64bits(one.Label[i]) != math.Float64bits(part.Label[i]) || one.Status[i] != part.Status[i] {
				t.Fatalf("cutoff %d row %d: label/status %v/%s, want %v/%s", c, i, part.Label[i], part.Status[i], one.Label[i], one.Status[i])
			}
		}
		at, err := b.BuildAt(nil, k)
		if err != nil {
			t.Fatalf("BuildAt(%d): %v", k, err)
		}
		if err := sameX(one, at); err != nil {
			t.Fatalf("BuildAt(%d): %v", k, err)
		}
		from += one.Rows()
	}
	if _, err := b.BuildAt(nil, len(testCutoffs)); !errors.Is(err, ErrCutoffRange) {
		t.Errorf("BuildAt past the last cutoff: %v, want ErrCutoffRange", err)
	}
	if from != all.Rows() {
		t.Fatalf("rows %d, want %d", all.Rows(), from)
	}
}

func slice(f *Frame, from, to int) *Frame {
	n := len(f.Names)
	return &Frame{Names: f.Names, CustomerID: f.CustomerID[from:to], Cutoff: f.Cutoff[from:to], X: f.X[from*n : to*n],
		Label: f.Label[from:to], Status: f.Status[from:to], RFMx: f.RFMx[from:to], RFMtx: f.RFMtx[from:to], RFMT: f.RFMT[from:to],
		MeanRepeat: f.MeanRepeat[from:to], SpendRate: f.SpendRate[from:to], Margin: f.Margin[from:to]}
}

// TestMergeOrder: rows split across three forks and merged in any order
// and grouping give the Frame of one Builder fed everything.
func TestMergeOrder(t *testing.T) {
	end := testCutoffs[len(testCutoffs)-1] + 120*dayNS
	h := randomHistory(3, 100, end, 500)
	want := mustBuild(t, DefaultConfig(), testCutoffs, end, h)

	split := func(root *Builder) [3]*Builder {
		var f [3]*Builder
		for i := range f {
			f[i] = root.Fork()
		}
		for i, r := range h.sessions {
			f[i%3].AddSessions([]data.Session{r})
		}
		for i, r := range h.events {
			f[(i/7)%3].AddEvents([]data.Event{r})
		}
		f[1].AddTickets(h.tickets)
		for i, r := range h.surveys {
			f[(i+1)%3].AddSurveys([]data.Survey{r})
		}
		for i, r := range h.orders {
			f[(i*5)%3].AddOrders([]data.Order{r})
		}
		return f
	}
	orders := []struct {
		name  string
		merge func(root *Builder, f [3]*Builder) error
	}{
		{"1,2,3 into root", func(root *Builder, f [3]*Builder) error {
			return firstErr(root.Merge(f[0]), root.Merge(f[1]), root.Merge(f[2]))
		}},
		{"3,1,2 into root", func(root *Builder, f [3]*Builder) error {
			return firstErr(root.Merge(f[2]), root.Merge(f[0]), root.Merge(f[1]))
		}},
		{"(2+3)+1 as a tree", func(root *Builder, f [3]*Builder) error {
			return firstErr(f[2].Merge(f[1]), f[0].Merge(f[2]), root.Merge(f[0]))
		}},
	}
	for _, o := range orders {
		t.Run(o.name, func(t *testing.T) {
			b := catalogBuilder(t, end, h)
			if err := o.merge(b, split(b)); err != nil {
				t.Fatalf("Merge: %v", err)
			}
			got, err := b.Build(allTables)
			if err != nil {
				t.Fatal(err)
			}
			if err := sameX(want, got); err != nil {
				t.Fatal(err)
			}
			for i := range want.Label {
				if math.Float64bits(want.Label[i]) != math.Float64bits(got.Label[i]) {
					t.Fatalf("row %d: label %v, want %v", i, got.Label[i], want.Label[i])
				}
			}
		})
	}
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

func TestMergeSpent(t *testing.T) {
	b, _ := NewBuilder(DefaultConfig(), testCutoffs, 0)
	b.Freeze()
	f := b.Fork()
	f.AddSessions(nil)
	if err := b.Merge(f); err != nil {
		t.Fatalf("Merge: %v", err)
	}
	if err := b.Merge(f); !errors.Is(err, ErrSpent) {
		t.Errorf("second Merge of one fork: %v, want ErrSpent", err)
	}
	if _, err := f.Build(nil); !errors.Is(err, ErrSpent) {
		t.Errorf("Build of a merged fork: %v, want ErrSpent", err)
	}
}

func TestMergeRejectsStranger(t *testing.T) {
	a, _ := NewBuilder(DefaultConfig(), testCutoffs, 0)
	b, _ := NewBuilder(DefaultConfig(), testCutoffs, 0)
	a.Freeze()
	b.Freeze()
	if err := a.Merge(b); err != ErrNotFork {
		t.Fatalf("Merge of an unrelated Builder: %v, want ErrNotFork", err)
	}
}

func TestStatusAndLabels(t *testing.T) {
	sess := func(id string, days ...float64) []data.Session {
		var out []data.Session
		for _, d := range days {
			out = append(out, data.Session{CustomerID: id, StartedAt: at(d), DurationS: 1, Pages: 1})
		}
		return out
	}
	cust := func(id, plan string, signupDays, cancelDays float64) data.Customer {
		c := data.Customer{ID: id, Plan: plan, SignupAt: at(signupDays), CancelledAt: data.NoTime}
		if !math.IsNaN(cancelDays) {
			c.CancelledAt = at(cancelDays)
		}
		return c
	}
	nan := math.NaN()
	h := history{
		customers: []data.Customer{
			cust("sub-cancels", "sub", 300, -10),
			cust("sub-gone", "sub", 300, 5),
			cust("sub-stays", "sub", 300, nan),
			cust("sub-late-cancel", "sub", 300, -100),
			cust("sub-future", "sub", -1, nan),
			cust("sub-new", "sub", 10, nan),
			cust("sub-at-cutoff", "sub", 300, 0),
			cust("shop-returns", "shop", 300, nan),
			cust("shop-leaves", "shop", 300, nan),
			cust("shop-dormant", "shop", 300, nan),
			cust("shop-at-cutoff", "shop", 300, nan),
		},
	}
	h.sessions = append(h.sessions, sess("shop-returns", 5, -10)...)
	h.sessions = append(h.sessions, sess("shop-leaves", 5)...)
	h.sessions = append(h.sessions, sess("shop-dormant", 100, -10)...)
	h.sessions = append(h.sessions, sess("shop-at-cutoff", 5, 0)...)

	tests := []struct {
		name    string
		dataEnd int64
		gap     time.Duration
		want    map[string]string // id -> "status label"
	}{
		{"complete horizon", at(-90), 0, map[string]string{
			"sub-cancels": "active 1", "sub-gone": "churned NaN", "sub-stays": "active 0",
			"sub-late-cancel": "active 0", "sub-new": "new 0", "sub-at-cutoff": "active 1",
			"shop-returns": "active 0", "shop-leaves": "active 1", "shop-dormant": "churned NaN",
			"shop-at-cutoff": "active 0",
		}},
		{"incomplete horizon", at(-89), 0, map[string]string{
			"sub-cancels": "active NaN", "sub-gone": "churned NaN", "sub-stays": "active NaN",
			"shop-returns": "active NaN", "shop-leaves": "active NaN",
		}},
		{"gap of 30 days", at(-120), 30 * Day, map[string]string{
			"sub-cancels": "active NaN", "sub-late-cancel": "active 1", "sub-stays": "active 0",
			"shop-returns": "active 1", "shop-at-cutoff": "active 1",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Gap = tt.gap
			f := mustBuild(t, cfg, []int64{cut}, tt.dataEnd, h)
			if i := indexOf(f, "sub-future", cut); i >= 0 {
				t.Errorf("a customer who signs up after the cutoff has row %d", i)
			}
			for id, want := range tt.want {
				i := indexOf(f, id, cut)
				if i < 0 {
					t.Errorf("%s: no row", id)
					continue
				}
				got := fmt.Sprintf("%s %v", f.Status[i], f.Label[i])
				if got != want {
					t.Errorf("%s: status and label %q, want %q", id, got, want)
				}
			}
			if i := indexOf(f, "shop-leaves", cut); f.Contractual[i] {
				t.Errorf("shop plan with no cancellation is contractual under auto")
			}
		})
	}
}

func TestMissingTables(t *testing.T) {
	h := handHistory()
	b, err := NewBuilder(handConfig(), []int64{cut}, at(-100))
	if err != nil {
		t.Fatal(err)
	}
	b.AddCustomers(h.customers)
	b.Freeze()
	b.AddSessions(h.sessions)
	f, err := b.Build(map[data.Table]bool{data.Customers: true, data.Sessions: true})
	if err != nil {
		t.Fatal(err)
	}
	built := map[string]bool{}
	for _, fam := range f.Families {
		built[fam.Name] = fam.Built
		if !fam.Built && !strings.HasPrefix(fam.Why, "no ") {
			t.Errorf("family %s: why %q", fam.Name, fam.Why)
		}
	}
	wantBuilt := map[string]bool{"profile": true, "visits": true, "usage": false, "engagement": false,
		"tickets": false, "sentiment": false, "nps": false, "value": false}
	for name, want := range wantBuilt {
		if built[name] != want {
			t.Errorf("family %s built = %v, want %v", name, built[name], want)
		}
	}
	a := row(t, f, "a", cut)
	// Without the tables, counts are unknown, not zero.
	for _, name := range []string{"core_actions_30d", "tickets_30d", "nps_count", "orders_total", "engagement_score_30d"} {
		if !math.IsNaN(a[name]) {
			t.Errorf("%s = %v without its table, want NaN", name, a[name])
		}
	}
	if a["sessions_30d"] != 4 {
		t.Errorf("sessions_30d = %v, want 4", a["sessions_30d"])
	}
	if i := indexOf(f, "a", cut); !math.IsNaN(f.RFMx[i]) {
		t.Errorf("RFMx = %v without orders, want NaN", f.RFMx[i])
	}
}

func TestUnknownAndDuplicates(t *testing.T) {
	b, _ := NewBuilder(DefaultConfig(), []int64{cut}, cut)
	b.AddCustomers([]data.Customer{{ID: "a", SignupAt: at(50), Plan: "first", CancelledAt: data.NoTime}})
	b.AddCustomers([]data.Customer{{ID: "a", SignupAt: at(10), Plan: "second", CancelledAt: data.NoTime}, {ID: "b", SignupAt: at(10), CancelledAt: data.NoTime},
		{ID: "", SignupAt: at(3)}, {ID: "nosignup", SignupAt: data.NoTime}})
	if n := b.InvalidCustomers(); n != 2 {
		t.Errorf("InvalidCustomers = %d, want 2", n)
	}
	if dups := b.Freeze(); dups != 1 {
		t.Fatalf("Freeze = %d duplicates, want 1", dups)
	}
	if n := b.AddSessions([]data.Session{{CustomerID: "x", StartedAt: at(1)}, {CustomerID: "a", StartedAt: at(1)}}); n != 1 {
		t.Errorf("AddSessions unknown = %d, want 1", n)
	}
	if n := b.AddOrders([]data.Order{{CustomerID: "y", TS: at(1), Amount: 1}}); n != 1 {
		t.Errorf("AddOrders unknown = %d, want 1", n)
	}
	f, err := b.Build(nil)
	if err != nil {
		t.Fatal(err)
	}
	if i := indexOf(f, "a", cut); f.Plan[i] != "first" {
		t.Errorf("plan of a = %q, want the first row's", f.Plan[i])
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("DefaultConfig: %v", err)
	}
	bad := DefaultConfig()
	bad.Windows = []time.Duration{30 * Day, 7 * Day, 36 * time.Hour}
	bad.Horizon = 0
	bad.Label = "sometimes"
	bad.DefaultMargin = 2
	bad.EngagementWeights = map[string]float64{"x": math.Inf(1)}
	err := bad.Validate()
	if err == nil {
		t.Fatal("Validate of a bad config: nil")
	}
	for _, want := range []string{"ascending", "whole number of days", "horizon", "label", "margin", "engagement weight"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate: %v; want a problem mentioning %q", err, want)
		}
	}
}

func TestMonthlyCutoffs(t *testing.T) {
	day := func(y int, m time.Month, d int) int64 { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC).UnixNano() }
	tests := []struct {
		name    string
		asOf    time.Time
		n       int
		horizon time.Duration
		want    []int64
	}{
		{"horizon 90 days", time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC), 3, 90 * Day,
			[]int64{day(2026, 6, 22), day(2026, 7, 22), day(2026, 8, 22)}},
		{"zero horizon", time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC), 2, 0,
			[]int64{day(2026, 10, 22), day(2026, 11, 22)}},
		{"month end clamps", time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC), 2, 24 * time.Hour,
			[]int64{day(2026, 1, 31), day(2026, 2, 28)}},
	}
	for _, tt := range tests {
		got := Config{Horizon: tt.horizon}.MonthlyCutoffs(tt.asOf, tt.n)
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("%s: MonthlyCutoffs = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestLabelSpan: a config's label span is its gap plus its horizon, and the
// latest monthly cutoff for it is the latest whose gap and horizon both end
// by asOf.
func TestLabelSpan(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Gap, cfg.Horizon = 14*Day, 60*Day
	if got, want := cfg.LabelSpan(), 74*Day; got != want {
		t.Errorf("LabelSpan = %v, want %v", got, want)
	}
	// 2026-11-01 less 74 days is 2026-08-19: August 1st is the latest
	// first of a month whose label is complete; with the horizon alone
	// (2026-09-02) it would be September 1st.
	asOf := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	day := func(m time.Month) int64 { return time.Date(2026, m, 1, 0, 0, 0, 0, time.UTC).UnixNano() }
	if got, want := cfg.MonthlyCutoffs(asOf, 2), []int64{day(7), day(8)}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("MonthlyCutoffs(LabelSpan) = %v, want %v", got, want)
	}
}

// TestBuildLabelled: BuildLabelled gives exactly the rows of Build that
// have a label, in Build's order, every column bit for bit, and
// CustomersAt counts Build's rows per cutoff; over random histories, both
// label modes, a gap, a data end that leaves the last cutoffs without
// labels, and an empty one.
func TestBuildLabelled(t *testing.T) {
	last := testCutoffs[len(testCutoffs)-1]
	for _, tt := range []struct {
		name    string
		seed    uint64
		n       int
		mode    LabelMode
		gap     time.Duration
		dataEnd int64
		mixed   bool // some rows have a label and some have none
	}{
		{"auto, complete", 21, 150, Auto, 0, last + 120*dayNS, true},
		{"noncontractual, gap", 22, 120, Noncontractual, 30 * Day, last + 150*dayNS, true},
		{"contractual", 23, 90, Contractual, 0, last + 100*dayNS, true},
		{"last cutoff unlabelled", 24, 120, Auto, 0, last + 60*dayNS, true},
		{"none labelled", 25, 60, Auto, 0, testCutoffs[0] + 10*dayNS, false},
		{"one customer", 26, 1, Auto, 0, last + 120*dayNS, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			cfg.Label, cfg.Gap = tt.mode, tt.gap
			h := randomHistory(tt.seed, tt.n, tt.dataEnd, 500)
			b, err := NewBuilder(cfg, testCutoffs, tt.dataEnd)
			if err != nil {
				t.Fatal(err)
			}
			b.AddCustomers(h.customers)
			b.Freeze()
			learnCatalog(b, h.events, last)
			h.feed(t, b)
			all, err := b.Build(allTables)
			if err != nil {
				t.Fatal(err)
			}
			got, err := b.BuildLabelled(allTables)
			if err != nil {
				t.Fatal(err)
			}
			var keep []int
			perCutoff := map[int64]int{}
			for i := range all.Rows() {
				perCutoff[all.Cutoff[i]]++
				if !math.IsNaN(all.Label[i]) {
					keep = append(keep, i)
				}
			}
			if tt.mixed && (len(keep) == 0 || len(keep) == all.Rows()) {
				t.Fatalf("%d of %d rows labelled: the case tests nothing", len(keep), all.Rows())
			}
			for k, c := range testCutoffs {
				if n := b.CustomersAt(k); n != perCutoff[c] {
					t.Errorf("CustomersAt(%d) = %d, want %d", k, n, perCutoff[c])
				}
			}
			want := all.Select(keep)
			if err := sameX(want, got); err != nil {
				t.Fatal(err)
			}
			if len(got.X) != got.Rows()*len(got.Names) {
				t.Fatalf("X holds %d values for %d rows", len(got.X), got.Rows())
			}
			for i := range want.Rows() {
				a := fmt.Sprint(want.Label[i], want.Status[i], want.Plan[i], want.Region[i], want.Contractual[i], want.SignupAt[i], want.CancelledAt[i])
				g := fmt.Sprint(got.Label[i], got.Status[i], got.Plan[i], got.Region[i], got.Contractual[i], got.SignupAt[i], got.CancelledAt[i])
				if a != g {
					t.Fatalf("row %d: %s, want %s", i, g, a)
				}
			}
			if fmt.Sprint(got.Names, got.Families, *got.Catalog) != fmt.Sprint(all.Names, all.Families, *all.Catalog) {
				t.Errorf("names, families or catalog differ from Build's")
			}
		})
	}
}

// TestBuildPlan: the parts of a BuildPlan, of one customer up to more
// customers than there are, filled in a random order by several goroutines,
// give the frame of Build and of BuildLabelled bit for bit, with the matrix
// on the heap or mapped (PlanBuildMapped); that frame is
// also the rows of BuildRange one customer at a time, concatenated.
func TestBuildPlan(t *testing.T) {
	last := testCutoffs[len(testCutoffs)-1]
	for _, tt := range []struct {
		name     string
		seed     uint64
		n        int
		labelled bool
		present  map[data.Table]bool
	}{
		{"all rows", 31, 130, false, allTables},
		{"labelled", 32, 130, true, allTables},
		{"no orders", 33, 80, false, map[data.Table]bool{data.Customers: true, data.Sessions: true, data.Events: true}},
		{"one customer", 34, 1, true, allTables},
	} {
		t.Run(tt.name, func(t *testing.T) {
			end := last + 120*dayNS
			h := randomHistory(tt.seed, tt.n, end, 500)
			if !tt.present[data.Orders] {
				h.orders, h.tickets, h.surveys = nil, nil, nil
			}
			b, err := NewBuilder(DefaultConfig(), testCutoffs, end)
			if err != nil {
				t.Fatal(err)
			}
			b.AddCustomers(h.customers)
			b.Freeze()
			learnCatalog(b, h.events, last)
			h.feed(t, b)
			want, err := b.build(tt.present, 0, len(testCutoffs), 0, b.Customers(), nil, tt.labelled)
			if err != nil {
				t.Fatal(err)
			}
			if !tt.labelled {
				var ref []*Frame
				for k := range testCutoffs {
					for i := range b.Customers() {
						f, err := b.BuildRange(tt.present, k, i, i+1)
						if err != nil {
							t.Fatal(err)
						}
						ref = append(ref, f)
					}
				}
				if err := sameX(concatFrames(ref), want); err != nil {
					t.Fatalf("Build against BuildRange one customer at a time: %v", err)
				}
			}
			rng := rand.New(rand.NewPCG(tt.seed, 1))
			for _, per := range []int{1, 3, 7, 64, tt.n + 1} {
				// Odd sizes of parts take the matrix from the heap, even
				// ones map it (PlanBuildMapped): the values are the same.
				p, err := b.plan(tt.present, 0, len(testCutoffs), 0, b.Customers(), nil, tt.labelled, per, per%2 == 0)
				if err != nil {
					t.Fatal(err)
				}
				order := rng.Perm(p.Parts())
				var wg sync.WaitGroup
				errs := make([]error, 3)
				for w := range errs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for j := w; j < len(order); j += len(errs) {
							if err := p.Fill(order[j]); err != nil {
								errs[w] = err
								return
							}
						}
					}()
				}
				wg.Wait()
				if err := errors.Join(errs...); err != nil {
					t.Fatal(err)
				}
				got := p.Frame
				if err := sameX(want, got); err != nil {
					t.Fatalf("%d customers a part: %v", per, err)
				}
				for i := range want.Rows() {
					a := fmt.Sprint(want.Label[i], want.Status[i], want.Plan[i], want.Region[i], want.Contractual[i], want.SignupAt[i], want.CancelledAt[i])
					g := fmt.Sprint(got.Label[i], got.Status[i], got.Plan[i], got.Region[i], got.Contractual[i], got.SignupAt[i], got.CancelledAt[i])
					if a != g {
						t.Fatalf("%d customers a part: row %d: %s, want %s", per, i, g, a)
					}
				}
				if fmt.Sprint(got.Names, got.Families, *got.Catalog) != fmt.Sprint(want.Names, want.Families, *want.Catalog) {
					t.Errorf("%d customers a part: names, families or catalog differ from Build's", per)
				}
				runtime.KeepAlive(got) // its X may be mapped
			}
			if p, err := b.PlanBuild(tt.present, tt.labelled); err != nil {
				t.Fatal(err)
			} else if err := p.Fill(p.Parts()); !errors.Is(err, ErrCutoffRange) {
				t.Errorf("Fill past the last part: %v, want ErrCutoffRange", err)
			}
		})
	}
}

// concatFrames appends the rows of frames with the same columns.
func concatFrames(fs []*Frame) *Frame {
	out := &Frame{Names: fs[0].Names}
	for _, f := range fs {
		out.CustomerID = append(out.CustomerID, f.CustomerID...)
		out.Cutoff = append(out.Cutoff, f.Cutoff...)
		out.X = append(out.X, f.X...)
		out.RFMx = append(out.RFMx, f.RFMx...)
		out.RFMtx = append(out.RFMtx, f.RFMtx...)
		out.RFMT = append(out.RFMT, f.RFMT...)
		out.MeanRepeat = append(out.MeanRepeat, f.MeanRepeat...)
		out.SpendRate = append(out.SpendRate, f.SpendRate...)
		out.Margin = append(out.Margin, f.Margin...)
	}
	return out
}

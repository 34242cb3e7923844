package features

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"testing"

	"churn/data"
)

// automatedHistory: 60 customers over 200 days; each logs in on random
// days, and the subscribers' "sync" fires every day at the same hour.
func automatedHistory(names func(string) string) history {
	var h history
	start := cut - 200*dayNS
	for i := 0; i < 64; i++ {
		id := fmt.Sprintf("c%03d", i)
		plan := names([]string{"gold", "silver", "bronze"}[i%3])
		h.customers = append(h.customers, data.Customer{ID: id, SignupAt: start, Plan: plan, Region: names([]string{"north", "south"}[i%2])})
		for d := int64(0); d < 200; d++ {
			t0 := start + d*dayNS
			h.events = append(h.events, data.Event{CustomerID: id, TS: t0 + 3*3600e9, Event: names("sync"), Quantity: 1})
			if (d*7+int64(i))%5 == 0 {
				h.events = append(h.events, data.Event{CustomerID: id, TS: t0 + 10*3600e9, Event: names("login"), Quantity: 1})
			}
			if (d*3+int64(i))%11 == 0 {
				h.events = append(h.events, data.Event{CustomerID: id, TS: t0 + 11*3600e9, Event: names("export"), Quantity: 1})
			}
		}
	}
	return h
}

func TestCatalogFindsAutomatedEvents(t *testing.T) {
	h := automatedHistory(func(s string) string { return s })
	b, err := NewBuilder(DefaultConfig(), []int64{cut}, cut)
	if err != nil {
		t.Fatal(err)
	}
	b.AddCustomers(h.customers)
	b.Freeze()
	learnCatalog(b, h.events, cut)
	cat := b.Catalog()
	if !slices.Equal(cat.Events, []string{"sync", "login", "export"}) {
		t.Errorf("events %q, want sync, login, export by frequency", cat.Events)
	}
	if !slices.Equal(cat.Automated, []string{"sync"}) {
		t.Errorf("automated %q, want [sync]", cat.Automated)
	}
	h.feed(t, b)
	f, err := b.Build(allTables)
	if err != nil {
		t.Fatal(err)
	}
	// sync is neither a core action nor engagement: only logins and
	// exports count.
	j := f.Col("core_actions_30d")
	k := f.Col("event_r01_30d")
	for i := range f.Rows() {
		if f.At(i, k) != 30 {
			t.Fatalf("row %d: event_r01_30d = %v, want 30 daily syncs", i, f.At(i, k))
		}
		if f.At(i, j) >= 30 {
			t.Fatalf("row %d: core_actions_30d = %v counts the syncs", i, f.At(i, j))
		}
	}

	// Listing sync as a core event keeps it core.
	cfg := DefaultConfig()
	cfg.CoreEvents = []string{"sync", "login"}
	b2, _ := NewBuilder(cfg, []int64{cut}, cut)
	b2.AddCustomers(h.customers)
	b2.Freeze()
	learnCatalog(b2, h.events, cut)
	if k := b2.vocab.lookup("sync", b2); !k.core {
		t.Error("sync listed in core events is not core")
	}
	cfg.CoreEvents = nil
	cfg.IgnoreEvents = []string{"export"}
	b3, _ := NewBuilder(cfg, []int64{cut}, cut)
	b3.AddCustomers(h.customers)
	b3.Freeze()
	learnCatalog(b3, h.events, cut)
	if k := b3.vocab.lookup("export", b3); k.core || k.activity {
		t.Error("an ignored event is core or activity")
	}
}

// TestAutomatedApartFromUse: a heartbeat that fires every day and a
// product action used on almost every day both pass the cadence test;
// sessions tell them apart, as the action happens only on the days with a
// visit and the heartbeat on the others too.
func TestAutomatedApartFromUse(t *testing.T) {
	var h history
	start := cut - 200*dayNS
	for i := 0; i < 64; i++ {
		id := fmt.Sprintf("c%03d", i)
		h.customers = append(h.customers, data.Customer{ID: id, SignupAt: start})
		for d := int64(0); d < 200; d++ {
			t0 := start + d*dayNS
			h.events = append(h.events, data.Event{CustomerID: id, TS: t0 + 2*3600e9, Event: "heartbeat", Quantity: 1})
			if (d*13+int64(i))%15 == 0 {
				continue // a day away: no visit, so no action
			}
			h.sessions = append(h.sessions, data.Session{CustomerID: id, StartedAt: t0 + 9*3600e9, DurationS: 600, Pages: 3})
			h.events = append(h.events, data.Event{CustomerID: id, TS: t0 + 9*3600e9 + 60e9, Event: "open_board", Quantity: 1})
			if (d+int64(i))%9 == 0 {
				h.events = append(h.events, data.Event{CustomerID: id, TS: t0 + 9*3600e9 + 120e9, Event: "export", Quantity: 1})
			}
		}
	}
	b, err := NewBuilder(DefaultConfig(), []int64{cut}, cut)
	if err != nil {
		t.Fatal(err)
	}
	b.AddCustomers(h.customers)
	b.Freeze()
	p := b.NewEventProfile(cut)
	p.AddEventRows(h.events)
	if !p.NeedsSessions() {
		t.Fatal("two names fire on nearly every day, but the profile does not ask for sessions")
	}
	p.AddSessionRows(h.sessions)
	cat := p.Catalog(30)
	if !slices.Equal(cat.Automated, []string{"heartbeat"}) {
		t.Errorf("automated %q, want [heartbeat]: open_board is used during visits only", cat.Automated)
	}

	// Merged profiles of halves find the same.
	p1, p2 := b.NewEventProfile(cut), b.NewEventProfile(cut)
	half := len(h.events) / 2
	p1.AddEventRows(h.events[:half])
	p2.AddEventRows(h.events[half:])
	p2.AddSessionRows(h.sessions)
	p1.Merge(p2)
	if got := p1.Catalog(30); !slices.Equal(got.Automated, cat.Automated) || !slices.Equal(got.Events, cat.Events) {
		t.Errorf("merged profile: %+v, want %+v", got, cat)
	}

	// Customers who visit every day give no days away: the cadence test
	// decides alone, and both names read as automated.
	var daily history
	daily.customers = h.customers
	for _, e := range h.events {
		if e.Event == "heartbeat" {
			daily.events = append(daily.events, e, data.Event{CustomerID: e.CustomerID, TS: e.TS + 7*3600e9, Event: "open_board", Quantity: 1})
			daily.sessions = append(daily.sessions, data.Session{CustomerID: e.CustomerID, StartedAt: e.TS + 7*3600e9})
		}
	}
	p3 := b.NewEventProfile(cut)
	p3.AddEventRows(daily.events)
	p3.AddSessionRows(daily.sessions)
	if got := p3.Catalog(30).Automated; len(got) != 2 {
		t.Errorf("daily visitors: automated %q, want both names by cadence", got)
	}
}

// TestCatalogIgnoresNames: renaming every event, plan and region gives the
// same feature matrix, bit for bit.
func TestCatalogIgnoresNames(t *testing.T) {
	build := func(names func(string) string) *Frame {
		return mustBuild(t, DefaultConfig(), []int64{cut - 30*dayNS, cut}, cut, automatedHistory(names))
	}
	a := build(func(s string) string { return s })
	b := build(func(s string) string { return "zz" + strconv.Itoa(len(s)*7919%97) + s[:1] })
	if err := sameX(a, b); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(a.Names, b.Names) {
		t.Fatal("renaming changed the columns")
	}
}

// TestCatalogManyOrOneName: a catalogue of one name and one of 10,000
// names both build, the second with K columns and the rest in "other".
func TestCatalogManyOrOneName(t *testing.T) {
	for _, n := range []int{1, 10000} {
		var h history
		h.customers = []data.Customer{{ID: "a", SignupAt: cut - 300*dayNS}, {ID: "b", SignupAt: cut - 100*dayNS}}
		for e := 0; e < 20000; e++ {
			h.events = append(h.events, data.Event{CustomerID: []string{"a", "b"}[e%2], TS: cut - int64(1+e%250)*dayNS, Event: "e" + strconv.Itoa(e%n), Quantity: 1})
		}
		f := mustBuild(t, DefaultConfig(), []int64{cut}, cut, h)
		if got := len(f.Catalog.Events); got != min(n, 30) {
			t.Errorf("%d names: %d in the mix, want %d", n, got, min(n, 30))
		}
		other := f.Col("event_other_30d")
		r01 := f.Col("event_r01_30d")
		for i := range f.Rows() {
			sum := f.At(i, other)
			for s := 1; s <= len(f.Catalog.Events); s++ {
				sum += f.At(i, f.Col(fmt.Sprintf("event_r%02d_30d", s)))
			}
			if f.Col(fmt.Sprintf("event_r%02d_30d", len(f.Catalog.Events)+1)) >= 0 {
				t.Errorf("%d names: a column for a rank beyond the catalog", n)
			}
			if sum != float64(f.At(i, f.Col("core_actions_30d"))) {
				t.Errorf("%d names, row %d: the mix's 30-day counts add to %v, core actions %v", n, i, sum, f.At(i, f.Col("core_actions_30d")))
			}
		}
		if n == 1 && (f.At(0, other) != 0 || f.At(0, r01) == 0) || n > 1 && f.At(0, other) == 0 {
			t.Errorf("%d names: event_r01_30d %v, event_other_30d %v", n, f.At(0, r01), f.At(0, other))
		}
	}
}

// TestAttributesBadInput: a column with one value, all null, a million
// distinct values, numbers stored as text, and a column listed by config
// that the data lacks.
func TestAttributesBadInput(t *testing.T) {
	n := 1000
	ids := make([]string, n)
	one, null, many, num, mixed := make([]string, n), make([]string, n), make([]string, n), make([]string, n), make([]string, n)
	var custs []data.Customer
	for i := range ids {
		ids[i] = fmt.Sprintf("c%04d", i)
		custs = append(custs, data.Customer{ID: ids[i], SignupAt: cut - 100*dayNS, Plan: []string{"p1", "p2"}[i%2]})
		one[i] = "same"
		many[i] = "v" + strconv.Itoa(i)
		num[i] = " " + strconv.FormatFloat(float64(i)/7, 'g', -1, 64)
		mixed[i] = []string{"1", "2", "x"}[i%3]
	}
	num[3] = ""
	b, _ := NewBuilder(DefaultConfig(), []int64{cut}, cut)
	b.AddCustomers(custs)
	b.AddExtras([]string{"one", "null", "many", "num", "mixed"}, ids, [][]string{one, null, many, num, mixed})
	b.Freeze()
	var got []string
	for _, a := range b.Catalog().Attributes {
		got = append(got, fmt.Sprintf("%s numeric=%v levels=%d", a.Name, a.Numeric, len(a.Levels)))
	}
	want := []string{"plan numeric=false levels=2", "num numeric=true levels=0", "mixed numeric=false levels=3"}
	if !slices.Equal(got, want) {
		t.Errorf("default attributes %q, want %q", got, want)
	}
	f, err := b.Build(allTables)
	if err != nil {
		t.Fatal(err)
	}
	if v := f.At(7, f.Col("attr_num")); v != 1 {
		t.Errorf("attr_num = %v, want 1 (7/7 stored as text)", v)
	}
	if v := f.At(3, f.Col("attr_num")); !math.IsNaN(v) {
		t.Errorf("attr_num of a null = %v, want NaN", v)
	}

	// A million distinct values, listed by config: capped at MaxLevels.
	cfg := DefaultConfig()
	cfg.Attributes = []string{"huge", "absent", "one"}
	m := 1_000_000
	hid, huge := make([]string, m), make([]string, m)
	for i := range hid {
		hid[i], huge[i] = ids[i%n], "h"+strconv.Itoa(i)
	}
	b2, _ := NewBuilder(cfg, []int64{cut}, cut)
	b2.AddCustomers(custs)
	b2.AddExtras([]string{"huge", "one"}, ids, [][]string{huge[:n], one})
	b2.AddExtras([]string{"huge"}, hid, [][]string{huge})
	b2.Freeze()
	attrs := b2.Catalog().Attributes
	if len(attrs) != 3 || len(attrs[0].Levels) != MaxLevels || attrs[1].Levels != nil || len(attrs[2].Levels) != 1 {
		t.Fatalf("listed attributes %+v", attrs)
	}
	f2, err := b2.Build(allTables)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		col  string
		want float64
	}{{"attr_absent_rank", math.NaN()}, {"attr_one_rank", 0}, {"attr_one_top1", 1}} {
		if v := f2.At(0, f2.Col(c.col)); v != c.want && !(math.IsNaN(v) && math.IsNaN(c.want)) {
			t.Errorf("%s = %v, want %v", c.col, v, c.want)
		}
	}
}

// channelHistory: 40 customers whose sessions come by three channels and
// tickets by two, the channels named by names.
func channelHistory(names func(string) string) history {
	var h history
	start := cut - 120*dayNS
	for i := 0; i < 40; i++ {
		id := fmt.Sprintf("c%03d", i)
		h.customers = append(h.customers, data.Customer{ID: id, SignupAt: start})
		for d := int64(0); d < 120; d += 2 {
			ch := "web"
			switch {
			case (d/2+int64(i))%5 == 0:
				ch = "kiosk"
			case d >= 90 && i%2 == 0 || (d/2+int64(i))%3 == 0:
				ch = "app" // half the customers move to the app in the last 30 days
			}
			h.sessions = append(h.sessions, data.Session{CustomerID: id, StartedAt: start + d*dayNS + 3600e9, DurationS: 60, Pages: 2, Channel: names(ch)})
		}
		for d := int64(i % 7); d < 120; d += 9 {
			ch := "mail"
			if d%2 == 0 {
				ch = "callcentre"
			}
			if d%5 == 0 {
				ch = "" // no channel
			}
			h.tickets = append(h.tickets, data.Ticket{CustomerID: id, CreatedAt: start + d*dayNS, Channel: names(ch), Sentiment: math.NaN(),
				FirstResponseS: math.NaN(), ResolvedAt: data.NoTime, CSAT: math.NaN(), Effort: math.NaN()})
		}
	}
	return h
}

// TestChannelsByRank: session and ticket channels get columns by their
// frequency rank in the data, whatever their names; a catalog fixed at
// scoring folds a channel it does not list into "other".
func TestChannelsByRank(t *testing.T) {
	same := func(s string) string { return s }
	f := mustBuild(t, DefaultConfig(), []int64{cut - 30*dayNS, cut}, cut, channelHistory(same))
	if got := f.Catalog.SessionChannels; !slices.Equal(got, []string{"web", "app", "kiosk"}) {
		t.Errorf("session channels %q, want web, app, kiosk", got)
	}
	if got := f.Catalog.TicketChannels; len(got) != 2 || !f.Catalog.ChannelsSet {
		t.Errorf("ticket channels %q (set %v), want two, set", got, f.Catalog.ChannelsSet)
	}
	for _, n := range []string{"session_c03_share_30d", "session_other_share_change", "tickets_c02_90d", "tickets_other_90d"} {
		if f.Col(n) < 0 {
			t.Errorf("no column %s", n)
		}
	}
	if f.Col("session_c04_share_30d") >= 0 || f.Col("tickets_c03_90d") >= 0 {
		t.Error("a column for a rank the data lacks")
	}
	// c000 moved to the app in the last 30 days: the app's share rose, and
	// the shares of a window sum to 1.
	i := slices.Index(f.CustomerID, "c000") + f.Rows()/2
	if f.CustomerID[i] != "c000" || f.Cutoff[i] != cut {
		t.Fatalf("row %d is %s at %d", i, f.CustomerID[i], f.Cutoff[i])
	}
	if v := f.At(i, f.Col("session_c02_share_change")); !(v > 0.3) {
		t.Errorf("app share change %v, want a rise above 0.3", v)
	}
	sum := 0.0
	for _, n := range []string{"session_c01_share_30d", "session_c02_share_30d", "session_c03_share_30d", "session_other_share_30d"} {
		sum += f.At(i, f.Col(n))
	}
	if math.Abs(sum-1) > 1e-12 {
		t.Errorf("shares sum to %v, want 1", sum)
	}
	ticketsAll := f.At(i, f.Col("tickets_90d"))
	parts := f.At(i, f.Col("tickets_c01_90d")) + f.At(i, f.Col("tickets_c02_90d")) + f.At(i, f.Col("tickets_other_90d"))
	if ticketsAll != parts || f.At(i, f.Col("tickets_other_90d")) == 0 {
		t.Errorf("tickets by channel %v (other %v), want %v with some without a channel", parts, f.At(i, f.Col("tickets_other_90d")), ticketsAll)
	}

	// Renamed channels: the same matrix.
	g := mustBuild(t, DefaultConfig(), []int64{cut - 30*dayNS, cut}, cut, channelHistory(func(s string) string {
		if s == "" {
			return s
		}
		r := []byte(s)
		slices.Reverse(r)
		return "Q" + string(r)
	}))
	if err := sameX(f, g); err != nil || !slices.Equal(f.Names, g.Names) {
		t.Fatalf("renamed channels: %v", err)
	}

	// Scoring with a catalog that lists web and kiosk only: the app's
	// sessions are "other", and the columns are the catalog's.
	cat := *f.Catalog
	cat.SessionChannels = []string{"web", "kiosk"}
	s := mustBuildCatalog(t, DefaultConfig(), []int64{cut - 30*dayNS, cut}, cut, channelHistory(same), cat)
	if s.Col("session_c03_share_30d") >= 0 || !slices.Equal(s.Catalog.SessionChannels, cat.SessionChannels) {
		t.Fatalf("fixed catalog: columns %q", s.Names)
	}
	if a, o := f.At(i, f.Col("session_c02_share_30d")), s.At(i, s.Col("session_other_share_30d")); a != o-f.At(i, f.Col("session_other_share_30d")) {
		t.Errorf("app share %v not in other (%v)", a, o)
	}
}

// TestChannelsManyOrOne: 10,000 session channel names, and tickets of one
// channel or none, build: the 4 most frequent session channels get
// columns and the rest are other; the lone ticket channel gets one.
func TestChannelsManyOrOne(t *testing.T) {
	var h history
	h.customers = []data.Customer{{ID: "a", SignupAt: cut - 300*dayNS}, {ID: "b", SignupAt: cut - 100*dayNS}}
	for s := 0; s < 20000; s++ {
		ch := "s" + strconv.Itoa(s%10000)
		if s%3 == 0 {
			ch = "s" + strconv.Itoa(s%7) // a few frequent ones
		}
		h.sessions = append(h.sessions, data.Session{CustomerID: []string{"a", "b"}[s%2], StartedAt: cut - int64(1+s%90)*dayNS, DurationS: 1, Pages: 1, Channel: ch})
	}
	for s := 0; s < 10; s++ {
		h.tickets = append(h.tickets, data.Ticket{CustomerID: "a", CreatedAt: cut - int64(1+s)*dayNS, Channel: []string{"only", ""}[s%2],
			Sentiment: math.NaN(), FirstResponseS: math.NaN(), ResolvedAt: data.NoTime, CSAT: math.NaN(), Effort: math.NaN()})
	}
	f := mustBuild(t, DefaultConfig(), []int64{cut}, cut, h)
	if len(f.Catalog.SessionChannels) != MaxChannels || !slices.Equal(f.Catalog.TicketChannels, []string{"only"}) {
		t.Fatalf("channels %q and %q", f.Catalog.SessionChannels, f.Catalog.TicketChannels)
	}
	i := slices.Index(f.CustomerID, "a")
	sum := f.At(i, f.Col("session_other_share_30d"))
	for r := 1; r <= MaxChannels; r++ {
		sum += f.At(i, f.Col(fmt.Sprintf("session_c%02d_share_30d", r)))
	}
	if math.Abs(sum-1) > 1e-12 || !(f.At(i, f.Col("session_other_share_30d")) > 0.5) {
		t.Errorf("shares sum to %v, other %v: want 1, mostly other", sum, f.At(i, f.Col("session_other_share_30d")))
	}
	if a, o := f.At(i, f.Col("tickets_c01_90d")), f.At(i, f.Col("tickets_other_90d")); a != 5 || o != 5 {
		t.Errorf("tickets by channel %v, other %v: want 5 and 5", a, o)
	}
}

// TestChannelsUntil: a Builder of an earlier cutoff told to learn the
// channels from the rows before a later instant learns those of a Builder
// of that later cutoff, as the training cache needs.
func TestChannelsUntil(t *testing.T) {
	var h history
	h.customers = []data.Customer{{ID: "a", SignupAt: cut - 100*dayNS}}
	for d := int64(1); d <= 60; d++ {
		ch := "early"
		if d <= 40 {
			ch = "late" // the 40 days before cut: more than the early ones
		}
		h.sessions = append(h.sessions, data.Session{CustomerID: "a", StartedAt: cut - d*dayNS, DurationS: 1, Pages: 1, Channel: ch})
	}
	full := mustBuild(t, DefaultConfig(), []int64{cut - 45*dayNS, cut}, cut, h)
	if !slices.Equal(full.Catalog.SessionChannels, []string{"late", "early"}) {
		t.Fatalf("channels %q, want late, early", full.Catalog.SessionChannels)
	}
	b, _ := NewBuilder(DefaultConfig(), []int64{cut - 45*dayNS}, cut)
	b.AddCustomers(h.customers)
	b.Freeze()
	b.ChannelsUntil(cut)
	h.feed(t, b)
	f, err := b.Build(allTables)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.Catalog.SessionChannels, full.Catalog.SessionChannels) {
		t.Errorf("earlier cutoff with ChannelsUntil: %q, want %q", f.Catalog.SessionChannels, full.Catalog.SessionChannels)
	}
	if err := sameX(f, slice(full, 0, f.Rows())); err != nil {
		t.Error(err)
	}
	alone := mustBuild(t, DefaultConfig(), []int64{cut - 45*dayNS}, cut, h)
	if !slices.Equal(alone.Catalog.SessionChannels, []string{"early"}) {
		t.Errorf("without ChannelsUntil: %q, want the rows before its own cutoff: early", alone.Catalog.SessionChannels)
	}
}

// TestProfileCountsUntracked: past maxProfileNames distinct names, a
// profile counts the rows it leaves out, whether they come in a batch or
// in a merged profile, and tracks no more names than the bound.
func TestProfileCountsUntracked(t *testing.T) {
	b, err := NewBuilder(DefaultConfig(), []int64{cut}, cut)
	if err != nil {
		t.Fatal(err)
	}
	b.AddCustomers([]data.Customer{{ID: "c1", SignupAt: cut - 100*dayNS}})
	b.Freeze()
	const extra = 7
	var rows []data.Event
	for k := range maxProfileNames + extra {
		rows = append(rows, data.Event{CustomerID: "c1", TS: cut - dayNS, Event: "e" + strconv.Itoa(k), Quantity: 1})
	}
	rows = append(rows, data.Event{CustomerID: "c1", TS: cut - dayNS, Event: "e0", Quantity: 1})
	p := b.NewEventProfile(cut)
	p.AddEventRows(rows)
	if p.Names() != maxProfileNames || p.Untracked() != extra {
		t.Fatalf("one batch: %d names tracked, %d rows untracked; want %d and %d", p.Names(), p.Untracked(), maxProfileNames, extra)
	}

	// The first half in one profile, the rest (with the repeat of a
	// tracked name twice) in another: merged, the same counts.
	half := maxProfileNames / 2
	p1, p2 := b.NewEventProfile(cut), b.NewEventProfile(cut)
	p1.AddEventRows(rows[:half])
	p2.AddEventRows(append(rows[half:], rows[len(rows)-1]))
	if p2.Untracked() != 0 {
		t.Fatalf("a profile under the bound left out %d rows", p2.Untracked())
	}
	p1.Merge(p2)
	if p1.Names() != maxProfileNames || p1.Untracked() != extra {
		t.Fatalf("merged: %d names tracked, %d rows untracked; want %d and %d", p1.Names(), p1.Untracked(), maxProfileNames, extra)
	}

	// Under the bound nothing is left out.
	small := b.NewEventProfile(cut)
	small.AddEventRows(rows[:100])
	if small.Untracked() != 0 {
		t.Fatalf("100 names: %d rows untracked", small.Untracked())
	}
}

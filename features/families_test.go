package features

import (
	"math"
	"slices"
	"testing"
	"time"

	"churn/data"
	"churn/features/sentiment"
)

// tol is the tolerance of the hand-computed values below: they are exact
// rationals, so only float rounding separates them from the features.
const tol = 1e-9

// cut is the cutoff of the hand-made histories: 2026-10-01T00:00Z.
var cut = time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC).UnixNano()

// at is the instant days before cut (negative: after it).
func at(days float64) int64 { return cut - int64(days*float64(dayNS)) }

// mustBuild builds a Frame from the given rows with cfg.
func mustBuild(t testing.TB, cfg Config, cutoffs []int64, dataEnd int64, h history) *Frame {
	t.Helper()
	return mustBuildUntil(t, cfg, cutoffs, dataEnd, h, cutoffs[len(cutoffs)-1])
}

// mustBuildUntil is mustBuild with the catalog learned from the events
// before until.
func mustBuildUntil(t testing.TB, cfg Config, cutoffs []int64, dataEnd int64, h history, until int64) *Frame {
	t.Helper()
	b, err := NewBuilder(cfg, cutoffs, dataEnd)
	if err != nil {
		t.Fatalf("NewBuilder: %v", err)
	}
	b.AddCustomers(h.customers)
	if dups := b.Freeze(); dups != 0 {
		t.Fatalf("Freeze: %d duplicates, want 0", dups)
	}
	learnCatalog(b, h.events, until)
	h.feed(t, b)
	f, err := b.Build(allTables)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return f
}

// mustBuildCatalog is mustBuild with a fixed catalog, as scoring builds.
func mustBuildCatalog(t testing.TB, cfg Config, cutoffs []int64, dataEnd int64, h history, cat Catalog) *Frame {
	t.Helper()
	b, err := NewBuilder(cfg, cutoffs, dataEnd)
	if err != nil {
		t.Fatalf("NewBuilder: %v", err)
	}
	b.AddCustomers(h.customers)
	if dups := b.Freeze(); dups != 0 {
		t.Fatalf("Freeze: %d duplicates, want 0", dups)
	}
	b.SetCatalog(cat)
	h.feed(t, b)
	f, err := b.Build(allTables)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return f
}

// learnCatalog profiles events before until and sets the catalog, as
// training does.
func learnCatalog(b *Builder, events []data.Event, until int64) *EventProfile {
	p := b.NewEventProfile(until)
	p.AddEventRows(events)
	b.SetCatalog(b.CatalogWith(p.Catalog(b.cfg.EventVocab)))
	return p
}

// catalogBuilder returns a Builder of the default config at testCutoffs
// with h's customers, frozen, and the event catalogue learned from h's
// events before the last cutoff: what a job has before it folds a table.
func catalogBuilder(t testing.TB, end int64, h history) *Builder {
	t.Helper()
	b, err := NewBuilder(DefaultConfig(), testCutoffs, end)
	if err != nil {
		t.Fatal(err)
	}
	b.AddCustomers(h.customers)
	b.Freeze()
	learnCatalog(b, h.events, testCutoffs[len(testCutoffs)-1])
	return b
}

var allTables = map[data.Table]bool{
	data.Customers: true, data.Sessions: true, data.Events: true,
	data.Tickets: true, data.Surveys: true, data.Orders: true,
}

// history is a small dataset of every table.
type history struct {
	customers []data.Customer
	sessions  []data.Session
	events    []data.Event
	tickets   []data.Ticket
	surveys   []data.Survey
	orders    []data.Order
}

func (h history) feed(t testing.TB, b *Builder) {
	t.Helper()
	n := b.AddSessions(h.sessions) + b.AddEvents(h.events) + b.AddTickets(h.tickets) +
		b.AddSurveys(h.surveys) + b.AddOrders(h.orders)
	if n != 0 {
		t.Fatalf("%d rows of unknown customers, want 0", n)
	}
}

// row returns the features of customer id at cutoff c by name.
func row(t *testing.T, f *Frame, id string, c int64) map[string]float64 {
	t.Helper()
	for i := 0; i < f.Rows(); i++ {
		if f.CustomerID[i] == id && f.Cutoff[i] == c {
			m := make(map[string]float64, len(f.Names))
			for j, n := range f.Names {
				m[n] = f.At(i, j)
			}
			return m
		}
	}
	t.Fatalf("no row for %s at %d", id, c)
	return nil
}

func same(got, want float64) bool {
	if math.IsNaN(want) {
		return math.IsNaN(got)
	}
	return math.Abs(got-want) <= tol*math.Max(1, math.Abs(want))
}

type wantFeature struct {
	name string
	want float64
}

func check(t *testing.T, who string, got map[string]float64, want []wantFeature) {
	t.Helper()
	for _, w := range want {
		g, ok := got[w.name]
		if !ok {
			t.Errorf("%s: no feature %q", who, w.name)
			continue
		}
		if !same(g, w.want) {
			t.Errorf("%s: %s = %v, want %v", who, w.name, g, w.want)
		}
	}
}

// handHistory: customer a signed up 200 days before the cutoff and has
// rows in every table; b signed up 10 days before; z signs up after.
func handHistory() history {
	nan := math.NaN()
	return history{
		customers: []data.Customer{
			{ID: "a", SignupAt: at(200), Plan: "pro", Region: "eu", CancelledAt: data.NoTime},
			{ID: "b", SignupAt: at(10), Plan: "pro", Region: "br", CancelledAt: data.NoTime},
			{ID: "z", SignupAt: at(-5), Plan: "pro", CancelledAt: data.NoTime},
		},
		sessions: []data.Session{
			{CustomerID: "a", StartedAt: at(0.5), DurationS: 60, Pages: 3},
			{CustomerID: "a", StartedAt: at(1.5), DurationS: 120, Pages: 5},
			{CustomerID: "a", StartedAt: at(1.25), DurationS: nan, Pages: nan},
			{CustomerID: "a", StartedAt: at(10), DurationS: 300, Pages: 2},
			{CustomerID: "a", StartedAt: at(40), DurationS: 100, Pages: 1},
			{CustomerID: "a", StartedAt: at(100), DurationS: 10, Pages: 1},
			{CustomerID: "a", StartedAt: at(-1), DurationS: 999, Pages: 99},
			{CustomerID: "b", StartedAt: at(1), DurationS: 30, Pages: 1},
			{CustomerID: "b", StartedAt: at(8), DurationS: 30, Pages: 1},
		},
		events: []data.Event{
			{CustomerID: "a", TS: at(1), Event: "create", Quantity: 1},
			{CustomerID: "a", TS: at(2), Event: "login", Quantity: 1},
			{CustomerID: "a", TS: at(3), Event: "share", Quantity: 1},
			{CustomerID: "a", TS: at(20), Event: "create", Quantity: 1},
			{CustomerID: "a", TS: at(45), Event: "create", Quantity: 1},
			{CustomerID: "a", TS: at(0), Event: "create", Quantity: 1},
		},
		tickets: []data.Ticket{
			{CustomerID: "a", CreatedAt: at(2), Channel: "Email", Sentiment: -0.5, FirstResponseS: 3600, ResolvedAt: at(1), CSAT: 2, Effort: 3},
			{CustomerID: "a", CreatedAt: at(20), Channel: "chat", Sentiment: nan, FirstResponseS: 7200, ResolvedAt: data.NoTime, CSAT: 4, Effort: nan},
			{CustomerID: "a", CreatedAt: at(0.01), Channel: "phone", Sentiment: 0.4, FirstResponseS: 3600, ResolvedAt: at(-1), CSAT: 5, Effort: 5},
			{CustomerID: "a", CreatedAt: at(50), Channel: "", Sentiment: -0.2, FirstResponseS: nan, ResolvedAt: at(49), CSAT: 1, Effort: 1},
			{CustomerID: "b", CreatedAt: at(3), Channel: "social", Text: "terrible service, I am very disappointed", Sentiment: nan, FirstResponseS: nan, ResolvedAt: data.NoTime, CSAT: nan, Effort: nan},
			{CustomerID: "b", CreatedAt: at(2), Channel: "chat", Text: "terrible service, I am very disappointed", Sentiment: 0.9, FirstResponseS: nan, ResolvedAt: data.NoTime, CSAT: nan, Effort: nan},
		},
		surveys: []data.Survey{
			{CustomerID: "a", AnsweredAt: at(100), NPS: 10},
			{CustomerID: "a", AnsweredAt: at(40), NPS: 9},
			{CustomerID: "a", AnsweredAt: at(5), NPS: 3},
			{CustomerID: "a", AnsweredAt: at(-1), NPS: 0},
		},
		orders: []data.Order{
			{CustomerID: "a", TS: at(100), Amount: 50, Margin: 0.5},
			{CustomerID: "a", TS: at(10), Amount: 30, Margin: nan},
			{CustomerID: "a", TS: at(9.5), Amount: -10, Margin: nan},
			{CustomerID: "a", TS: at(0), Amount: 500, Margin: 0.9},
		},
	}
}

func handConfig() Config {
	cfg := DefaultConfig()
	cfg.CoreEvents = []string{"create", "share"}
	cfg.EngagementWeights = map[string]float64{"login": 0.5, "create": 2, "share": 3}
	return cfg
}

func TestFamilies(t *testing.T) {
	h := handHistory()
	f := mustBuild(t, handConfig(), []int64{cut}, at(-100), h)
	if f.Rows() != 2 {
		t.Fatalf("Rows = %d, want 2 (z signs up after the cutoff)", f.Rows())
	}
	nan := math.NaN()
	a := row(t, f, "a", cut)
	b := row(t, f, "b", cut)

	t.Run("visits", func(t *testing.T) {
		check(t, "a", a, []wantFeature{
			{"sessions_7d", 3}, {"sessions_per_week_7d", 3}, {"sessions_ratio_7d", 3}, {"active_days_7d", 2},
			{"sessions_30d", 4}, {"sessions_per_week_30d", 4.0 * 7 / 30}, {"sessions_ratio_30d", 4}, {"active_days_30d", 3},
			{"sessions_90d", 5}, {"sessions_ratio_90d", 5}, {"active_days_90d", 4},
			{"stickiness", 0.1}, {"stickiness_change", 0.1 - 1.0/30},
			{"days_since_session", 0.5}, {"session_never", 0},
			{"session_seconds_30d", 160}, {"session_seconds_ratio", 1.6},
			{"pages_per_session_30d", 10.0 / 3}, {"pages_per_session_ratio", 10.0 / 3},
			// weeks 0..11 hold 3,1,0,0,0,1,0...: sxy = 21.5, sxx = 143.
			{"session_weekly_slope", 21.5 / 143},
			// (4 per 30 days) over (2 per the 170 days before).
			{"sessions_vs_baseline", (4.0 / 30) / (2.0 / 170)},
			{"onboarding_sessions_14d", 0}, {"onboarding_sessions_30d", 0},
		})
		// b is 10 days old: rates are per day of tenure, and nothing
		// compares against windows before signup.
		check(t, "b", b, []wantFeature{
			{"sessions_per_week_90d", 2 / (10.0 / 7)}, {"sessions_ratio_90d", nan},
			{"sessions_per_week_7d", 1}, {"sessions_ratio_7d", nan},
			{"stickiness", 0.2}, {"stickiness_change", nan},
			{"session_weekly_slope", nan}, {"sessions_vs_baseline", nan},
			{"onboarding_sessions_14d", nan},
		})
	})

	t.Run("usage and engagement", func(t *testing.T) {
		check(t, "a", a, []wantFeature{
			{"core_actions_7d", 2}, {"core_actions_30d", 3}, {"core_actions_90d", 4},
			{"core_per_week_7d", 2}, {"core_ratio_7d", nan}, {"core_diff_7d", 2},
			{"core_ratio_30d", 3}, {"core_diff_30d", 2.0 * 7 / 30},
			{"days_since_core", 1}, {"core_never", 0},
			{"core_share_30d", 0.75}, {"event_kinds_30d", 3}, {"core_active_days_30d", 3},
			{"engagement_score_30d", 7}, {"engagement_change", 5}, {"engagement_per_week", 7.0 * 7 / 30},
		})
		check(t, "b", b, []wantFeature{
			{"core_actions_30d", 0}, {"core_never", 1}, {"days_since_core", nan}, {"core_share_30d", nan},
		})
	})

	t.Run("tickets", func(t *testing.T) {
		if got := f.Catalog.TicketChannels; !slices.Equal(got, []string{"chat", "social", "Email", "phone"}) {
			t.Errorf("ticket channels %q, want chat, social, Email, phone", got)
		}
		check(t, "a", a, []wantFeature{
			{"tickets_7d", 2}, {"tickets_30d", 3}, {"tickets_90d", 4},
			{"tickets_per_30d_90d", 4.0 / 3}, {"tickets_change_30d", 2},
			// Channels by rank: chat (2 tickets), then one each, the
			// earliest first: social, Email, phone; no channel is other.
			{"tickets_c01_90d", 1}, {"tickets_c02_90d", 0}, {"tickets_c03_90d", 1},
			{"tickets_c04_90d", 1}, {"tickets_other_90d", 1},
			// The chat ticket is unresolved; the phone ticket is resolved
			// only after the cutoff.
			{"tickets_open", 2}, {"tickets_total", 4}, {"days_since_ticket", 0.01},
			// The phone ticket's first response came after the cutoff.
			{"first_response_hours_90d", 1.5}, {"resolution_hours_90d", 24},
			// The phone ticket's CSAT is known only at its resolution.
			{"csat_mean_90d", 7.0 / 3}, {"csat_latest", 2},
			{"effort_mean_90d", 2}, {"effort_latest", 3}, {"tickets_none_90d", 0},
		})
	})

	t.Run("sentiment", func(t *testing.T) {
		check(t, "a", a, []wantFeature{
			{"sentiment_mean_90d", -0.1}, {"sentiment_latest", 0.4}, {"sentiment_min_90d", -0.5},
			{"negative_share_90d", 2.0 / 3}, {"negative_tickets_30d", 1}, {"negative_tickets_90d", 2},
		})
		s := sentiment.Score("terrible service, I am very disappointed")
		if !(s < -0.05) {
			t.Fatalf("sentiment.Score of a complaint = %v, want negative", s)
		}
		// The latest ticket's precomputed 0.9 wins over its text; the
		// earlier one has none, so its text is scored.
		check(t, "b", b, []wantFeature{
			{"sentiment_latest", 0.9}, {"sentiment_min_90d", math.Round(s*micro) / micro},
			{"negative_tickets_30d", 1},
		})
	})

	t.Run("nps", func(t *testing.T) {
		check(t, "a", a, []wantFeature{
			{"nps_latest", 3}, {"nps_promoter", 0}, {"nps_passive", 0}, {"nps_detractor", 1},
			{"nps_change", -6}, {"days_since_nps", 5}, {"nps_count", 3}, {"nps_mean", 22.0 / 3}, {"nps_none", 0},
		})
		check(t, "b", b, []wantFeature{
			{"nps_latest", nan}, {"nps_detractor", 0}, {"nps_change", nan}, {"days_since_nps", nan},
			{"nps_count", 0}, {"nps_none", 1},
		})
	})

	t.Run("value", func(t *testing.T) {
		check(t, "a", a, []wantFeature{
			{"tenure_days", 200},
			{"orders_total", 2}, {"purchase_days", 2}, {"days_since_order", 9},
			{"monetary_total", 80}, {"avg_order_value", 40}, {"repeat_day_value", 30},
			{"refunds_count", 1}, {"refunds_amount", 10}, {"refund_share", 0.125},
			{"spend_30d", 20}, {"spend_change_30d", 20}, {"orders_90d", 2},
			{"spend_per_30d", 70 / (200.0 / 30)}, {"margin_mean", 0.5},
			{"historical_clv", 35}, {"orders_none", 0},
		})
		check(t, "b", b, []wantFeature{
			{"orders_total", 0}, {"days_since_order", nan}, {"avg_order_value", nan},
			{"margin_mean", 0.3}, {"historical_clv", 0}, {"orders_none", 1},
		})
	})
}

// TestRFM checks the value-model inputs on a CDNOW-shaped example with the
// definitions of lifetimes' summary_data_from_transaction_data (freq "D",
// observation_period_end the day before the cutoff).
func TestRFM(t *testing.T) {
	day := func(y int, m time.Month, d, h int) int64 { return time.Date(y, m, d, h, 0, 0, 0, time.UTC).UnixNano() }
	c := day(1997, 10, 1, 0)
	h := history{
		customers: []data.Customer{
			{ID: "1", SignupAt: day(1997, 1, 1, 0), CancelledAt: data.NoTime},
			{ID: "2", SignupAt: day(1997, 1, 1, 0), CancelledAt: data.NoTime},
			{ID: "3", SignupAt: day(1997, 1, 1, 0), CancelledAt: data.NoTime},
		},
		orders: []data.Order{
			{CustomerID: "1", TS: day(1997, 1, 1, 9), Amount: 10, Margin: math.NaN()},
			{CustomerID: "1", TS: day(1997, 1, 1, 17), Amount: 5, Margin: math.NaN()},
			{CustomerID: "1", TS: day(1997, 1, 15, 0), Amount: 20, Margin: math.NaN()},
			{CustomerID: "1", TS: day(1997, 3, 1, 12), Amount: 12.5, Margin: math.NaN()},
			{CustomerID: "1", TS: day(1997, 3, 1, 13), Amount: 17.5, Margin: math.NaN()},
			{CustomerID: "1", TS: day(1997, 10, 1, 0), Amount: 99, Margin: math.NaN()},
			{CustomerID: "2", TS: day(1997, 9, 30, 23), Amount: 7, Margin: math.NaN()},
		},
	}
	f := mustBuild(t, DefaultConfig(), []int64{c}, c, h)
	nan := math.NaN()
	tests := []struct {
		id                 string
		x, tx, T, meanRept float64
	}{
		// Jan 1 to Mar 1 is 59 days; Jan 1 to Sep 30 is 272 days.
		{"1", 2, 59, 272, (20 + 30) / 2.0},
		// A one-time buyer's mean repeat spend is 0 (no repeat spend); the
		// feature repeat_day_value is NaN (checked below).
		{"2", 0, 0, 0, 0},
		{"3", nan, nan, nan, nan},
	}
	for _, tt := range tests {
		i := indexOf(f, tt.id, c)
		got := []float64{f.RFMx[i], f.RFMtx[i], f.RFMT[i], f.MeanRepeat[i]}
		want := []float64{tt.x, tt.tx, tt.T, tt.meanRept}
		for j, name := range []string{"x", "t_x", "T", "MeanRepeat"} {
			if !same(got[j], want[j]) {
				t.Errorf("customer %s: %s = %v, want %v", tt.id, name, got[j], want[j])
			}
		}
	}
	if v := f.At(indexOf(f, "2", c), f.Col("repeat_day_value")); !math.IsNaN(v) {
		t.Errorf("customer 2: repeat_day_value = %v, want NaN (no repeat purchase day)", v)
	}
}

func indexOf(f *Frame, id string, c int64) int {
	for i := range f.CustomerID {
		if f.CustomerID[i] == id && f.Cutoff[i] == c {
			return i
		}
	}
	return -1
}

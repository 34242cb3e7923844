package synth

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"churn/data"
)

func smallConfig() Config {
	cfg := DefaultConfig()
	cfg.Customers = 250
	cfg.ShardSize = 100
	cfg.Days = 120
	cfg.Seed = 3
	return cfg
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name string
		edit func(*Config)
		want []string // substrings of the error; none for a valid config
	}{
		{"default", func(*Config) {}, nil},
		{"zero shard size means default", func(c *Config) { c.ShardSize = 0 }, nil},
		{"no customers", func(c *Config) { c.Customers = 0 }, []string{"customers 0"}},
		{"days out of range", func(c *Config) { c.Days = maxDays + 1 }, []string{"days"}},
		{"no end", func(c *Config) { c.End = time.Time{} }, []string{"end: must be set"}},
		{"every problem at once", func(c *Config) {
			c.Customers, c.Days, c.ShardSize, c.InitialShare, c.NonContractualShare = -1, 0, -5, 2, math.NaN()
		}, []string{"customers -1", "days 0", "shard size -5", "initial share 2", "non-contractual share NaN"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := DefaultConfig()
			tt.edit(&cfg)
			err := cfg.Validate()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Validate() = %v, want nil", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate() = nil, want errors %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("Validate() = %q, want it to contain %q", err, w)
				}
			}
		})
	}
}

func TestShards(t *testing.T) {
	tests := []struct{ customers, size, want int }{
		{1, 0, 1}, {10000, 0, 1}, {10001, 0, 2}, {250, 100, 3}, {200, 100, 2}, {0, 100, 0},
	}
	for _, tt := range tests {
		cfg := Config{Customers: tt.customers, ShardSize: tt.size}
		if got := Shards(cfg); got != tt.want {
			t.Errorf("Shards(customers %d, size %d) = %d, want %d", tt.customers, tt.size, got, tt.want)
		}
	}
}

func TestCustomerID(t *testing.T) {
	for i, want := range map[int]string{0: "C0000001", 41: "C0000042", 9999999: "C10000000"} {
		if got := CustomerID(i); got != want {
			t.Errorf("CustomerID(%d) = %q, want %q", i, got, want)
		}
	}
}

// readTree returns the files under dir by relative path.
func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestGenerateDeterministic(t *testing.T) {
	ctx := context.Background()
	cfg := smallConfig()
	a, b, c := t.TempDir(), t.TempDir(), t.TempDir()
	st, err := Generate(ctx, cfg, a)
	if err != nil {
		t.Fatal(err)
	}
	if st.Customers != int64(cfg.Customers) || st.Sessions == 0 || st.Events == 0 || st.Orders == 0 {
		t.Errorf("Generate stats = %+v, want every customer and some sessions, events, orders", st)
	}
	// The shards in another order, as parallel workers would finish them.
	var sum Stats
	for _, s := range []int{2, 0, 1} {
		st, err := GenerateShard(ctx, cfg, s, b)
		if err != nil {
			t.Fatal(err)
		}
		sum.Add(st)
	}
	if sum != st {
		t.Errorf("stats of shards in another order = %+v, want %+v", sum, st)
	}
	fa, fb := readTree(t, a), readTree(t, b)
	if len(fa) != len(data.Tables)*Shards(cfg) {
		t.Errorf("Generate wrote %d files, want %d", len(fa), len(data.Tables)*Shards(cfg))
	}
	for name, want := range fa {
		if got, ok := fb[name]; !ok || !bytes.Equal(got, want) {
			t.Errorf("%s differs between runs (present %v)", name, ok)
		}
	}
	for _, tb := range data.Tables {
		if _, ok := fa[filepath.Join(string(tb), PartName(0))]; !ok {
			t.Errorf("no file for table %s", tb)
		}
	}

	other := cfg
	other.Seed++
	if _, err := GenerateShard(ctx, other, 0, c); err != nil {
		t.Fatal(err)
	}
	name := filepath.Join(string(data.Sessions), PartName(0))
	if bytes.Equal(readTree(t, c)[name], fa[name]) {
		t.Errorf("seeds %d and %d wrote the same %s", cfg.Seed, other.Seed, name)
	}
}

func TestGenerateShardErrors(t *testing.T) {
	ctx := context.Background()
	cfg := smallConfig()
	if _, err := GenerateShard(ctx, cfg, Shards(cfg), t.TempDir()); err == nil {
		t.Errorf("GenerateShard(shard %d of %d) = nil error, want one", Shards(cfg), Shards(cfg))
	}
	cfg.Customers = 0
	if _, err := GenerateShard(ctx, cfg, 0, t.TempDir()); err == nil {
		t.Error("GenerateShard with an invalid config = nil error, want one")
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	dir := t.TempDir()
	if _, err := GenerateShard(cancelled, smallConfig(), 0, dir); !errors.Is(err, context.Canceled) {
		t.Errorf("GenerateShard with a cancelled context = %v, want context.Canceled", err)
	}
	if files := readTree(t, dir); len(files) != 0 {
		t.Errorf("a failed shard left %d files behind", len(files))
	}
}

// TestRowsContract checks the rows handed to the writers: sorted by time
// within each table, required fields set, values in range, nothing at or
// after End, nothing before signup or after cancellation.
func TestRowsContract(t *testing.T) {
	cfg := smallConfig()
	cfg.Customers, cfg.ShardSize, cfg.Days = 600, 600, 200
	m := simulateAll(t, cfg)
	end := cfg.End.UnixNano()
	start := end - int64(cfg.Days)*dayNS
	cust := map[string]data.Customer{}
	for _, c := range m.customers {
		if c.ID == "" || c.SignupAt == data.NoTime || c.SignupAt >= end {
			t.Fatalf("customer %+v: want id and signup before end", c)
		}
		if _, dup := cust[c.ID]; dup {
			t.Fatalf("customer %s twice", c.ID)
		}
		cust[c.ID] = c
	}
	check := func(table data.Table, i int, id string, ts int64, prev *int64) {
		t.Helper()
		c, ok := cust[id]
		switch {
		case !ok:
			t.Fatalf("%s row %d: unknown customer %q", table, i, id)
		case ts < *prev:
			t.Fatalf("%s row %d: time %d before the previous row's %d", table, i, ts, *prev)
		case ts < start || ts >= end || ts%microNS != 0:
			t.Fatalf("%s row %d: time %d outside the window or finer than a microsecond", table, i, ts)
		case ts < c.SignupAt || (c.CancelledAt != data.NoTime && ts >= c.CancelledAt):
			t.Fatalf("%s row %d: time %d outside the life of %+v", table, i, ts, c)
		}
		*prev = ts
	}
	var prev int64
	for i, s := range m.sessions {
		check(data.Sessions, i, s.CustomerID, s.StartedAt, &prev)
	}
	prev = 0
	for i, e := range m.events {
		check(data.Events, i, e.CustomerID, e.TS, &prev)
		if e.Event == "" {
			t.Fatalf("event row %d without a name", i)
		}
	}
	prev = 0
	var resolved, unresolved, sentiment int
	for i, tk := range m.tickets {
		check(data.Tickets, i, tk.CustomerID, tk.CreatedAt, &prev)
		for _, v := range []float64{tk.CSAT, tk.Effort} {
			if !math.IsNaN(v) && (v < 1 || v > 5 || v != math.Trunc(v)) {
				t.Fatalf("ticket row %d: score %g outside 1..5", i, v)
			}
		}
		if !math.IsNaN(tk.Sentiment) {
			sentiment++
			if tk.Sentiment < -1 || tk.Sentiment > 1 {
				t.Fatalf("ticket row %d: sentiment %g outside [-1, 1]", i, tk.Sentiment)
			}
		}
		if tk.ResolvedAt == data.NoTime {
			unresolved++
		} else {
			resolved++
			if tk.ResolvedAt < tk.CreatedAt || tk.ResolvedAt >= end {
				t.Fatalf("ticket row %d: resolved at %d, created %d", i, tk.ResolvedAt, tk.CreatedAt)
			}
		}
	}
	var en, pt int
	for _, tk := range m.tickets {
		switch {
		case strings.Contains(tk.Text, " the "), strings.HasPrefix(tk.Text, "The "):
			en++
		case strings.Contains(tk.Text, "ã"), strings.Contains(tk.Text, "ç"), strings.Contains(tk.Text, " a "), strings.Contains(tk.Text, " o "):
			pt++
		}
	}
	if en == 0 || pt == 0 {
		t.Errorf("tickets in English %d, in Portuguese %d: want both", en, pt)
	}
	if len(m.tickets) == 0 || resolved == 0 || unresolved == 0 || sentiment == 0 || sentiment > len(m.tickets)/5 {
		t.Errorf("tickets %d: resolved %d, unresolved %d, with sentiment %d; want some of each, sentiment rare",
			len(m.tickets), resolved, unresolved, sentiment)
	}
	prev = 0
	for i, s := range m.surveys {
		check(data.Surveys, i, s.CustomerID, s.AnsweredAt, &prev)
		if s.NPS < 0 || s.NPS > 10 {
			t.Fatalf("survey row %d: NPS %d outside 0..10", i, s.NPS)
		}
	}
	prev = 0
	var refunds int
	for i, o := range m.orders {
		check(data.Orders, i, o.CustomerID, o.TS, &prev)
		if math.IsNaN(o.Amount) || o.Amount == 0 {
			t.Fatalf("order row %d: amount %g", i, o.Amount)
		}
		if o.Amount < 0 {
			refunds++
		}
		if !math.IsNaN(o.Margin) && (o.Margin < 0 || o.Margin > 1) {
			t.Fatalf("order row %d: margin %g outside 0..1", i, o.Margin)
		}
	}
	if refunds == 0 || len(m.surveys) == 0 {
		t.Errorf("orders %d with %d refunds, surveys %d: want some of each", len(m.orders), refunds, len(m.surveys))
	}
}

// TestShardSizeIndependence checks that a customer's history depends on
// the seed and the customer alone, not on how customers are sharded.
func TestShardSizeIndependence(t *testing.T) {
	cfg := smallConfig()
	a := simulateAll(t, cfg)
	cfg.ShardSize = 250
	b := simulateAll(t, cfg)
	count := func(m *memData) map[string]int {
		n := map[string]int{}
		for _, e := range m.events {
			n[e.CustomerID]++
		}
		return n
	}
	ca, cb := count(a), count(b)
	if len(ca) == 0 || len(ca) != len(cb) {
		t.Fatalf("customers with events: %d and %d", len(ca), len(cb))
	}
	for id, n := range ca {
		if cb[id] != n {
			t.Errorf("customer %s: %d events with shards of 100, %d with one shard", id, n, cb[id])
		}
	}
}

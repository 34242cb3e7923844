package synth

import (
	"context"
	"testing"

	"churn/data"
)

// readBack reads every file of table t in dir with the contract reader,
// failing on any skipped row, and checks that rows come sorted by ts
// within each file. It returns the rows kept.
func readBack[T data.Row](t *testing.T, ds *data.Dataset, tb data.Table, ts func(*T) int64, check func(*T) string) int64 {
	t.Helper()
	var kept int64
	for _, f := range ds.Files[tb] {
		prev := int64(data.NoTime)
		opt := data.ReadOptions{OnBad: func(e *data.RowError) error {
			t.Errorf("%s: row skipped: %v", f.Rel, e)
			return nil
		}}
		st, err := data.ReadFile(context.Background(), f, opt, func(rows []T) error {
			for i := range rows {
				r := &rows[i]
				if at := ts(r); at < prev {
					t.Fatalf("%s: row at %d after one at %d: not sorted by time", f.Rel, at, prev)
				} else {
					prev = at
				}
				if msg := check(r); msg != "" {
					t.Fatalf("%s: %s: %+v", f.Rel, msg, *r)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("read %s: %v", f.Rel, err)
		}
		if len(st.Cleaned) > 0 {
			t.Logf("%s: values cleaned by the reader: %v", f.Rel, st.Cleaned)
		}
		kept += st.Kept
	}
	return kept
}

func none[T any](*T) string { return "" }

// TestFilesFollowContract writes a small dataset and reads it back with the
// package data readers: every row passes the contract checks, row counts
// match Stats, and files are sorted by time.
func TestFilesFollowContract(t *testing.T) {
	cfg := smallConfig()
	dir := t.TempDir()
	st, err := Generate(context.Background(), cfg, dir)
	if err != nil {
		t.Fatal(err)
	}
	ds, err := data.Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, tb := range data.Tables {
		if got, want := len(ds.Files[tb]), Shards(cfg); got != want {
			t.Errorf("table %s: %d files, want %d", tb, got, want)
		}
	}
	tests := []struct {
		table      data.Table
		got, stats int64
	}{
		{data.Customers, readBack(t, ds, data.Customers, func(c *data.Customer) int64 { return c.SignupAt }, func(c *data.Customer) string {
			if c.CancelledAt != data.NoTime && c.CancelledAt <= c.SignupAt {
				return "cancelled before signup"
			}
			if c.Plan == "" {
				return "no plan"
			}
			return ""
		}), st.Customers},
		{data.Sessions, readBack(t, ds, data.Sessions, func(s *data.Session) int64 { return s.StartedAt }, none[data.Session]), st.Sessions},
		{data.Events, readBack(t, ds, data.Events, func(e *data.Event) int64 { return e.TS }, func(e *data.Event) string {
			if e.Event == "" {
				return "event without a name"
			}
			return ""
		}), st.Events},
		{data.Tickets, readBack(t, ds, data.Tickets, func(k *data.Ticket) int64 { return k.CreatedAt }, none[data.Ticket]), st.Tickets},
		{data.Surveys, readBack(t, ds, data.Surveys, func(s *data.Survey) int64 { return s.AnsweredAt }, func(s *data.Survey) string {
			if s.NPS < 0 || s.NPS > 10 {
				return "NPS outside 0..10"
			}
			return ""
		}), st.Surveys},
		{data.Orders, readBack(t, ds, data.Orders, func(o *data.Order) int64 { return o.TS }, none[data.Order]), st.Orders},
	}
	for _, tt := range tests {
		if tt.got != tt.stats || tt.got == 0 {
			t.Errorf("table %s: read %d rows, Stats says %d (want equal, non-zero)", tt.table, tt.got, tt.stats)
		}
	}
}

package data

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const t0 = int64(1_700_000_000_000_000_000) // 2023-11-14T22:13:20Z in nanoseconds

var nan = math.NaN()

// roundTrip writes rows with a TableWriter and reads them back with
// ReadFile, in batches of 3 rows. (Arrow v17 keeps the buffers of
// dictionary pages until the garbage collector frees them, so a checked
// allocator would see them as leaks here; TestTimestampUnits checks the
// reader's own releases on plain-encoded files.)
func roundTrip[T Row](t *testing.T, rows []T, opt ReadOptions) ([]T, FileStats, []*RowError) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "part-0.parquet")
	writeRowGroups(t, path, rows, 4)
	opt.BatchSize = 3
	var bad []*RowError
	opt.OnBad = func(e *RowError) error { bad = append(bad, e); return nil }
	var got []T
	st, err := ReadFile(context.Background(), File{Path: path, Rel: "t/part-0.parquet"}, opt, func(b []T) error {
		for _, r := range b {
			got = append(got, cloneRow(r))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return got, st, bad
}

// sameRows compares with NaN equal to NaN.
func sameRows[T Row](t *testing.T, got, want []T) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %d rows, want %d", len(got), len(want))
	}
	for i := range got {
		g, w := reflect.ValueOf(got[i]), reflect.ValueOf(want[i])
		for f := 0; f < g.NumField(); f++ {
			gf, wf := g.Field(f).Interface(), w.Field(f).Interface()
			if gx, ok := gf.(float64); ok && math.IsNaN(gx) && math.IsNaN(wf.(float64)) {
				continue
			}
			if gf != wf {
				t.Errorf("row %d %s = %v, want %v", i, g.Type().Field(f).Name, gf, wf)
			}
		}
	}
}

func TestRoundTrip(t *testing.T) {
	t.Run("customers", func(t *testing.T) {
		rows := []Customer{
			{ID: "c1", SignupAt: t0, Plan: "pro", Region: "eu", Channel: "ads", CancelledAt: NoTime},
			{ID: "c2", SignupAt: t0 + 1000, CancelledAt: t0 + 86_400_000_000_000},
			{ID: "ç3", SignupAt: -86_400_000_000_000, Plan: "free", CancelledAt: NoTime},
		}
		got, st, _ := roundTrip(t, rows, ReadOptions{})
		sameRows(t, got, rows)
		if st.Rows != 3 || st.Kept != 3 {
			t.Errorf("stats = %+v", st)
		}
	})
	t.Run("sessions", func(t *testing.T) {
		rows := []Session{
			{CustomerID: "c1", StartedAt: t0, DurationS: 12.5, Pages: 3, Channel: "web"},
			{CustomerID: "c1", StartedAt: t0 + 5000, DurationS: nan, Pages: nan},
			{CustomerID: "c2", StartedAt: t0 + 6000, DurationS: 0, Pages: 0, Channel: "app"},
			{CustomerID: "c2", StartedAt: t0 + 7000, DurationS: 1, Pages: 1},
			{CustomerID: "c3", StartedAt: t0 + 8000, DurationS: 2, Pages: 2},
		}
		got, _, _ := roundTrip(t, rows, ReadOptions{})
		sameRows(t, got, rows)
	})
	t.Run("events", func(t *testing.T) {
		rows := []Event{
			{CustomerID: "c1", TS: t0, Event: "export", Quantity: 2},
			{CustomerID: "c1", TS: t0, Event: "login", Quantity: 1},
		}
		got, _, _ := roundTrip(t, rows, ReadOptions{})
		sameRows(t, got, rows)
	})
	t.Run("tickets", func(t *testing.T) {
		rows := []Ticket{
			{CustomerID: "c1", TicketID: "t1", CreatedAt: t0, Channel: "email", Text: "não funciona", Sentiment: -0.5, FirstResponseS: 60, ResolvedAt: t0 + 3_600_000_000_000, CSAT: 2, Effort: 3},
			{CustomerID: "c2", CreatedAt: t0, Sentiment: nan, FirstResponseS: nan, ResolvedAt: NoTime, CSAT: nan, Effort: nan},
		}
		got, _, _ := roundTrip(t, rows, ReadOptions{})
		sameRows(t, got, rows)
	})
	t.Run("surveys", func(t *testing.T) {
		rows := []Survey{{CustomerID: "c1", AnsweredAt: t0, NPS: 0}, {CustomerID: "c2", AnsweredAt: t0, NPS: 10, Comment: "great"}}
		got, _, _ := roundTrip(t, rows, ReadOptions{})
		sameRows(t, got, rows)
	})
	t.Run("orders", func(t *testing.T) {
		rows := []Order{{CustomerID: "c1", TS: t0, Amount: -20, OrderID: "o1", Margin: 0.3}, {CustomerID: "c1", TS: t0, Amount: 0, Margin: nan}}
		got, _, _ := roundTrip(t, rows, ReadOptions{})
		sameRows(t, got, rows)
	})
}

func TestBadRows(t *testing.T) {
	long := strings.Repeat("é", MaxTextBytes) // 2 bytes a rune
	tests := []struct {
		name        string
		run         func(t *testing.T) (FileStats, []*RowError)
		skipped     map[string]int64
		cleaned     map[string]int64
		column, val string
		sentinel    error
	}{
		{
			name: "null customer id",
			run: func(t *testing.T) (FileStats, []*RowError) {
				_, st, bad := roundTrip(t, []Session{{CustomerID: "", StartedAt: t0, DurationS: 1, Pages: 1}, {CustomerID: "c", StartedAt: t0, DurationS: 1, Pages: 1}}, ReadOptions{})
				return st, bad
			},
			skipped: map[string]int64{"null_customer_id": 1}, column: "customer_id", val: "null", sentinel: ErrNull,
		},
		{
			name: "null timestamp",
			run: func(t *testing.T) (FileStats, []*RowError) {
				_, st, bad := roundTrip(t, []Event{{CustomerID: "c", TS: NoTime, Event: "x"}}, ReadOptions{})
				return st, bad
			},
			skipped: map[string]int64{"null_ts": 1}, column: "ts", val: "null", sentinel: ErrNull,
		},
		{
			name: "negative duration",
			run: func(t *testing.T) (FileStats, []*RowError) {
				_, st, bad := roundTrip(t, []Session{{CustomerID: "c", StartedAt: t0, DurationS: -5, Pages: 1}}, ReadOptions{})
				return st, bad
			},
			skipped: map[string]int64{"negative_duration": 1}, column: "duration_s", val: "-5", sentinel: ErrOutOfRange,
		},
		{
			name: "negative pages",
			run: func(t *testing.T) (FileStats, []*RowError) {
				_, st, bad := roundTrip(t, []Session{{CustomerID: "c", StartedAt: t0, DurationS: 5, Pages: -1}}, ReadOptions{})
				return st, bad
			},
			skipped: map[string]int64{"negative_pages": 1}, column: "pages", val: "-1", sentinel: ErrOutOfRange,
		},
		{
			name: "nps 11",
			run: func(t *testing.T) (FileStats, []*RowError) {
				_, st, bad := roundTrip(t, []Survey{{CustomerID: "c", AnsweredAt: t0, NPS: 11}, {CustomerID: "c", AnsweredAt: t0, NPS: 7}}, ReadOptions{})
				return st, bad
			},
			skipped: map[string]int64{"nps_out_of_range": 1}, column: "nps", val: "11", sentinel: ErrOutOfRange,
		},
		{
			name: "future",
			run: func(t *testing.T) (FileStats, []*RowError) {
				_, st, bad := roundTrip(t, []Order{{CustomerID: "c", TS: t0 + 1000, Amount: 1}, {CustomerID: "c", TS: t0, Amount: 1}}, ReadOptions{Until: t0})
				return st, bad
			},
			skipped: map[string]int64{"future_timestamp": 1}, column: "ts", val: "2023-11-14T22:13:20.000001Z", sentinel: ErrFuture,
		},
		{
			name: "ticket ranges, utf8 and long text",
			run: func(t *testing.T) (FileStats, []*RowError) {
				got, st, bad := roundTrip(t, []Ticket{{CustomerID: "c", CreatedAt: t0, Text: "bad \xff byte", Sentiment: 2, FirstResponseS: nan, ResolvedAt: NoTime, CSAT: 9, Effort: 0}, {CustomerID: "c", CreatedAt: t0, Text: long, Sentiment: nan, FirstResponseS: nan, ResolvedAt: NoTime, CSAT: 5, Effort: 1}}, ReadOptions{})
				if len(got) != 2 {
					t.Fatalf("kept %d rows, want 2", len(got))
				}
				if !math.IsNaN(got[0].CSAT) || !math.IsNaN(got[0].Effort) || !math.IsNaN(got[0].Sentiment) {
					t.Errorf("out of range values kept: %+v", got[0])
				}
				if got[0].Text != "bad \uFFFD byte" {
					t.Errorf("text = %q", got[0].Text)
				}
				if len(got[1].Text) != MaxTextBytes {
					t.Errorf("long text has %d bytes, want %d", len(got[1].Text), MaxTextBytes)
				}
				return st, bad
			},
			cleaned: map[string]int64{"csat_out_of_range": 1, "effort_out_of_range": 1, "sentiment_out_of_range": 1, "invalid_utf8": 1, "text_truncated": 1},
		},
		{
			name: "null quantity is 1",
			run: func(t *testing.T) (FileStats, []*RowError) {
				got, st, bad := roundTrip(t, []Event{{CustomerID: "c", TS: t0, Event: "x", Quantity: nan}}, ReadOptions{})
				if len(got) != 1 || got[0].Quantity != 1 {
					t.Errorf("got %+v, want quantity 1", got)
				}
				return st, bad
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, bad := tt.run(t)
			if !reflect.DeepEqual(st.Skipped, tt.skipped) && (len(st.Skipped) > 0 || len(tt.skipped) > 0) {
				t.Errorf("skipped = %v, want %v", st.Skipped, tt.skipped)
			}
			if !reflect.DeepEqual(st.Cleaned, tt.cleaned) && (len(st.Cleaned) > 0 || len(tt.cleaned) > 0) {
				t.Errorf("cleaned = %v, want %v", st.Cleaned, tt.cleaned)
			}
			if tt.sentinel == nil {
				if len(bad) != 0 {
					t.Errorf("unexpected bad rows: %v", bad)
				}
				return
			}
			if len(bad) != 1 {
				t.Fatalf("got %d bad rows, want 1", len(bad))
			}
			e := bad[0]
			if e.Column != tt.column || e.Value != tt.val || !errors.Is(e, tt.sentinel) {
				t.Errorf("got %v (column %q value %q), want column %q value %q wrapping %v", e, e.Column, e.Value, tt.column, tt.val, tt.sentinel)
			}
			if !strings.HasPrefix(e.Error(), "t/part-0.parquet: row group 0, row ") {
				t.Errorf("message %q does not name file and row", e.Error())
			}
		})
	}
}

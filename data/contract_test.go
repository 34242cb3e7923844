package data

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestTableList holds the list of tables to what every reader and writer
// of the package assumes of an entry.
func TestTableList(t *testing.T) {
	if len(Tables) != NumTables || len(Contract) != NumTables {
		t.Fatalf("%d tables, %d contract entries, NumTables %d", len(Tables), len(Contract), NumTables)
	}
	for i, table := range Tables {
		if got := table.Index(); got != i {
			t.Errorf("%s.Index() = %d, want %d", table, got, i)
		}
		spec := table.spec()
		if c := spec.columns[0]; c != (Column{"customer_id", String, true}) {
			t.Errorf("%s: first column %+v, want the required string customer_id", table, c)
		}
		r := tableRules[i]
		if c := spec.columns[r.ts]; c.Name != spec.time || c.Kind != Timestamp || !c.Required {
			t.Errorf("%s: main timestamp %+v, want the required timestamp %s", table, c, spec.time)
		}
		for _, x := range r.reject {
			if k := spec.columns[x.col].Kind; k == String || k == Timestamp {
				t.Errorf("%s: reject rule %s on %s column %s", table, x.reason, k, spec.columns[x.col].Name)
			}
		}
		if spec.rows == nil {
			t.Errorf("%s: no row codec", table)
		}
	}
	if Table("nope").Index() != -1 || Table("nope").spec() != nil {
		t.Error(`Table("nope") has an index`)
	}
	check := func(table Table, got *tableSpec, err error) {
		t.Helper()
		if err != nil || got.name != table {
			t.Errorf("row type of %s: got %v, %v", table, got, err)
		}
	}
	s, _, err := specOf[Customer]()
	check(Customers, s, err)
	s, _, err = specOf[Session]()
	check(Sessions, s, err)
	s, _, err = specOf[Event]()
	check(Events, s, err)
	s, _, err = specOf[Ticket]()
	check(Tickets, s, err)
	s, _, err = specOf[Survey]()
	check(Surveys, s, err)
	s, _, err = specOf[Order]()
	check(Orders, s, err)
}

// TestReadKeyedBatches: a file of any table comes in the batches its fold
// takes, with the rows and keys ReadKeyed gives.
func TestReadKeyedBatches(t *testing.T) {
	dir := t.TempDir()
	key := func(id string) int32 { return int32(len(id)) }
	sessions := []Session{{CustomerID: "a", StartedAt: 1e9, DurationS: 3, Pages: 2, Channel: "web"}, {CustomerID: "bb", StartedAt: 2e9, DurationS: math.NaN(), Pages: math.NaN()}}
	tickets := []Ticket{{CustomerID: "ccc", CreatedAt: 3e9, Text: "slow", Sentiment: math.NaN(), FirstResponseS: math.NaN(), ResolvedAt: NoTime, CSAT: 9, Effort: math.NaN()}}
	sf := File{Path: filepath.Join(dir, "s.parquet"), Rel: "sessions/s.parquet", Table: Sessions}
	tf := File{Path: filepath.Join(dir, "t.parquet"), Rel: "tickets/t.parquet", Table: Tickets}
	writeRows(t, sf.Path, sessions)
	writeRows(t, tf.Path, tickets)

	var gotS []Session
	var keys []int32
	st, err := ReadKeyedBatches(context.Background(), sf, ReadOptions{}, key, func(batch any, k []int32) error {
		c, ok := batch.(*SessionColumns)
		if !ok {
			return fmt.Errorf("sessions batch %T, want *SessionColumns", batch)
		}
		for i := range c.CustomerID {
			gotS = append(gotS, Session{strings.Clone(c.CustomerID[i]), c.StartedAt[i], c.DurationS[i], c.Pages[i], strings.Clone(c.Channel[i])})
		}
		keys = append(keys, k...)
		return nil
	})
	if err != nil || st.Kept != 2 {
		t.Fatalf("sessions: kept %d, %v", st.Kept, err)
	}
	if gotS[0] != sessions[0] || gotS[1].CustomerID != "bb" || !math.IsNaN(gotS[1].DurationS) || !slices.Equal(keys, []int32{1, 2}) {
		t.Errorf("sessions: got %+v, keys %v", gotS, keys)
	}

	var gotT []Ticket
	st, err = ReadKeyedBatches(context.Background(), tf, ReadOptions{}, key, func(batch any, k []int32) error {
		rows, ok := batch.([]Ticket)
		if !ok {
			return fmt.Errorf("tickets batch %T, want []Ticket", batch)
		}
		gotT = append(gotT, rows...)
		keys = append(keys, k...)
		return nil
	})
	if err != nil || len(gotT) != 1 || gotT[0].CustomerID != "ccc" || !math.IsNaN(gotT[0].CSAT) || st.Cleaned["csat_out_of_range"] != 1 || keys[2] != 3 {
		t.Errorf("tickets: got %+v, keys %v, stats %+v, %v", gotT, keys, st, err)
	}

	if _, err := ReadKeyedBatches(context.Background(), File{Path: sf.Path, Rel: "x", Table: "nope"}, ReadOptions{}, key, nil); !errors.Is(err, ErrWrongType) {
		t.Errorf("table nope: %v, want ErrWrongType", err)
	}
}

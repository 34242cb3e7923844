package data

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
)

// rangedSessions writes a sessions file of groups row groups of per rows
// each, with a null customer id (skipped) in row 3 of row group bad, an
// invalid UTF-8 channel (fixed) in row group 1 and a row after
// time20260101 (skipped as future) in the last row group.
func rangedSessions(t *testing.T, groups, per, bad int) File {
	t.Helper()
	rows := make([]Session, groups*per)
	for i := range rows {
		rows[i] = Session{CustomerID: fmt.Sprintf("c%03d", i%37), StartedAt: time20260101 - int64(len(rows)-i)*1e9,
			DurationS: float64(i % 11), Pages: math.NaN(), Channel: []string{"web", "ios", "android"}[i%3]}
	}
	rows[bad*per+3].CustomerID = ""
	rows[per+5].Channel = "we\xffb"
	rows[len(rows)-2].StartedAt = time20260101 + 1e9
	path := filepath.Join(t.TempDir(), "sessions", "part-00000.parquet")
	writeRowGroups(t, path, rows, per)
	return File{Table: Sessions, Path: path, Rel: "sessions/part-00000.parquet"}
}

// TestReadRowGroupRanges: reads of row-group ranges that cover a file
// hand on, skip, fix and report exactly what the read of the whole file
// does, bad rows with the file's row group and row index, on the page
// path and Arrow's; RowGroupsOf and OnRowGroups give the footer's row
// groups; a range beyond the file's row groups is an error.
func TestReadRowGroupRanges(t *testing.T) {
	const groups, per, bad = 10, 40, 5
	f := rangedSessions(t, groups, per, bad)
	ctx := context.Background()
	type read struct {
		rows []Session
		st   FileStats
		bad  []string
	}
	readRange := func(g RowGroupRange, arrowOnly bool) read {
		var out read
		opt := ReadOptions{BatchSize: 16, arrowOnly: arrowOnly, Until: time20260101, RowGroups: g,
			OnBad: func(e *RowError) error { out.bad = append(out.bad, e.Error()); return nil }}
		st, err := ReadFile(ctx, f, opt, func(b []Session) error {
			for _, r := range b {
				out.rows = append(out.rows, cloneRow(r))
			}
			return nil
		})
		if err != nil {
			t.Fatalf("read %v: %v", g, err)
		}
		out.st = st
		return out
	}
	for _, arrowOnly := range []bool{false, true} {
		whole := readRange(RowGroupRange{}, arrowOnly)
		if len(whole.bad) != 2 || !strings.Contains(whole.bad[0], fmt.Sprintf("sessions/part-00000.parquet: row group %d, row %d,", bad, bad*per+3)) {
			t.Fatalf("arrowOnly %v: bad rows of the whole file %q", arrowOnly, whole.bad)
		}
		if whole.st.Cleaned["invalid_utf8"] != 1 {
			t.Fatalf("arrowOnly %v: cleaned %v", arrowOnly, whole.st.Cleaned)
		}
		for _, cuts := range [][]int{{0, 1, groups}, {0, 3, 6, groups}, {0, 4, 5, 6, 9, groups}} {
			var got read
			got.st.Skipped, got.st.Cleaned = map[string]int64{}, map[string]int64{}
			for i := range len(cuts) - 1 {
				r := readRange(RowGroupRange{From: cuts[i], To: cuts[i+1]}, arrowOnly)
				got.rows = append(got.rows, r.rows...)
				got.bad = append(got.bad, r.bad...)
				got.st.Rows += r.st.Rows
				got.st.Kept += r.st.Kept
				for k, n := range r.st.Skipped {
					got.st.Skipped[k] += n
				}
				for k, n := range r.st.Cleaned {
					got.st.Cleaned[k] += n
				}
			}
			sameRows(t, got.rows, whole.rows)
			if !reflect.DeepEqual(got.bad, whole.bad) {
				t.Fatalf("arrowOnly %v, cuts %v: bad rows\n%q\nwant\n%q", arrowOnly, cuts, got.bad, whole.bad)
			}
			if got.st.Rows != whole.st.Rows || got.st.Kept != whole.st.Kept ||
				!reflect.DeepEqual(got.st.Skipped, whole.st.Skipped) || !reflect.DeepEqual(got.st.Cleaned, whole.st.Cleaned) {
				t.Fatalf("arrowOnly %v, cuts %v: stats %+v, want %+v", arrowOnly, cuts, got.st, whole.st)
			}
		}
	}

	groupsOf, err := RowGroupsOf(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if len(groupsOf) != groups {
		t.Fatalf("RowGroupsOf: %d row groups, want %d", len(groupsOf), groups)
	}
	for i, g := range groupsOf {
		if g.Rows != per || g.Bytes <= 0 {
			t.Fatalf("RowGroupsOf: row group %d: %+v, want %d rows and some bytes", i, g, per)
		}
	}
	var mu sync.Mutex
	var seen []RowGroupInfo
	opt := ReadOptions{RowGroups: RowGroupRange{From: 2, To: 3}, OnRowGroups: func(got File, g []RowGroupInfo) {
		mu.Lock()
		defer mu.Unlock()
		if got.Rel != f.Rel {
			t.Errorf("OnRowGroups of %s, want %s", got.Rel, f.Rel)
		}
		seen = g
	}}
	if _, err := ReadFile(ctx, f, opt, func([]Session) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(seen, groupsOf) {
		t.Fatalf("OnRowGroups gave %+v, RowGroupsOf %+v", seen, groupsOf)
	}

	for _, g := range []RowGroupRange{{From: 9, To: 11}, {From: 3, To: 3}, {From: -1, To: 2}} {
		rows := 0
		_, err := ReadFile(ctx, f, ReadOptions{RowGroups: g}, func(b []Session) error { rows += len(b); return nil })
		var fe *FileError
		if err == nil || rows != 0 || errors.As(err, &fe) || !strings.Contains(err.Error(), f.Rel) {
			t.Fatalf("range %v: %d rows, error %v; want an error naming the file, no row, no FileError", g, rows, err)
		}
	}
}

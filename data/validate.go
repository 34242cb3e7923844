package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
)

// MaxPerReason is the number of problems a Report keeps for each table and
// reason; Counts has them all.
const MaxPerReason = 20

// Problem is one contract breach found by Validate.
type Problem struct {
	Table    Table
	File     string // relative to the dataset root
	Column   string // "" for a whole-file problem
	RowGroup int
	Row      int64 // row index within the file; -1 when not a row problem
	Value    string
	Reason   string // snake_case key, as in RowError.Reason
	Msg      string
}

// Report is the outcome of Validate.
type Report struct {
	// Problems holds at most MaxPerReason problems per (table, reason), in
	// table order, then file, then row.
	Problems []Problem
	// Counts counts every problem and every cleaned value, by
	// "table/reason".
	Counts map[string]int64
	Rows   map[Table]int64 // rows read, by table
	Files  int             // files read

	fatal bool
}

// OK reports whether the dataset has no problem at all. Cleaned values
// (out-of-range csat, invalid UTF-8, ...) are counted but are not problems.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// Fatal reports whether the dataset is unusable: a file that cannot be read
// or breaks the schema, or duplicate customer ids.
func (r *Report) Fatal() bool { return r.fatal }

func (r *Report) add(p Problem) {
	key := string(p.Table) + "/" + p.Reason
	r.Counts[key]++
	if r.Counts[key] <= MaxPerReason {
		r.Problems = append(r.Problems, p)
	}
}

// Validate reads every file of every table of d with opt, applying every
// row check of ReadFile, and also finds customer ids that appear more than
// once across the customers files. It collects problems instead of stopping
// at the first; its error is only for a cancelled ctx or an error returned
// by opt.OnBad, which it calls after recording each bad row.
func Validate(ctx context.Context, d *Dataset, opt ReadOptions) (*Report, error) {
	rep := &Report{Counts: map[string]int64{}, Rows: map[Table]int64{}}
	onBad := opt.OnBad
	for _, t := range Tables {
		var firstSeen map[string]string // customer id -> file of first sight
		if t == Customers {
			firstSeen = map[string]string{}
		}
		for _, f := range d.Files[t] {
			o := opt
			o.OnBad = func(e *RowError) error {
				rep.add(Problem{Table: t, File: e.File, Column: e.Column, RowGroup: e.RowGroup, Row: e.Row, Value: e.Value, Reason: e.Reason(), Msg: e.Error()})
				if onBad != nil {
					return onBad(e)
				}
				return nil
			}
			st, err := readAny(ctx, t, f, o, firstSeen, rep)
			rep.Files++
			rep.Rows[t] += st.Rows
			for _, reason := range sortedKeys(st.Cleaned) {
				rep.Counts[string(t)+"/"+reason] += st.Cleaned[reason]
			}
			var fe *FileError
			switch {
			case errors.As(err, &fe):
				rep.fatal = true
				rep.add(Problem{Table: t, File: f.Rel, Column: fe.Column, Row: -1, Reason: fe.Reason(), Msg: fe.Error()})
			case err != nil:
				return rep, err
			}
		}
	}
	return rep, nil
}

// readAny reads one file of table t, only for its checks; for customers
// it records duplicate ids in rep (the row of a duplicate is not known, as
// batches do not carry row indices, so the problem has Row -1).
func readAny(ctx context.Context, t Table, f File, opt ReadOptions, firstSeen map[string]string, rep *Report) (FileStats, error) {
	if t == Customers {
		// Kept rows arrive in file order, and the reader reports the rows
		// it skips (through OnBad) before the batch they would have been
		// in: a cursor that steps over the skipped rows gives each kept
		// row its row in the file.
		skipped := map[int64]bool{}
		inner := opt.OnBad
		opt.OnBad = func(e *RowError) error {
			skipped[e.Row] = true
			if inner != nil {
				return inner(e)
			}
			return nil
		}
		var next int64
		col := opt.Mapping.column(t, "customer_id")
		return ReadFile(ctx, f, opt, func(b []Customer) error {
			for _, c := range b {
				for skipped[next] {
					delete(skipped, next)
					next++
				}
				row := next
				next++
				if first, dup := firstSeen[c.ID]; dup {
					rep.fatal = true
					rep.add(Problem{Table: t, File: f.Rel, Column: col, Row: row, Value: c.ID, Reason: "duplicate_customer_id",
						Msg: fmt.Sprintf("%s: row %d, column %s: value %s: also in %s: %v", f.Rel, row, col, c.ID, first, ErrDuplicate)})
					continue
				}
				firstSeen[strings.Clone(c.ID)] = fmt.Sprintf("%s row %d", f.Rel, row)
			}
			return nil
		})
	}
	if t.spec() == nil {
		return FileStats{}, fmt.Errorf("table %q: %w", t, ErrNoDataset)
	}
	return readFile(ctx, f, opt, nil, deliver{table: t, fn: func(*reader, int) error { return nil }})
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// WriteText writes one line per kept problem, naming table, file, column,
// row and value, then the counts by table and reason, sorted.
func (r *Report) WriteText(w io.Writer) error {
	var b strings.Builder
	for _, p := range r.Problems {
		fmt.Fprintf(&b, "%s: %s\n", p.Table, p.Msg)
	}
	for _, k := range sortedKeys(r.Counts) {
		fmt.Fprintf(&b, "count %s: %d\n", k, r.Counts[k])
	}
	for _, t := range Tables {
		if n, ok := r.Rows[t]; ok {
			fmt.Fprintf(&b, "rows %s: %d\n", t, n)
		}
	}
	fmt.Fprintf(&b, "files: %d\n", r.Files)
	_, err := io.WriteString(w, b.String())
	return err
}

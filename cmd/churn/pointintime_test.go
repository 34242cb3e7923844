package main

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"churn/data"
)

// TestFeaturesIgnoreTheFuture: `churn features` on a dataset gives the
// byte-identical file when every row at or after the cutoff is taken out
// (customers who signed up since, cancellations since, and every later
// visit, event, ticket, answer and order). Put the other way round: adding
// any rows after the cutoff moves no feature.
func TestFeaturesIgnoreTheFuture(t *testing.T) {
	full := generated(t)
	cutoff := time.Date(2026, 8, 1, 0, 0, 0, 0, time.UTC)
	past := filepath.Join(t.TempDir(), "past")
	removed := truncateDataset(t, full, past, cutoff.UnixNano())
	if removed == 0 {
		t.Fatal("the generated dataset has no row after the cutoff: the test would prove nothing")
	}
	asOf := data.FormatDate(cutoff)
	t.Logf("%d rows at or after %s taken out", removed, asOf)

	dir := t.TempDir()
	features := func(data, name string) []byte {
		out := filepath.Join(dir, name)
		r := churn(t, dir, "features", "--data", data, "--as-of", asOf, "--out", out)
		if r.code != 0 {
			t.Fatalf("churn features --data %s: %s", data, r)
		}
		b, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	if a, b := features(full, "full.parquet"), features(past, "past.parquet"); !bytes.Equal(a, b) {
		t.Errorf("features differ when the rows after the cutoff are taken out (%d and %d bytes)", len(a), len(b))
		diffColumns(t, filepath.Join(dir, "full.parquet"), filepath.Join(dir, "past.parquet"))
	}
}

// diffColumns names the columns, and the first row of each, that differ.
func diffColumns(t *testing.T, a, b string) {
	ca, err := data.ReadColumns(a)
	if err != nil {
		t.Fatal(err)
	}
	cb, err := data.ReadColumns(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(ca) != len(cb) || ca[0].Len() != cb[0].Len() {
		t.Errorf("shapes differ: %d x %d and %d x %d", len(ca), ca[0].Len(), len(cb), cb[0].Len())
		return
	}
	for j := range ca {
		for i := 0; i < ca[j].Len(); i++ {
			if va, vb := cellString(ca[j], i), cellString(cb[j], i); va != vb {
				t.Errorf("column %s differs first at customer %s: %s with the future, %s without", ca[j].Name, ca[0].Strings[i], va, vb)
				break
			}
		}
	}
}

func cellString(c data.OutColumn, i int) string {
	switch c.Kind {
	case data.String:
		return c.Strings[i]
	case data.Float:
		return strconv.FormatFloat(c.Floats[i], 'g', -1, 64)
	case data.Int:
		return strconv.FormatInt(c.Ints[i], 10)
	}
	return strconv.FormatInt(c.Times[i], 10)
}

// truncateDataset copies the dataset at src to dst keeping only what was
// known strictly before cutoff, and returns how many rows it left out.
func truncateDataset(t *testing.T, src, dst string, cutoff int64) int {
	t.Helper()
	ds, err := data.Discover(src)
	if err != nil {
		t.Fatal(err)
	}
	removed := 0
	for _, table := range data.Tables {
		for _, f := range ds.Files[table] {
			path := filepath.Join(dst, f.Rel)
			switch table {
			case data.Customers:
				removed += copyRows(t, f, path, func(c *data.Customer) bool {
					if c.CancelledAt >= cutoff {
						c.CancelledAt = data.NoTime // not yet known at the cutoff
					}
					return c.SignupAt < cutoff
				})
			case data.Sessions:
				removed += copyRows(t, f, path, func(s *data.Session) bool { return s.StartedAt < cutoff })
			case data.Events:
				removed += copyRows(t, f, path, func(e *data.Event) bool { return e.TS < cutoff })
			case data.Tickets:
				removed += copyRows(t, f, path, func(k *data.Ticket) bool {
					if k.ResolvedAt >= cutoff {
						// Still open at the cutoff; the satisfaction and
						// effort answers come with the resolution.
						k.ResolvedAt, k.CSAT, k.Effort = data.NoTime, math.NaN(), math.NaN()
					}
					if k.CreatedAt+int64(k.FirstResponseS*1e9) >= cutoff {
						k.FirstResponseS = math.NaN() // not answered yet
					}
					return k.CreatedAt < cutoff
				})
			case data.Surveys:
				removed += copyRows(t, f, path, func(s *data.Survey) bool { return s.AnsweredAt < cutoff })
			case data.Orders:
				removed += copyRows(t, f, path, func(o *data.Order) bool { return o.TS < cutoff })
			}
		}
	}
	return removed
}

// copyRows copies the rows of f that keep accepts (and may amend) to path.
func copyRows[T data.Row](t *testing.T, f data.File, path string, keep func(*T) bool) (removed int) {
	t.Helper()
	w, err := data.NewTableWriter[T](path, data.WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var kept []T
	_, err = data.ReadFile(context.Background(), f, data.ReadOptions{}, func(rows []T) error {
		kept = kept[:0] // the batch's strings alias the reader: write before the next batch
		for _, r := range rows {
			if keep(&r) {
				kept = append(kept, r)
			} else {
				removed++
			}
		}
		return w.Write(kept)
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return removed
}

package main

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	"churn/data"
	"churn/features"
	"churn/jobs"
)

// TestSpilledPartials: the partials of forks that folded disjoint
// sessions, sent inline or spilled to files (every one, with spillBytes
// 0; none of these small ones with the default), merge per range into
// the same rows, bit for bit; an element that is neither form, or names a missing file,
// is an error naming the range, not a panic.
func TestSpilledPartials(t *testing.T) {
	end := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	cuts := []int64{end - 60*24*int64(time.Hour), end - 30*24*int64(time.Hour)}
	base, err := features.NewBuilder(features.DefaultConfig(), cuts, end)
	if err != nil {
		t.Fatal(err)
	}
	const n = 300
	var cust []data.Customer
	for i := range n {
		cust = append(cust, data.Customer{ID: fmt.Sprintf("c%04d", i), SignupAt: end - 400*24*int64(time.Hour), Plan: "basic", Region: "eu", Channel: "ads", CancelledAt: data.NoTime})
	}
	base.AddCustomers(cust)
	base.Freeze()
	// Fold k holds the customers of its third of the index: the ranges
	// cut the customers in four, so every fold leaves some range untouched.
	var folds []*features.Builder
	for k := range 3 {
		f := base.Fork()
		var rows []data.Session
		for i := k * n / 3; i < (k+1)*n/3; i++ {
			for d := range 1 + i%5 {
				rows = append(rows, data.Session{CustomerID: fmt.Sprintf("c%04d", i), StartedAt: end - int64(d*7+i%3+1)*24*int64(time.Hour), DurationS: float64(60 + i), Pages: float64(1 + d), Channel: "web"})
			}
		}
		f.AddSessions(rows)
		folds = append(folds, f)
	}
	plan := &jobs.FeaturesPlan{Customers: n}
	const ranges = 4
	present := map[data.Table]bool{data.Sessions: true, data.Customers: true}
	ctx := context.Background()
	build := func(spill string) (frames []*features.Frame, inline, spilled int) {
		t.Helper()
		elems := make([][][]byte, ranges)
		var raw []byte
		for k, f := range folds {
			for r := range ranges {
				lo, hi := plan.Range(r, ranges)
				var b []byte
				if b, raw, err = encodeRange(ctx, f, k, r, lo, hi, spill, raw); err != nil {
					t.Fatal(err)
				}
				switch b[0] {
				case partialInline:
					inline++
				case partialSpilled:
					spilled++
				}
				elems[r] = append(elems[r], b)
			}
		}
		for r := range ranges {
			acc, lo, hi, err := mergeRange(ctx, plan, base, r, ranges, iter(elems[r]))
			if err != nil {
				t.Fatal(err)
			}
			for k := range cuts {
				fr, err := acc.BuildRange(present, k, lo, hi)
				if err != nil {
					t.Fatal(err)
				}
				frames = append(frames, fr)
			}
			acc.Release()
		}
		return frames, inline, spilled
	}
	want, inline, spilled := build("")
	if spilled != 0 || inline != 3*ranges {
		t.Fatalf("no spill folder: %d inline, %d spilled; want %d inline", inline, spilled, 3*ranges)
	}
	dir := t.TempDir()
	if _, inline, spilled = build(dir); spilled != 0 {
		t.Fatalf("partials of a few KB with a spill folder: %d inline, %d spilled; want none spilled", inline, spilled)
	}
	defer func(v int) { spillBytes = v }(spillBytes)
	spillBytes = 0
	got, inline, spilled := build(dir)
	if spilled != 3*ranges || inline != 0 {
		t.Fatalf("spilling every partial: %d inline, %d spilled; want %d spilled", inline, spilled, 3*ranges)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.zst"))
	if len(files) != spilled {
		t.Fatalf("%d spilled files for %d spilled partials", len(files), spilled)
	}
	for i := range want {
		w, g := want[i], got[i]
		if g.Rows() != w.Rows() || len(g.X) != len(w.X) {
			t.Fatalf("frame %d: %d rows, want %d", i, g.Rows(), w.Rows())
		}
		for j := range w.X {
			if math.Float64bits(g.X[j]) != math.Float64bits(w.X[j]) {
				t.Fatalf("frame %d, value %d: %v spilled, %v inline", i, j, g.X[j], w.X[j])
			}
		}
	}

	if err := os.Remove(files[0]); err != nil {
		t.Fatal(err)
	}
	for _, bad := range [][]byte{{partialSpilled}, append([]byte{partialSpilled}, files[0]...), []byte("x"), nil} {
		if _, _, _, err := mergeRange(ctx, plan, base, 0, ranges, iter([][]byte{bad})); err == nil {
			t.Fatalf("element %q merged without an error", bad)
		}
	}
}

// iter is the GroupByKey's iterable of elems.
func iter(elems [][]byte) func(*[]byte) bool {
	return func(b *[]byte) bool {
		if len(elems) == 0 {
			return false
		}
		*b, elems = elems[0], elems[1:]
		return true
	}
}

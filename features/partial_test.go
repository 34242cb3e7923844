package features

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
	"testing"
)

// TestPartials: every table folded in two halves (alternate rows) by forks of its own,
// encoded in customer ranges and merged range by range in reverse order,
// in three ways (decoded into fresh forks and merged, decoded straight
// into one fork with MergePartial, or taken from the live forks with
// MergeRange, alternating with MergePartial), builds per range the rows of
// one Builder fed everything; so do RangeForks, which hold one range
// alone, merged in the same ways, then re-encoded and merged again (as a
// combine's accumulator crosses processes);
// bytes that are not a partial of this builder are refused, and so are
// customers outside a RangeFork's range.
func TestPartials(t *testing.T) {
	end := testCutoffs[len(testCutoffs)-1] + 120*dayNS
	h := randomHistory(5, 120, end, 600)
	want := mustBuild(t, DefaultConfig(), testCutoffs, end, h)
	b := catalogBuilder(t, end, h)
	var forks []*Builder
	for half := range 2 {
		fs := []*Builder{b.Fork(), b.Fork(), b.Fork(), b.Fork(), b.Fork()}
		fs[0].AddSessions(alternate(h.sessions, half))
		fs[1].AddEvents(alternate(h.events, half))
		fs[2].AddTickets(alternate(h.tickets, half))
		fs[3].AddSurveys(alternate(h.surveys, half))
		fs[4].AddOrders(alternate(h.orders, half))
		forks = append(forks, fs...)
	}
	n := b.Customers()
	cuts := []int{0, n / 3, n / 3, 2 * n / 3, n}
	for _, mode := range []string{"decode and merge", "merge partial", "merge range", "range fork", "range fork re-encoded"} {
		ranged := mode == "range fork" || mode == "range fork re-encoded"
		var rows int
		for k := range testCutoffs {
			for r := 0; r+1 < len(cuts); r++ {
				lo, hi := cuts[r], cuts[r+1]
				var merged *Builder
				switch {
				case ranged:
					merged = mustRangeFork(t, b, lo, hi)
				case mode != "decode and merge":
					merged = b.Fork()
				}
				for j := len(forks) - 1; j >= 0; j-- {
					if (mode == "merge range" || ranged) && j%2 == 0 {
						if err := merged.MergeRange(forks[j], lo, hi); err != nil {
							t.Fatal(err)
						}
						continue
					}
					p, err := forks[j].EncodePartial(nil, lo, hi)
					if err != nil {
						t.Fatal(err)
					}
					if mode != "decode and merge" {
						if err := merged.MergePartial(p); err != nil {
							t.Fatalf("%s: fork %d, customers %d to %d: %v", mode, j, lo, hi, err)
						}
						continue
					}
					d, err := b.DecodePartial(p)
					if err != nil {
						t.Fatalf("decode fork %d, customers %d to %d: %v", j, lo, hi, err)
					}
					if merged == nil {
						merged = d
					} else if err := merged.Merge(d); err != nil {
						t.Fatal(err)
					}
				}
				if mode == "range fork re-encoded" {
					p, err := merged.EncodePartial(nil, lo, hi)
					if err != nil {
						t.Fatal(err)
					}
					merged = mustRangeFork(t, b, lo, hi)
					if err := merged.MergePartial(p); err != nil {
						t.Fatalf("%s: customers %d to %d: %v", mode, lo, hi, err)
					}
				}
				got, err := merged.BuildRange(allTables, k, lo, hi)
				if err != nil {
					t.Fatal(err)
				}
				nF := len(want.Names)
				for i := range got.Rows() {
					w := rows + i
					if got.CustomerID[i] != want.CustomerID[w] || got.Status[i] != want.Status[w] ||
						math.Float64bits(got.Label[i]) != math.Float64bits(want.Label[w]) {
						t.Fatalf("%s: cutoff %d, row %d: %s %s %v, want %s %s %v", mode, k, w, got.CustomerID[i], got.Status[i], got.Label[i],
							want.CustomerID[w], want.Status[w], want.Label[w])
					}
					for j := range nF {
						g, x := got.X[i*nF+j], want.X[w*nF+j]
						if math.Float64bits(g) != math.Float64bits(x) {
							t.Fatalf("%s: cutoff %d, row %d (%s), %s: %v, want %v", mode, k, w, got.CustomerID[i], want.Names[j], g, x)
						}
					}
				}
				rows += got.Rows()
			}
		}
		if rows != want.Rows() {
			t.Fatalf("%s: ranges built %d rows, want %d", mode, rows, want.Rows())
		}
	}

	p, err := forks[1].EncodePartial(nil, 0, n)
	if err != nil {
		t.Fatal(err)
	}
	for cut := 0; cut < len(p); cut += 1 + cut/8 {
		if _, err := b.DecodePartial(p[:cut]); !errors.Is(err, ErrPartial) {
			t.Fatalf("a partial cut to %d of %d bytes: %v, want ErrPartial", cut, len(p), err)
		}
	}
	other, err := NewBuilder(DefaultConfig(), testCutoffs[:1], end)
	if err != nil {
		t.Fatal(err)
	}
	other.AddCustomers(h.customers)
	other.Freeze()
	if _, err := other.DecodePartial(p); !errors.Is(err, ErrPartial) {
		t.Fatalf("a partial of a builder with other cutoffs: %v, want ErrPartial", err)
	}
	f := b.Fork()
	if err := f.MergePartial(p[:len(p)-1]); !errors.Is(err, ErrPartial) {
		t.Fatalf("MergePartial of a cut partial: %v, want ErrPartial", err)
	}
	if err := f.MergePartial(p); !errors.Is(err, ErrSpent) {
		t.Fatalf("MergePartial after a failed one: %v, want ErrSpent", err)
	}
	if err := b.Fork().MergeRange(forks[1], 0, n+1); !errors.Is(err, ErrCutoffRange) {
		t.Fatalf("MergeRange past the customers: %v, want ErrCutoffRange", err)
	}
	if err := b.Fork().MergeRange(other.Fork(), 0, n); !errors.Is(err, ErrNotFork) {
		t.Fatalf("MergeRange of another builder's fork: %v, want ErrNotFork", err)
	}
	if _, err := forks[1].EncodePartial(nil, 0, n+1); !errors.Is(err, ErrCutoffRange) {
		t.Fatalf("EncodePartial past the customers: %v, want ErrCutoffRange", err)
	}

	lo, hi := n/3, 2*n/3
	rf := mustRangeFork(t, b, lo, hi)
	if err := rf.MergeRange(forks[1], 0, hi); !errors.Is(err, ErrCutoffRange) {
		t.Fatalf("MergeRange into a RangeFork past its customers: %v, want ErrCutoffRange", err)
	}
	if err := rf.MergePartial(p); !errors.Is(err, ErrPartial) {
		t.Fatalf("MergePartial into a RangeFork of every customer's partial: %v, want ErrPartial", err)
	}
	rf = mustRangeFork(t, b, lo, hi)
	if _, err := rf.BuildRange(allTables, 0, 0, hi); !errors.Is(err, ErrCutoffRange) {
		t.Fatalf("BuildRange of a RangeFork past its customers: %v, want ErrCutoffRange", err)
	}
	if _, err := rf.EncodePartial(nil, lo, hi+1); !errors.Is(err, ErrCutoffRange) {
		t.Fatalf("EncodePartial of a RangeFork past its customers: %v, want ErrCutoffRange", err)
	}
	if err := rf.Merge(mustRangeFork(t, b, lo, hi+1)); !errors.Is(err, ErrNotFork) {
		t.Fatalf("Merge of RangeForks of other ranges: %v, want ErrNotFork", err)
	}
	if err := b.Fork().Merge(mustRangeFork(t, b, lo, hi)); !errors.Is(err, ErrNotFork) {
		t.Fatalf("Merge of a RangeFork into a Fork: %v, want ErrNotFork", err)
	}
	if _, err := b.RangeFork(lo, n+1); !errors.Is(err, ErrCutoffRange) {
		t.Fatalf("RangeFork past the customers: %v, want ErrCutoffRange", err)
	}
}

func mustRangeFork(t *testing.T, b *Builder, lo, hi int) *Builder {
	t.Helper()
	f, err := b.RangeFork(lo, hi)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// alternate returns the rows of rows with an index of parity half.
func alternate[T any](rows []T, half int) []T {
	var out []T
	for i := half; i < len(rows); i += 2 {
		out = append(out, rows[i])
	}
	return out
}

// TestRelease: forks that fold every table in halves, each on a goroutine
// of its own, encode their partials and Release them at once (their
// off-heap pages unmapped while the other forks still fold); the partials
// merged into RangeForks, each released once its rows are built, give
// the rows of one Builder fed everything; a released Builder is spent.
// Run with -race, it also checks that forks share nothing Release drops.
func TestRelease(t *testing.T) {
	end := testCutoffs[len(testCutoffs)-1] + 120*dayNS
	h := randomHistory(9, 150, end, 600)
	want := mustBuild(t, DefaultConfig(), testCutoffs, end, h)
	b := catalogBuilder(t, end, h)
	n := b.Customers()
	cuts := []int{0, n / 4, n / 2, n}
	feeds := []func(f *Builder, half int){
		func(f *Builder, half int) { f.AddSessions(alternate(h.sessions, half)) },
		func(f *Builder, half int) { f.AddEvents(alternate(h.events, half)) },
		func(f *Builder, half int) { f.AddTickets(alternate(h.tickets, half)) },
		func(f *Builder, half int) { f.AddSurveys(alternate(h.surveys, half)) },
		func(f *Builder, half int) { f.AddOrders(alternate(h.orders, half)) },
	}
	type result struct {
		parts [][]byte
		err   error
	}
	results := make(chan result, 2*len(feeds))
	var wg sync.WaitGroup
	for half := range 2 {
		for _, feed := range feeds {
			wg.Go(func() {
				f := b.Fork()
				feed(f, half)
				var res result
				for r := 0; r+1 < len(cuts); r++ {
					p, err := f.EncodePartial(nil, cuts[r], cuts[r+1])
					if err != nil {
						res.err = err
						break
					}
					res.parts = append(res.parts, p)
				}
				if mappedChunks(f) == 0 && res.err == nil && runtime.GOOS == "linux" {
					res.err = errors.New("a fork that folded rows holds no mapped pages")
				}
				f.Release()
				if m := mappedChunks(f); m != 0 && res.err == nil {
					res.err = fmt.Errorf("released fork still holds %d mappings", m)
				}
				if _, err := f.EncodePartial(nil, 0, n); !errors.Is(err, ErrSpent) && res.err == nil {
					res.err = fmt.Errorf("EncodePartial of a released fork: %v, want ErrSpent", err)
				}
				results <- res
			})
		}
	}
	wg.Wait()
	close(results)
	merged := make([]*Builder, len(cuts)-1)
	for r := range merged {
		merged[r] = mustRangeFork(t, b, cuts[r], cuts[r+1])
	}
	for res := range results {
		if res.err != nil {
			t.Fatal(res.err)
		}
		for r, p := range res.parts {
			if err := merged[r].MergePartial(p); err != nil {
				t.Fatalf("customers %d to %d: %v", cuts[r], cuts[r+1], err)
			}
		}
	}
	nF := len(want.Names)
	row := 0
	for k := range testCutoffs {
		for r, m := range merged {
			got, err := m.BuildRange(allTables, k, cuts[r], cuts[r+1])
			if err != nil {
				t.Fatal(err)
			}
			for i := range got.Rows() {
				w := row + i
				if got.CustomerID[i] != want.CustomerID[w] {
					t.Fatalf("cutoff %d, row %d: %s, want %s", k, w, got.CustomerID[i], want.CustomerID[w])
				}
				for j := range nF {
					if g, x := got.X[i*nF+j], want.X[w*nF+j]; math.Float64bits(g) != math.Float64bits(x) {
						t.Fatalf("cutoff %d, row %d (%s), %s: %v, want %v", k, w, got.CustomerID[i], want.Names[j], g, x)
					}
				}
			}
			row += got.Rows()
		}
	}
	if row != want.Rows() {
		t.Fatalf("ranges built %d rows, want %d", row, want.Rows())
	}
	for r, m := range merged {
		m.Release()
		if got := mappedChunks(m); got != 0 {
			t.Fatalf("range %d: released RangeFork still holds %d mappings", r, got)
		}
		if _, err := m.BuildRange(allTables, 0, cuts[r], cuts[r+1]); !errors.Is(err, ErrSpent) {
			t.Fatalf("BuildRange of a released RangeFork: %v, want ErrSpent", err)
		}
		m.Release() // a second Release drops nothing more, and does not fail
	}
}

// mappedChunks returns how many off-heap mappings b's stores hold.
func mappedChunks(b *Builder) int {
	n := 0
	for _, a := range []*arena{b.sess.mem, b.ev.mem, b.tick.mem, b.nps.mem, b.ord.mem} {
		if a != nil {
			n += len(a.maps.m)
		}
	}
	return n
}

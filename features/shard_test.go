package features

import (
	"errors"
	"math"
	"slices"
	"testing"

	"churn/data"
)

// TestShards: rows resolved once and fed, in batches of varied sizes and in
// reverse order, to 1, 2 or 3 shards, joined, give the Frame of one Builder
// fed everything, and count the same unknown customers.
func TestShards(t *testing.T) {
	end := testCutoffs[len(testCutoffs)-1] + 120*dayNS
	h := randomHistory(5, 120, end, 600)
	want := mustBuild(t, DefaultConfig(), testCutoffs, end, h)
	h.sessions = append(h.sessions, data.Session{CustomerID: "nobody", StartedAt: testCutoffs[0] - dayNS})
	for _, n := range []int{1, 2, 3} {
		b := catalogBuilder(t, end, h)
		shards := b.Shards(n)
		unknown := 0
		feed := func(batch any, rows int) {
			idx, u, err := b.Resolve(nil, batch)
			if err != nil {
				t.Fatal(err)
			}
			if len(idx) != rows {
				t.Fatalf("Resolve gave %d indexes for %d rows", len(idx), rows)
			}
			unknown += u
			for w := len(shards) - 1; w >= 0; w-- {
				if err := shards[w].AddResolved(batch, idx); err != nil {
					t.Fatal(err)
				}
			}
		}
		for lo := 0; lo < len(h.sessions); lo += 7 {
			s := h.sessions[lo:min(lo+7, len(h.sessions))]
			feed(s, len(s))
		}
		feed(h.events, len(h.events))
		feed(h.tickets, len(h.tickets))
		feed(h.surveys, len(h.surveys))
		for i := len(h.orders) - 1; i >= 0; i-- {
			feed(h.orders[i:i+1], 1)
		}
		if unknown != 1 {
			t.Errorf("%d shards: %d unknown rows, want 1", n, unknown)
		}
		if err := b.JoinShards(shards); err != nil {
			t.Fatalf("%d shards: JoinShards: %v", n, err)
		}
		got, err := b.Build(allTables)
		if err != nil {
			t.Fatal(err)
		}
		if err := sameX(want, got); err != nil {
			t.Fatalf("%d shards: %v", n, err)
		}
		for i := range want.Label {
			if math.Float64bits(want.Label[i]) != math.Float64bits(got.Label[i]) || want.Status[i] != got.Status[i] {
				t.Fatalf("%d shards: row %d: label %v %s, want %v %s", n, i, got.Label[i], got.Status[i], want.Label[i], want.Status[i])
			}
		}
		if err := b.JoinShards(shards); err == nil {
			t.Errorf("%d shards: joining twice succeeded", n)
		}
		if err := shards[0].AddResolved([]int{1}, nil); !errors.Is(err, ErrBatchType) {
			t.Errorf("AddResolved of []int: %v, want ErrBatchType", err)
		}
	}
}

// TestBuildRange: consecutive customer ranges of a cutoff give, one after
// the other, the rows of BuildAt, also when each is built into the
// poisoned matrix of the one before.
func TestBuildRange(t *testing.T) {
	end := testCutoffs[len(testCutoffs)-1] + 120*dayNS
	h := randomHistory(9, 90, end, 400)
	b, err := NewBuilder(DefaultConfig(), testCutoffs, end)
	if err != nil {
		t.Fatal(err)
	}
	b.AddCustomers(h.customers)
	b.Freeze()
	h.feed(t, b)
	n := b.Customers()
	for k := range testCutoffs {
		want, err := b.BuildAt(nil, k)
		if err != nil {
			t.Fatal(err)
		}
		for _, step := range []int{1, 7, n} {
			from := 0
			var x []float64 // the last part's matrix, poisoned, for the next
			for lo := 0; lo < n; lo += step {
				part, err := b.BuildRangeInto(nil, k, lo, min(lo+step, n), x)
				if err != nil {
					t.Fatal(err)
				}
				if err := sameX(slice(want, from, from+part.Rows()), part); err != nil {
					t.Fatalf("cutoff %d, customers %d+%d: %v", k, lo, step, err)
				}
				for i := range part.Rows() {
					if part.CustomerID[i] != want.CustomerID[from+i] || math.Float64bits(part.Label[i]) != math.Float64bits(want.Label[from+i]) {
						t.Fatalf("cutoff %d, customers %d+%d, row %d: %s %v, want %s %v", k, lo, step, i, part.CustomerID[i], part.Label[i], want.CustomerID[from+i], want.Label[from+i])
					}
				}
				from += part.Rows()
				x = part.X
				for i := range x {
					x[i] = math.Inf(-1)
				}
			}
			if from != want.Rows() {
				t.Errorf("cutoff %d, step %d: %d rows, want %d", k, step, from, want.Rows())
			}
		}
	}
	if _, err := b.BuildRange(nil, 0, 2, 1); !errors.Is(err, ErrCutoffRange) {
		t.Errorf("BuildRange(2, 1): %v, want ErrCutoffRange", err)
	}
}

// TestShareCatalog: shards made before the catalog is set fold the
// sessions, tickets, surveys and orders, get the catalog with
// ShareCatalog, then fold the events: the Frame equals that of a Builder
// whose catalog was set before anything was folded. A shard that has
// folded events refuses a new catalog.
func TestShareCatalog(t *testing.T) {
	end := testCutoffs[len(testCutoffs)-1] + 120*dayNS
	h := randomHistory(11, 150, end, 700)
	until := testCutoffs[len(testCutoffs)-1]
	want := mustBuild(t, DefaultConfig(), testCutoffs, end, h)
	for _, n := range []int{1, 3} {
		b, err := NewBuilder(DefaultConfig(), testCutoffs, end)
		if err != nil {
			t.Fatal(err)
		}
		b.AddCustomers(h.customers)
		b.Freeze()
		shards := b.Shards(n)
		feed := func(batch any) {
			idx, _, err := b.Resolve(nil, batch)
			if err != nil {
				t.Fatal(err)
			}
			for _, sh := range shards {
				if err := sh.AddResolved(batch, idx); err != nil {
					t.Fatal(err)
				}
			}
		}
		feed(h.sessions)
		feed(h.tickets)
		feed(h.surveys)
		feed(h.orders)
		learnCatalog(b, h.events, until)
		if err := b.ShareCatalog(shards); err != nil {
			t.Fatalf("%d shards: ShareCatalog: %v", n, err)
		}
		feed(h.events)
		if err := b.ShareCatalog(shards); !errors.Is(err, ErrEventsFolded) {
			t.Errorf("%d shards: ShareCatalog after events: %v, want ErrEventsFolded", n, err)
		}
		if err := b.JoinShards(shards); err != nil {
			t.Fatal(err)
		}
		got, err := b.Build(allTables)
		if err != nil {
			t.Fatal(err)
		}
		if err := sameX(want, got); err != nil {
			t.Fatalf("%d shards: %v", n, err)
		}
	}
}

// TestTableFolds: every history table of the contract has its fold, in
// the contract's order.
func TestTableFolds(t *testing.T) {
	var want []data.Table
	for _, table := range data.Tables {
		if table != data.Customers {
			want = append(want, table)
		}
	}
	var got []data.Table
	for _, f := range tableFolds {
		got = append(got, f.table)
	}
	if !slices.Equal(got, want) {
		t.Errorf("folds of %v, want %v", got, want)
	}
}

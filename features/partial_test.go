package features

import (
	"errors"
	"math"
	"testing"
)

// TestPartials: each table folded by its own fork, encoded in customer
// ranges, decoded into fresh forks and merged range by range in reverse
// order, builds per range the rows of one Builder fed everything; bytes
// that are not a partial of this builder are refused.
func TestPartials(t *testing.T) {
	end := testCutoffs[len(testCutoffs)-1] + 120*dayNS
	h := randomHistory(5, 120, end, 600)
	want := mustBuild(t, DefaultConfig(), testCutoffs, end, h)
	b, err := NewBuilder(DefaultConfig(), testCutoffs, end)
	if err != nil {
		t.Fatal(err)
	}
	b.AddCustomers(h.customers)
	b.Freeze()
	learnCatalog(b, h.events, testCutoffs[len(testCutoffs)-1])
	forks := []*Builder{b.Fork(), b.Fork(), b.Fork(), b.Fork(), b.Fork()}
	forks[0].AddSessions(h.sessions)
	forks[1].AddEvents(h.events)
	forks[2].AddTickets(h.tickets)
	forks[3].AddSurveys(h.surveys)
	forks[4].AddOrders(h.orders)
	n := b.Customers()
	cuts := []int{0, n / 3, n / 3, 2 * n / 3, n}
	var rows int
	for k := range testCutoffs {
		for r := 0; r+1 < len(cuts); r++ {
			lo, hi := cuts[r], cuts[r+1]
			var merged *Builder
			for j := len(forks) - 1; j >= 0; j-- {
				p, err := forks[j].EncodePartial(nil, lo, hi)
				if err != nil {
					t.Fatal(err)
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
			got, err := merged.BuildRange(allTables, k, lo, hi)
			if err != nil {
				t.Fatal(err)
			}
			nF := len(want.Names)
			for i := range got.Rows() {
				w := rows + i
				if got.CustomerID[i] != want.CustomerID[w] || got.Status[i] != want.Status[w] ||
					math.Float64bits(got.Label[i]) != math.Float64bits(want.Label[w]) {
					t.Fatalf("cutoff %d, row %d: %s %s %v, want %s %s %v", k, w, got.CustomerID[i], got.Status[i], got.Label[i],
						want.CustomerID[w], want.Status[w], want.Label[w])
				}
				for j := range nF {
					g, x := got.X[i*nF+j], want.X[w*nF+j]
					if math.Float64bits(g) != math.Float64bits(x) {
						t.Fatalf("cutoff %d, row %d (%s), %s: %v, want %v", k, w, got.CustomerID[i], want.Names[j], g, x)
					}
				}
			}
			rows += got.Rows()
		}
	}
	if rows != want.Rows() {
		t.Fatalf("ranges built %d rows, want %d", rows, want.Rows())
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
	if _, err := forks[1].EncodePartial(nil, 0, n+1); !errors.Is(err, ErrCutoffRange) {
		t.Fatalf("EncodePartial past the customers: %v, want ErrCutoffRange", err)
	}
}

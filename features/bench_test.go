package features

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"churn/data"
)

// benchData is a synthetic dataset shaped like the benchmark:
// customers signed up over 540 days, 7 monthly cutoffs, rows in time order
// across customers.
type benchData struct {
	cutoffs   []int64
	end       int64
	customers []data.Customer
	ids       []string
}

func newBenchData(nCust int) *benchData {
	end := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).UnixNano()
	d := &benchData{end: end, cutoffs: Config{Horizon: 90 * Day}.MonthlyCutoffs(time.Unix(0, end), 7)}
	rng := rand.New(rand.NewPCG(1, 2))
	start := end - 540*dayNS
	for i := 0; i < nCust; i++ {
		id := fmt.Sprintf("cust%07d", i)
		d.ids = append(d.ids, id)
		d.customers = append(d.customers, data.Customer{ID: id, SignupAt: start + rng.Int64N(400*dayNS), Plan: "monthly", CancelledAt: data.NoTime})
	}
	return d
}

func (d *benchData) builder(b *testing.B) *Builder {
	bl, err := NewBuilder(DefaultConfig(), d.cutoffs, d.end)
	if err != nil {
		b.Fatal(err)
	}
	bl.AddCustomers(d.customers)
	bl.Freeze()
	// The event mix as training has it: every name of the bench's events
	// in the catalog.
	bl.SetCatalog(bl.CatalogWith(Catalog{Events: benchEventNames}))
	return bl
}

var benchEventNames = []string{"login", "view", "create", "share", "export"}

// ts spreads n rows over the 540 days, in time order.
func (d *benchData) ts(i, n int) int64 {
	return d.end - 540*dayNS + int64(float64(i)/float64(n)*float64(540*dayNS))
}

const benchBatch = 1 << 16 // rows per batch, like a row group

func (d *benchData) sessions(n int) []data.Session {
	rng := rand.New(rand.NewPCG(3, 4))
	rows := make([]data.Session, n)
	for i := range rows {
		rows[i] = data.Session{CustomerID: d.ids[rng.IntN(len(d.ids))], StartedAt: d.ts(i, n), DurationS: float64(rng.IntN(3600)), Pages: float64(rng.IntN(20)), Channel: "web"}
	}
	return rows
}

func (d *benchData) events(n int) []data.Event {
	rng := rand.New(rand.NewPCG(5, 6))
	names := benchEventNames
	rows := make([]data.Event, n)
	for i := range rows {
		rows[i] = data.Event{CustomerID: d.ids[rng.IntN(len(d.ids))], TS: d.ts(i, n), Event: names[rng.IntN(len(names))], Quantity: 1}
	}
	return rows
}

func (d *benchData) tickets(n int) []data.Ticket {
	rng := rand.New(rand.NewPCG(7, 8))
	rows := make([]data.Ticket, n)
	for i := range rows {
		ts := d.ts(i, n)
		rows[i] = data.Ticket{CustomerID: d.ids[rng.IntN(len(d.ids))], CreatedAt: ts, Channel: "email", Sentiment: rng.Float64()*2 - 1,
			FirstResponseS: 3600, ResolvedAt: ts + dayNS, CSAT: 4, Effort: 3}
	}
	return rows
}

func (d *benchData) orders(n int) []data.Order {
	rng := rand.New(rand.NewPCG(9, 10))
	rows := make([]data.Order, n)
	for i := range rows {
		rows[i] = data.Order{CustomerID: d.ids[rng.IntN(len(d.ids))], TS: d.ts(i, n), Amount: float64(rng.IntN(10000)) / 100, Margin: 0.3}
	}
	return rows
}

// benchTable feeds rows in batches and reports rows per second, in steady
// state: one pass over the rows first allocates every accumulator
// (BenchmarkMemory measures that allocation).
func benchTable[T any](b *testing.B, rows []T, add func(*Builder, []T) int, d *benchData) {
	bl := d.builder(b)
	for lo := 0; lo < len(rows); lo += benchBatch {
		add(bl, rows[lo:min(lo+benchBatch, len(rows))])
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuSeconds()
	n := 0
	for i := 0; i < b.N; i++ {
		lo := (i * benchBatch) % len(rows)
		hi := min(lo+benchBatch, len(rows))
		add(bl, rows[lo:hi])
		n += hi - lo
	}
	reportRates(b, n, cpuSeconds()-cpu)
}

// benchColumns is benchTable for sessions or events as the job folds them:
// column batches with their customer indexes (data.ReadKeyedColumns,
// Builder.AddResolved), laid out before the clock starts.
func benchColumns(b *testing.B, d *benchData, rows any) {
	bl := d.builder(b)
	var batches []any
	var idx [][]int32
	add := func(batch any, ids []string) {
		k := make([]int32, len(ids))
		for i, id := range ids {
			k[i] = bl.Index(id)
		}
		batches, idx = append(batches, batch), append(idx, k)
	}
	switch r := rows.(type) {
	case []data.Session:
		for lo := 0; lo < len(r); lo += benchBatch {
			c := sessionColumns(r[lo:min(lo+benchBatch, len(r))])
			add(c, c.CustomerID)
		}
	case []data.Event:
		for lo := 0; lo < len(r); lo += benchBatch {
			c := eventColumns(r[lo:min(lo+benchBatch, len(r))])
			add(c, c.CustomerID)
		}
	}
	for k := range batches {
		if err := bl.AddResolved(batches[k], idx[k]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu := cpuSeconds()
	n := 0
	for i := 0; i < b.N; i++ {
		k := i % len(batches)
		if err := bl.AddResolved(batches[k], idx[k]); err != nil {
			b.Fatal(err)
		}
		n += len(idx[k])
	}
	reportRates(b, n, cpuSeconds()-cpu)
}

// reportRates reports rows per wall second, and rows per second of CPU
// time of the process, which a loaded shared machine distorts less.
func reportRates(b *testing.B, n int, cpu float64) {
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "rows/s")
	if cpu > 0 {
		b.ReportMetric(float64(n)/cpu, "rows/cpu-s")
	}
}

// BenchmarkAdd measures one core folding each table into 7 cutoffs, per
// batch of 65,536 rows; sessions and events as the job folds them, in
// column batches keyed by customer index.
func BenchmarkAdd(b *testing.B) {
	for _, nCust := range []int{10_000, 200_000} {
		d := newBenchData(nCust)
		const n = 1 << 20
		b.Run(fmt.Sprintf("sessions/customers=%d", nCust), func(b *testing.B) {
			benchColumns(b, d, d.sessions(n))
		})
		b.Run(fmt.Sprintf("events/customers=%d", nCust), func(b *testing.B) {
			benchColumns(b, d, d.events(n))
		})
		b.Run(fmt.Sprintf("tickets/customers=%d", nCust), func(b *testing.B) {
			benchTable(b, d.tickets(n/8), (*Builder).AddTickets, d)
		})
		b.Run(fmt.Sprintf("orders/customers=%d", nCust), func(b *testing.B) {
			benchTable(b, d.orders(n/8), (*Builder).AddOrders, d)
		})
	}
}

// BenchmarkBuild measures Build over 7 cutoffs once every accumulator is
// populated, in rows (customer x cutoff) per second.
func BenchmarkBuild(b *testing.B) {
	for _, nCust := range []int{10_000, 50_000} {
		b.Run(fmt.Sprintf("customers=%d", nCust), func(b *testing.B) {
			d := newBenchData(nCust)
			bl := d.builder(b)
			bl.AddSessions(d.sessions(20 * nCust))
			bl.AddEvents(d.events(20 * nCust))
			bl.AddTickets(d.tickets(nCust))
			bl.AddOrders(d.orders(nCust))
			b.ResetTimer()
			cpu := cpuSeconds()
			rows := 0
			for i := 0; i < b.N; i++ {
				f, err := bl.Build(nil)
				if err != nil {
					b.Fatal(err)
				}
				rows += f.Rows()
			}
			reportRates(b, rows, cpuSeconds()-cpu)
		})
	}
}

// BenchmarkPlanFill measures a BuildPlan's parts filled by GOMAXPROCS
// goroutines, as the jobs fill them, plan and first writes to the matrix
// included, with the matrix on the heap (PlanBuild) or mapped
// (PlanBuildMapped). Run one of them at a time with -benchtime=1x in a
// fresh process (-bench 'PlanFill/mapped'), so that the matrix is memory
// the process has not written before, as in a job.
func BenchmarkPlanFill(b *testing.B) {
	const nCust = 200_000
	d := newBenchData(nCust)
	bl := d.builder(b)
	bl.AddSessions(d.sessions(2 * nCust))
	bl.AddEvents(d.events(2 * nCust))
	bl.AddTickets(d.tickets(nCust / 2))
	bl.AddOrders(d.orders(nCust))
	for _, mapped := range []bool{false, true} {
		name, plan := "heap", bl.PlanBuild
		if mapped {
			name, plan = "mapped", bl.PlanBuildMapped
		}
		b.Run(name, func(b *testing.B) {
			cpu := cpuSeconds()
			rows := 0
			for i := 0; i < b.N; i++ {
				p, err := plan(nil, false)
				if err != nil {
					b.Fatal(err)
				}
				var next atomic.Int64
				var wg sync.WaitGroup
				errs := make([]error, runtime.GOMAXPROCS(0))
				for w := range errs {
					wg.Go(func() {
						for j := int(next.Add(1) - 1); j < p.Parts(); j = int(next.Add(1) - 1) {
							if err := p.Fill(j); err != nil {
								errs[w] = err
								return
							}
						}
					})
				}
				wg.Wait()
				for _, err := range errs {
					if err != nil {
						b.Fatal(err)
					}
				}
				rows += p.Frame.Rows()
				runtime.KeepAlive(p.Frame)
			}
			reportRates(b, rows, cpuSeconds()-cpu)
		})
	}
}

// BenchmarkMemory reports the heap held by the accumulators of a Builder
// that has seen every customer in every table, for 7 cutoffs, in MB and in
// bytes per customer.
func BenchmarkMemory(b *testing.B) {
	for _, nCust := range []int{200_000} {
		b.Run(fmt.Sprintf("customers=%d", nCust), func(b *testing.B) {
			d := newBenchData(nCust)
			sess, ev, tk, ord := d.sessions(2*nCust), d.events(2*nCust), d.tickets(nCust/2), d.orders(nCust)
			var held float64
			for i := 0; i < b.N; i++ {
				bl := d.builder(b)
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				for lo := 0; lo < len(sess); lo += benchBatch {
					bl.AddSessions(sess[lo:min(lo+benchBatch, len(sess))])
					bl.AddEvents(ev[lo:min(lo+benchBatch, len(ev))])
				}
				bl.AddTickets(tk)
				bl.AddOrders(ord)
				bl.AddSurveys([]data.Survey{{CustomerID: d.ids[0], AnsweredAt: d.ts(1, 2), NPS: 5}})
				runtime.GC()
				runtime.ReadMemStats(&after)
				held = float64(after.HeapAlloc) - float64(before.HeapAlloc)
				runtime.KeepAlive(bl)
			}
			b.ReportMetric(held/1e6, "MB")
			b.ReportMetric(held/float64(nCust), "B/customer")
		})
	}
}

package data

import (
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
)

// TestKeptRowsExact writes sessions and events with bad rows scattered
// among good ones (null ids and times, negative durations and pages,
// invalid UTF-8, null quantities) and checks that every read mode (rows,
// keyed rows, keyed columns), on both paths and at several batch sizes,
// hands over exactly the good rows, every field as written or as the
// contract fixes it: the readers drop bad rows by moving the good ones
// forward in their columns, and a slip there would shift one column
// against the others.
func TestKeptRowsExact(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	dir := t.TempDir()
	const n = 6000
	var sessions, wantS []Session
	var events, wantE []Event
	for i := range n {
		id := fmt.Sprintf("c%03d", rng.IntN(400))
		at := t0 + int64(i)*1e9
		s := Session{CustomerID: id, StartedAt: at, DurationS: float64(i), Pages: float64(i % 97), Channel: fmt.Sprint("ch", i)}
		e := Event{CustomerID: id, TS: at, Event: fmt.Sprint("e", i%13), Quantity: float64(i)}
		keepS, keepE := true, true
		switch rng.IntN(12) {
		case 0:
			s.CustomerID, e.CustomerID = "", ""
			keepS, keepE = false, false
		case 1:
			s.StartedAt, e.TS = NoTime, NoTime
			keepS, keepE = false, false
		case 2:
			s.DurationS = -1
			keepS = false
		case 3:
			s.Pages = -2
			keepS = false
		case 4:
			e.Quantity = math.NaN()
		case 5:
			s.Channel = "x\xffy"
			e.Event = "x\xffy"
		}
		sessions, events = append(sessions, s), append(events, e)
		if keepS {
			if s.Channel == "x\xffy" {
				s.Channel = "x\uFFFDy"
			}
			wantS = append(wantS, s)
		}
		if keepE {
			if math.IsNaN(e.Quantity) {
				e.Quantity = 1
			}
			if e.Event == "x\xffy" {
				e.Event = "x\uFFFDy"
			}
			wantE = append(wantE, e)
		}
	}
	fs := File{Path: filepath.Join(dir, "sessions.parquet"), Rel: "sessions", Table: Sessions}
	fe := File{Path: filepath.Join(dir, "events.parquet"), Rel: "events", Table: Events}
	if err := writeTable(fs.Path, sessions); err != nil {
		t.Fatal(err)
	}
	if err := writeTable(fe.Path, events); err != nil {
		t.Fatal(err)
	}
	for _, batch := range []int{1, 7, 1000, DefaultBatchSize} {
		t.Run(fmt.Sprint("batch=", batch), func(t *testing.T) {
			sameRows(t, readBoth[Session](t, fs, batch), wantS)
			sameRows(t, readBoth[Event](t, fe, batch), wantE)
		})
	}
}

// TestScaleTimes: instants within the int64 range of nanoseconds scale
// exactly; those beyond it clamp to its ends (never to NoTime); unit 1
// passes values through.
func TestScaleTimes(t *testing.T) {
	const per = 1_000 // microseconds
	hi, lo := int64(math.MaxInt64/per), int64((math.MinInt64+1)/per)
	src := []int64{0, 1, -1, hi, hi + 1, lo, lo - 1, math.MaxInt64, math.MinInt64}
	want := []int64{0, per, -per, hi * per, math.MaxInt64, lo * per, math.MinInt64 + 1, math.MaxInt64, math.MinInt64 + 1}
	got := make([]int64, len(src))
	scaleTimes(got, src, per)
	for i := range src {
		if got[i] != want[i] {
			t.Errorf("%d us: %d ns, want %d", src[i], got[i], want[i])
		}
	}
	days := []int32{0, -1, 106_751, 106_752, -106_752, -106_753}
	got = make([]int64, len(days))
	scaleTimes(got, days, nsPerDay)
	for i, d := range days {
		w := int64(d) * nsPerDay
		switch {
		case d > 106_751:
			w = math.MaxInt64
		case d < -106_751: // the lower bound is divided toward zero: one day early
			w = math.MinInt64 + 1
		}
		if got[i] != w {
			t.Errorf("day %d: %d ns, want %d", d, got[i], w)
		}
	}
	scaleTimes(got, []int64{math.MinInt64, 5}, 1)
	if got[0] != math.MinInt64 || got[1] != 5 {
		t.Errorf("unit 1: %v, want the values as they are", got[:2])
	}
}

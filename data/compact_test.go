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

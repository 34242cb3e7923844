package features

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"

	"churn/data"
)

// namePool lays names out as a reader does: the distinct names of a
// dictionary page in one buffer, each row of the page referring to its
// name's string, and the names of a plain page each in its own stretch of
// an arena. The buffers are reused from batch to batch, so a later batch
// has other names at the addresses of an earlier one's.
type namePool struct {
	dict, arena []byte
}

// batch returns n names drawn from words: a run of rows from a dictionary
// of the batch's words, then a run of plain rows, and so on.
func (p *namePool) batch(rng *rand.Rand, words []string, n int) []string {
	nd := len(words) // most pages have a few names, some many
	if rng.IntN(4) > 0 {
		nd = 12
	}
	d := make([]string, 1+rng.IntN(nd))
	p.dict = p.dict[:0]
	for i := range d {
		d[i] = words[rng.IntN(len(words))]
		p.dict = append(p.dict, d[i]...)
	}
	dict := make([]string, len(d))
	off := 0
	for i, w := range d {
		dict[i] = unsafe.String(unsafe.SliceData(p.dict[off:]), len(w))
		if len(w) == 0 && rng.IntN(2) == 0 {
			dict[i] = "" // an empty name with no address
		}
		off += len(w)
	}
	p.arena = p.arena[:0]
	var plain []int // arena offsets of the plain rows, set once the arena stops moving
	out := make([]string, n)
	for r := 0; r < n; {
		m := min(n-r, 1+rng.IntN(40))
		if rng.IntN(3) > 0 {
			for ; m > 0; m, r = m-1, r+1 {
				out[r] = dict[rng.IntN(len(dict))]
			}
			continue
		}
		for ; m > 0; m, r = m-1, r+1 {
			w := words[rng.IntN(len(words))]
			plain = append(plain, r, len(p.arena), len(w))
			p.arena = append(p.arena, w...)
		}
	}
	for i := 0; i < len(plain); i += 3 {
		out[plain[i]] = unsafe.String(unsafe.SliceData(p.arena[plain[i+1]:]), plain[i+2])
	}
	return out
}

// batchWords returns a vocabulary of more names than vocab caches: the
// catalogue's, names sharing their lengths and end bytes, names that are
// prefixes of others, and the empty name.
func batchWords() []string {
	w := []string{"", "login", "logon", "log", "l", "export", "sync", "heartbeat", "x"}
	for i := range 2 * maxVocab {
		w = append(w, fmt.Sprintf("ev%03d", i), fmt.Sprintf("ev%03d_long_name", i))
	}
	return w
}

// TestBatchNamesMatchVocab: over random batches of dictionary and plain
// names, with the readers' buffers reused between batches, kindOf gives
// every row the kind that a lookup of the row's name alone gives, and
// batchID the id that id alone gives.
func TestBatchNamesMatchVocab(t *testing.T) {
	words := batchWords()
	cat := Catalog{Events: []string{"login", "export", "sync", "ev001", "ev100"}, Automated: []string{"sync", "heartbeat"}}
	mk := func() *Builder {
		cfg := DefaultConfig()
		cfg.CoreEvents = []string{"login", "export", "ev007", "heartbeat"}
		cfg.IgnoreEvents = []string{"ev003"}
		cfg.EngagementWeights = map[string]float64{"login": 2, "export": 0.5, "ev005": 3}
		b, err := NewBuilder(cfg, []int64{cut}, cut)
		if err != nil {
			t.Fatal(err)
		}
		b.applyCatalog(cat)
		return b
	}
	b, ref := mk(), mk()
	prof, refProf := b.NewEventProfile(cut), ref.NewEventProfile(cut)
	rng := rand.New(rand.NewPCG(1, 2))
	var pool namePool
	var hits, rows int
	for batch := range 400 {
		names := pool.batch(rng, words, 1+rng.IntN(2000))
		var seen batchNames[eventKind]
		var seenID batchNames[profileID]
		for r, name := range names {
			_, hit := seen.find(name)
			if hit {
				hits++
			}
			rows++
			got, want := *b.kindOf(&seen, name), ref.vocab.lookup(name, ref)
			got.name, want.name = "", ""
			if got != want {
				t.Fatalf("batch %d row %d %q: kind %+v, want %+v", batch, r, name, got, want)
			}
			id, ok := prof.batchID(&seenID, name)
			wid, wok := refProf.id(name)
			if id != wid || ok != wok {
				t.Fatalf("batch %d row %d %q: id %d %v, want %d %v", batch, r, name, id, ok, wid, wok)
			}
		}
	}
	if hits < rows/3 {
		t.Errorf("%d of %d rows found in the batch cache: the test does not exercise it", hits, rows)
	}
}

// TestBatchNamesFold: folding and profiling events in batches whose names
// share their strings as a dictionary page's do, with the buffers reused
// between batches, gives the features and the catalogue that the same rows
// give with each name a string of its own, which no row finds in the batch
// cache.
func TestBatchNamesFold(t *testing.T) {
	words := batchWords()
	rng := rand.New(rand.NewPCG(3, 4))
	var customers []data.Customer
	for i := range 50 {
		customers = append(customers, data.Customer{ID: fmt.Sprintf("c%02d", i), SignupAt: cut - 400*dayNS})
	}
	cuts := []int64{cut - 60*dayNS, cut - 30*dayNS, cut}
	// A catalogue of many names, so that most names have a kind of their
	// own (an event mix slot).
	cat := Catalog{Events: []string{"login", "export", "sync"}, Automated: []string{"sync"}}
	for i := range 70 {
		cat.Events = append(cat.Events, fmt.Sprintf("ev%03d", 2*i))
	}
	mk := func() *Builder {
		cfg := DefaultConfig()
		cfg.EventVocab = len(cat.Events)
		cfg.IgnoreEvents = []string{"ev003"}
		b, err := NewBuilder(cfg, cuts, cut)
		if err != nil {
			t.Fatal(err)
		}
		b.AddCustomers(customers)
		b.Freeze()
		b.SetCatalog(cat)
		return b
	}
	shared, plain := mk(), mk()
	sharedProf, plainProf := shared.NewEventProfile(cut), plain.NewEventProfile(cut)
	var pool namePool
	for range 30 {
		names := pool.batch(rng, words, 1+rng.IntN(1500))
		rows := make([]data.Event, len(names))
		own := make([]data.Event, len(names))
		for r, name := range names {
			rows[r] = data.Event{
				CustomerID: customers[rng.IntN(len(customers))].ID,
				TS:         cut - rng.Int64N(200*dayNS),
				Event:      name,
				Quantity:   1,
			}
			if rng.IntN(50) == 0 {
				rows[r].TS = data.NoTime
			}
			if rng.IntN(100) == 0 {
				rows[r].CustomerID = "unknown"
			}
			own[r] = rows[r]
			own[r].Event = string([]byte(name))
		}
		// Both folds see this batch before the pool's buffers are reused.
		if a, b := shared.AddEvents(rows), plain.AddEvents(own); a != b {
			t.Fatalf("%d unknown rows, want %d", a, b)
		}
		sharedProf.AddEventRows(rows)
		plainProf.AddEventRows(own)
	}
	if a, b := fmt.Sprint(sharedProf.Catalog(16)), fmt.Sprint(plainProf.Catalog(16)); a != b {
		t.Errorf("catalogue %s, want %s", a, b)
	}
	fa, err := shared.Build(allTables)
	if err != nil {
		t.Fatal(err)
	}
	fb, err := plain.Build(allTables)
	if err != nil {
		t.Fatal(err)
	}
	if j := fa.Col("core_actions_30d"); j < 0 || !slices.ContainsFunc(fa.X, func(v float64) bool { return v > 0 }) {
		t.Fatal("the fold counted no events: the test compares nothing")
	}
	if !slices.Equal(fa.Names, fb.Names) || fa.Rows() != fb.Rows() {
		t.Fatalf("frame %d x %d, want %d x %d", fa.Rows(), len(fa.Names), fb.Rows(), len(fb.Names))
	}
	for i := range fa.X {
		a, b := fa.X[i], fb.X[i]
		if a != b && !(math.IsNaN(a) && math.IsNaN(b)) {
			t.Fatalf("row %d %s = %v, want %v", i/len(fa.Names), fa.Names[i%len(fa.Names)], a, b)
		}
	}
}

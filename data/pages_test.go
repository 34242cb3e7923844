package data

import (
	"context"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
	"github.com/parquet-go/parquet-go"
)

// cloneRow copies the strings of a row out of the reader's buffers, as a
// caller that keeps rows must.
func cloneRow[T Row](r T) T {
	v := reflect.ValueOf(&r).Elem()
	for i := 0; i < v.NumField(); i++ {
		if f := v.Field(i); f.Kind() == reflect.String {
			f.SetString(strings.Clone(f.String()))
		}
	}
	return r
}

// readBoth reads f by the page path and by Arrow's record reader, in
// batches of batch rows, and fails unless both give the same rows, counts
// and row errors. It returns the rows and whether the page path was taken.
func readBoth[T Row](t *testing.T, f File, batch int) []T {
	t.Helper()
	read := func(arrowOnly bool) ([]T, FileStats, []string, error) {
		var rows []T
		var bad []string
		opt := ReadOptions{BatchSize: batch, arrowOnly: arrowOnly, Until: time20260101,
			OnBad: func(e *RowError) error { bad = append(bad, e.Error()); return nil }}
		st, err := ReadFile(context.Background(), f, opt, func(b []T) error {
			for _, r := range b {
				rows = append(rows, cloneRow(r))
			}
			return nil
		})
		return rows, st, bad, err
	}
	got, gst, gbad, gerr := read(false)
	want, wst, wbad, werr := read(true)
	if gerr != nil || werr != nil {
		t.Fatalf("%s: page path error %v, Arrow error %v", f.Rel, gerr, werr)
	}
	sameRows(t, got, want)
	if !reflect.DeepEqual(gst, wst) {
		t.Errorf("%s: page path stats %+v, Arrow %+v", f.Rel, gst, wst)
	}
	if !reflect.DeepEqual(gbad, wbad) {
		t.Errorf("%s: page path row errors %q, Arrow %q", f.Rel, gbad, wbad)
	}
	for _, arrowOnly := range []bool{false, true} {
		readKeyed(t, f, batch, arrowOnly, want, wst)
	}
	return got
}

// readKeyed reads f with ReadKeyed and fails unless it gives the rows and
// stats of ReadFile (want, wst), with each row's key that of its customer
// id as the row has it.
func readKeyed[T Row](t *testing.T, f File, batch int, arrowOnly bool, want []T, wst FileStats) (calls int64) {
	t.Helper()
	var n atomic.Int64
	key := func(id string) int32 {
		n.Add(1)
		return idKey(id)
	}
	var rows []T
	opt := ReadOptions{BatchSize: batch, arrowOnly: arrowOnly, Until: time20260101}
	st, err := ReadKeyed(context.Background(), f, opt, key, func(b []T, keys []int32) error {
		if len(keys) != len(b) {
			t.Fatalf("%s: %d keys for %d rows", f.Rel, len(keys), len(b))
		}
		for i, r := range b {
			id := reflect.ValueOf(r).Field(0).String()
			if want := idKey(id); keys[i] != want {
				t.Fatalf("%s (arrowOnly %v): row %d id %q: key %d, want %d", f.Rel, arrowOnly, len(rows)+i, id, keys[i], want)
			}
		}
		for _, r := range b {
			rows = append(rows, cloneRow(r))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s: ReadKeyed: %v", f.Rel, err)
	}
	sameRows(t, rows, want)
	if !reflect.DeepEqual(st, wst) {
		t.Errorf("%s (arrowOnly %v): ReadKeyed stats %+v, ReadFile %+v", f.Rel, arrowOnly, st, wst)
	}
	if cols := readKeyedColumns[T](t, f, batch, arrowOnly); cols != nil {
		sameRows(t, cols, want)
	}
	calls = n.Load()
	if arrowOnly && calls != int64(len(rows)) {
		t.Errorf("%s: Arrow path: key called %d times for %d rows, want once a row", f.Rel, calls, len(rows))
	} else if calls > int64(len(rows)) {
		t.Errorf("%s: page path: key called %d times for %d rows", f.Rel, calls, len(rows))
	}
	return calls
}

// idKey is the key function of the keyed-read tests.
func idKey(id string) int32 {
	if id == "" {
		return math.MinInt32 + 1
	}
	return int32(crc32.ChecksumIEEE([]byte(id)) >> 1)
}

// readKeyedColumns reads f with ReadKeyedColumns, when T has a column
// batch, and returns its rows, failing unless every key is that of the
// row's id. It returns nil for the other tables.
func readKeyedColumns[T Row](t *testing.T, f File, batch int, arrowOnly bool) []T {
	t.Helper()
	var rows []any
	opt := ReadOptions{BatchSize: batch, arrowOnly: arrowOnly, Until: time20260101}
	checkKeys := func(ids []string, keys []int32) {
		if len(keys) != len(ids) {
			t.Fatalf("%s: %d keys for %d rows", f.Rel, len(keys), len(ids))
		}
		for i, id := range ids {
			if want := idKey(id); keys[i] != want {
				t.Fatalf("%s (columns, arrowOnly %v): id %q: key %d, want %d", f.Rel, arrowOnly, id, keys[i], want)
			}
		}
	}
	var err error
	switch any(*new(T)).(type) {
	case Session:
		_, err = ReadKeyedColumns(context.Background(), f, opt, idKey, func(c *SessionColumns, keys []int32) error {
			checkKeys(c.CustomerID, keys)
			for i := range c.CustomerID {
				rows = append(rows, cloneRow(Session{c.CustomerID[i], c.StartedAt[i], c.DurationS[i], c.Pages[i], c.Channel[i]}))
			}
			return nil
		})
	case Event:
		var st FileStats
		st, err = ReadKeyedColumns(context.Background(), f, opt, idKey, func(c *EventColumns, keys []int32) error {
			checkKeys(c.CustomerID, keys)
			for i := range c.CustomerID {
				rows = append(rows, cloneRow(Event{c.CustomerID[i], c.TS[i], c.Event[i], c.Quantity[i]}))
			}
			return nil
		})
		if err != nil {
			break
		}
		// ReadEventKeys: the same rows, keys and stats, without the
		// quantity.
		var n int
		kst, kerr := ReadEventKeys(context.Background(), f, opt, idKey, func(c *EventColumns, keys []int32) error {
			checkKeys(c.CustomerID, keys)
			if c.Quantity != nil {
				t.Fatalf("%s: ReadEventKeys gave quantities", f.Rel)
			}
			for i := range c.CustomerID {
				if n >= len(rows) {
					t.Fatalf("%s: ReadEventKeys gives more than %d rows", f.Rel, len(rows))
				}
				want := rows[n].(Event)
				if got := (Event{c.CustomerID[i], c.TS[i], c.Event[i], want.Quantity}); got != want {
					t.Fatalf("%s: ReadEventKeys row %d is %+v, want %+v", f.Rel, n, got, want)
				}
				n++
			}
			return nil
		})
		if kerr != nil || n != len(rows) || !reflect.DeepEqual(kst, st) {
			t.Fatalf("%s: ReadEventKeys: %d rows, stats %+v, error %v; want %d rows, stats %+v", f.Rel, n, kst, kerr, len(rows), st)
		}
	default:
		return nil
	}
	if err != nil {
		t.Fatalf("%s: ReadKeyedColumns: %v", f.Rel, err)
	}
	out := make([]T, len(rows))
	for i, r := range rows {
		out[i] = r.(T)
	}
	return out
}

// TestReadKeyedDictionary: where customer ids are dictionary encoded (our
// writer encodes strings so), the page path asks for the key of each
// distinct id once per row group, not once per row.
func TestReadKeyedDictionary(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sessions.parquet")
	var rows []Session
	for i := range 5000 {
		rows = append(rows, Session{CustomerID: fmt.Sprintf("c%03d", i*7%300), StartedAt: t0 + int64(i)*1e9, DurationS: 1, Pages: 2, Channel: "web"})
	}
	if err := writeTable(p, rows); err != nil {
		t.Fatal(err)
	}
	f := File{Path: p, Rel: "sessions.parquet", Table: Sessions}
	want := readBoth[Session](t, f, DefaultBatchSize)
	wst := FileStats{Rows: int64(len(rows)), Kept: int64(len(rows))}
	calls := readKeyed(t, f, DefaultBatchSize, false, want, wst)
	if groups := pageRowGroups(t, p); groups < 2 || calls > int64(300*groups) || calls < 300 {
		t.Errorf("key called %d times for 300 ids in %d row groups (%d rows)", calls, groups, len(rows))
	}
}

func pageRowGroups(t *testing.T, path string) int {
	t.Helper()
	r, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	return r.NumRowGroups()
}

var time20260101 = int64(1_767_225_600_000_000_000)

// TestPagePathDuckDB reads files DuckDB wrote (testdata/duckdb/make.mjs:
// dictionary and plain pages in one chunk, nulls, several row groups,
// DATE, TIMESTAMP, TIMESTAMP_NS and TIMESTAMPTZ, integers of every width,
// FLOAT, bad NPS and CSAT values, accented text) both ways.
func TestPagePathDuckDB(t *testing.T) {
	dir := filepath.Join("testdata", "duckdb")
	file := func(t Table) File {
		p := filepath.Join(dir, string(t)+".parquet")
		return File{Path: p, Rel: p, Table: t}
	}
	for _, tb := range Tables {
		mustTakePages(t, file(tb))
	}
	for _, batch := range []int{7, 4096, DefaultBatchSize} {
		t.Run(fmt.Sprint("batch=", batch), func(t *testing.T) {
			if n := len(readBoth[Customer](t, file(Customers), batch)); n != 3000 {
				t.Errorf("customers: %d rows, want 3000", n)
			}
			if n := len(readBoth[Session](t, file(Sessions), batch)); n != 24000 {
				t.Errorf("sessions: %d rows, want 24000", n)
			}
			readBoth[Event](t, file(Events), batch)
			tickets := readBoth[Ticket](t, file(Tickets), batch)
			if len(tickets) != 4000 || tickets[0].Text != "" || !strings.HasPrefix(tickets[2].Text, "Não consigo") {
				t.Errorf("%d tickets; texts %q, %q", len(tickets), tickets[0].Text, tickets[2].Text)
			}
			readBoth[Survey](t, file(Surveys), batch)
			readBoth[Order](t, file(Orders), batch)
		})
	}
}

// TestPagePathTableWriter writes random rows of every table with our
// writer (parquet-go: dictionary pages, small row groups, nulls, bad rows,
// long and invalid UTF-8 text) and reads them both ways.
func TestPagePathTableWriter(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	dir := t.TempDir()
	str := func(i int) string {
		switch rng.IntN(12) {
		case 0:
			return ""
		case 1:
			return "bad\xff\xfeutf8"
		case 2:
			return strings.Repeat("é", MaxTextBytes/2+rng.IntN(10))
		case 3:
			return "ção " + fmt.Sprint(i)
		}
		return fmt.Sprintf("c%04d", rng.IntN(300))
	}
	num := func() float64 {
		switch rng.IntN(10) {
		case 0:
			return math.NaN()
		case 1:
			return -1
		}
		return float64(rng.IntN(12))
	}
	ts := func() int64 {
		if rng.IntN(15) == 0 {
			return NoTime
		}
		return t0 + rng.Int64N(1e17)
	}
	const n = 5000
	write := func(name string, rows any) File {
		path := filepath.Join(dir, name+".parquet")
		var err error
		switch r := rows.(type) {
		case []Session:
			err = writeTable(path, r)
		case []Ticket:
			err = writeTable(path, r)
		case []Survey:
			err = writeTable(path, r)
		}
		if err != nil {
			t.Fatal(err)
		}
		return File{Path: path, Rel: name, Table: Table(name)}
	}
	var sessions []Session
	var tickets []Ticket
	var surveys []Survey
	for i := range n {
		sessions = append(sessions, Session{CustomerID: str(i), StartedAt: ts(), DurationS: num(), Pages: num(), Channel: str(i)})
		tickets = append(tickets, Ticket{CustomerID: str(i), TicketID: str(i), CreatedAt: ts(), Channel: str(i), Text: str(i),
			Sentiment: num() / 5, FirstResponseS: num(), ResolvedAt: ts(), CSAT: num(), Effort: num()})
		surveys = append(surveys, Survey{CustomerID: str(i), AnsweredAt: ts(), NPS: rng.IntN(13) - 1, Comment: str(i)})
	}
	fs, ft, fv := write("sessions", sessions), write("tickets", tickets), write("surveys", surveys)
	for _, f := range []File{fs, ft, fv} {
		mustTakePages(t, f)
	}
	for _, batch := range []int{1, 333, DefaultBatchSize} {
		readBoth[Session](t, fs, batch)
		readBoth[Ticket](t, ft, batch)
		readBoth[Survey](t, fv, batch)
	}
}

func writeTable[T Row](path string, rows []T) error {
	w, err := NewTableWriter[T](path, WriteOptions{RowGroupRows: 1700})
	if err != nil {
		return err
	}
	if err := w.Write(rows); err != nil {
		return err
	}
	return w.Close()
}

// TestPagePathCorrupt: a file the page path reads whose column chunk is
// cut short is an error naming the file and column, not a panic or a
// short read.
func TestPagePathCorrupt(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "duckdb", "events.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	bad := append([]byte(nil), src...)
	for i := 3000; i < 3064; i++ { // inside the first column chunk's pages
		bad[i] ^= 0x5a
	}
	path := filepath.Join(t.TempDir(), "events.parquet")
	if err := os.WriteFile(path, bad, 0o644); err != nil {
		t.Fatal(err)
	}
	var rows int
	_, err = ReadFile(context.Background(), File{Path: path, Rel: "events/x.parquet", Table: Events}, ReadOptions{},
		func(b []Event) error { rows += len(b); return nil })
	var fe *FileError
	if !errors.As(err, &fe) || fe.File != "events/x.parquet" {
		t.Fatalf("corrupt file: %d rows, error %v; want a FileError naming the file", rows, err)
	}
	if !errors.Is(err, ErrCorrupt) {
		t.Errorf("error %v is not ErrCorrupt", err)
	}
}

// pagesTaken returns how many of the row groups of f, a file of table
// f.Table, the page path reads, of how many, and why the first it does not
// read is not.
func pagesTaken(t *testing.T, f File) (taken, groups int, why string) {
	t.Helper()
	pr, err := file.OpenParquetFile(f.Path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	fr, err := pqarrow.NewFileReader(pr, pqarrow.ArrowReadProperties{}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	r := &reader{table: f.Table, file: f.Rel, cols: make([]colVec, len(Contract[f.Table]))}
	leaves, err := r.resolve(fr, nil)
	if err != nil {
		t.Fatal(err)
	}
	groups = pr.NumRowGroups()
	if why = r.pagesWhy(pr, leaves); why != "" {
		return 0, groups, why
	}
	osf, err := os.Open(f.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer osf.Close()
	for rg := range groups {
		w := r.groupWhy(pr, leaves, rg)
		if w == "" {
			// As readFile decides, once the page headers are read.
			if err := r.checkPages(osf, pr.MetaData(), leaves, rg); err != nil {
				t.Fatal(err)
			}
			w = r.levelsWhy(pr.MetaData(), leaves, rg)
		}
		if w == "" {
			taken++
		} else if why == "" {
			why = fmt.Sprintf("row group %d: %s", rg, w)
		}
	}
	return taken, groups, why
}

// mustTakePages fails unless the page path reads every row group of f.
func mustTakePages(t *testing.T, f File) {
	t.Helper()
	if taken, groups, why := pagesTaken(t, f); taken != groups {
		t.Errorf("%s: the page path reads %d of %d row groups: %s", f.Rel, taken, groups, why)
	}
}

// TestPagePathPlainText reads PLAIN-encoded strings, where the page path
// checks UTF-8 once per batch: long texts, invalid bytes, and two values
// whose bytes are valid only together ("ab\xc3" then "\xa9cd" make
// "abécd"), which must each be cleaned as Arrow's path cleans them.
func TestPagePathPlainText(t *testing.T) {
	type plainTicket struct {
		CustomerID string    `parquet:"customer_id,plain"`
		TicketID   string    `parquet:"ticket_id,plain"`
		CreatedAt  time.Time `parquet:"created_at,timestamp(microsecond)"`
		Text       *string   `parquet:"text,optional,plain"`
	}
	texts := []string{"ab\xc3", "\xa9cd", strings.Repeat("é", MaxTextBytes/2+3), "ok", "não", "x\xffy", ""}
	var rows []plainTicket
	for i := range 200 {
		tk := plainTicket{CustomerID: fmt.Sprintf("c%d", i%17), TicketID: fmt.Sprint(i), CreatedAt: time.Unix(1_700_000_000+int64(i), 0).UTC()}
		if i%5 != 4 {
			s := texts[i%len(texts)]
			tk.Text = &s
		}
		rows = append(rows, tk)
	}
	// The same, with every text valid, so that the batch check passes and
	// only the length and boundary checks can clean a value.
	var valid []plainTicket
	for _, r := range rows {
		if r.Text != nil && !utf8.ValidString(*r.Text) && *r.Text != "ab\xc3" && *r.Text != "\xa9cd" {
			continue
		}
		valid = append(valid, r)
	}
	for name, rs := range map[string][]plainTicket{"mixed": rows, "boundary": valid} {
		path := filepath.Join(t.TempDir(), name+".parquet")
		if err := parquet.WriteFile(path, rs); err != nil {
			t.Fatal(err)
		}
		f := File{Path: path, Rel: name, Table: Tickets}
		mustTakePages(t, f)
		for _, batch := range []int{1, 2, 3, 64, 1000} {
			got := readBoth[Ticket](t, f, batch)
			for _, tk := range got {
				if !utf8.ValidString(tk.Text) || len(tk.Text) > MaxTextBytes {
					t.Fatalf("%s batch %d: text of %d bytes, valid UTF-8 %v, kept as is", name, batch, len(tk.Text), utf8.ValidString(tk.Text))
				}
			}
		}
	}
}

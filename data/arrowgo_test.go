package data

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/compress"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
)

// interopData is one small dataset of the six contract tables that breaks
// no row rule: every row is kept as it is, so any reader's rows can be
// compared to any other's value for value. It has nulls in every optional
// column, dictionary-friendly strings (few distinct values) with nulls,
// unique strings, accented text, negative amounts, and timestamps of
// microsecond precision between 1999 and 2025.
type interopData struct {
	customers []Customer
	sessions  []Session
	events    []Event
	tickets   []Ticket
	surveys   []Survey
	orders    []Order
}

// rows returns the rows of table t as a slice of its row type.
func (d *interopData) rows(t Table) any {
	switch t {
	case Customers:
		return d.customers
	case Sessions:
		return d.sessions
	case Events:
		return d.events
	case Tickets:
		return d.tickets
	case Surveys:
		return d.surveys
	}
	return d.orders
}

func makeInteropData(scale int) *interopData {
	rng := rand.New(rand.NewPCG(13, 2026))
	const lo = int64(915_148_800_000_000) // 1999-01-01, in microseconds
	const span = int64(820_000_000_000_000)
	ts := func() int64 { return (lo + rng.Int64N(span)) * 1000 }
	maybe := func(p int, s string) string {
		if rng.IntN(p) == 0 {
			return ""
		}
		return s
	}
	pick := func(vs ...string) string { return vs[rng.IntN(len(vs))] }
	num := func(p int, v float64) float64 {
		if rng.IntN(p) == 0 {
			return math.NaN()
		}
		return v
	}
	nullTime := func(p int) int64 {
		if rng.IntN(p) == 0 {
			return NoTime
		}
		return ts()
	}
	d := &interopData{}
	nc := 40 * scale
	id := func() string { return fmt.Sprintf("c%05d", rng.IntN(nc)) }
	for i := range nc {
		d.customers = append(d.customers, Customer{ID: fmt.Sprintf("c%05d", i), SignupAt: ts(),
			Plan: maybe(5, pick("basic", "pro", "team")), Region: maybe(4, pick("north", "south", "é-région", "日本")),
			Channel: maybe(3, pick("ads", "organic")), CancelledAt: nullTime(2)})
	}
	for range 400 * scale {
		d.sessions = append(d.sessions, Session{CustomerID: id(), StartedAt: ts(), DurationS: num(7, float64(rng.IntN(7200))/8),
			Pages: num(9, float64(rng.IntN(40))), Channel: maybe(4, pick("web", "ios", "android"))})
	}
	for range 300 * scale {
		d.events = append(d.events, Event{CustomerID: id(), TS: ts(), Event: pick("login", "export", "share", "invite"),
			Quantity: float64(1 + rng.IntN(9))})
	}
	for i := range 60 * scale {
		text := maybe(3, fmt.Sprintf("Não consigo acessar %d, péssimo", i))
		if rng.IntN(4) == 0 && text != "" {
			text = fmt.Sprintf("thanks %d", rng.IntN(5))
		}
		d.tickets = append(d.tickets, Ticket{CustomerID: id(), TicketID: maybe(6, fmt.Sprintf("t%d", i)), CreatedAt: ts(),
			Channel: maybe(5, pick("email", "chat")), Text: text, Sentiment: num(3, float64(rng.IntN(21)-10)/10),
			FirstResponseS: num(4, float64(rng.IntN(100000))), ResolvedAt: nullTime(3),
			CSAT: num(4, float64(1+rng.IntN(5))), Effort: num(5, float64(1+rng.IntN(5)))})
	}
	for range 50 * scale {
		d.surveys = append(d.surveys, Survey{CustomerID: id(), AnsweredAt: ts(), NPS: rng.IntN(11), Comment: maybe(2, pick("great", "slow", "ok"))})
	}
	for i := range 80 * scale {
		d.orders = append(d.orders, Order{CustomerID: id(), TS: ts(), Amount: float64(rng.IntN(40000)-2000) / 100,
			OrderID: maybe(7, fmt.Sprintf("o%06d", i)), Margin: num(3, float64(rng.IntN(100))/100)})
	}
	return d
}

// arrowOpts says how writeArrowTable writes a table with Arrow's Go writer.
type arrowOpts struct {
	unit     arrow.TimeUnit // of TIMESTAMP columns
	int96    bool           // timestamps as INT96, as legacy Spark and Impala write them
	date     bool           // signup_at as DATE (its values are then whole days)
	binary   bool           // strings as BINARY, without the UTF8 annotation
	int64    bool           // integer columns as INT64 rather than INT32
	required bool           // required contract columns as REQUIRED, not OPTIONAL
	props    []parquet.WriterProperty
}

// truncTime is ns cut to what unit u (or DATE) can hold.
func truncTime(ns int64, o arrowOpts, c Column) int64 {
	if ns == NoTime {
		return ns
	}
	if o.date && c.Name == "signup_at" {
		return ns / nsPerDay * nsPerDay
	}
	if o.int96 {
		return ns
	}
	per := nsPer(o.unit)
	return ns / per * per
}

// expectRows is what a reader of table t written with o must hand on:
// the rows with their timestamps cut to the file's unit.
func expectRows[T Row](rows []T, o arrowOpts, t Table) []T {
	out := make([]T, len(rows))
	for i, r := range rows {
		v := reflect.ValueOf(&r).Elem()
		for c, col := range Contract[t] {
			if col.Kind == Timestamp {
				v.Field(c).SetInt(truncTime(v.Field(c).Int(), o, col))
			}
		}
		out[i] = r
	}
	return out
}

// writeArrowTable writes rows of table t to path with Arrow's Go writer.
func writeArrowTable[T Row](tb testing.TB, path string, t Table, rows []T, o arrowOpts) {
	tb.Helper()
	var fields []arrow.Field
	for _, c := range Contract[t] {
		f := arrow.Field{Name: c.Name, Nullable: !(o.required && c.Required)}
		switch c.Kind {
		case String:
			f.Type = arrow.BinaryTypes.String
			if o.binary {
				f.Type = arrow.BinaryTypes.Binary
			}
		case Timestamp:
			f.Type = &arrow.TimestampType{Unit: o.unit, TimeZone: "UTC"}
			if o.date && c.Name == "signup_at" {
				f.Type = arrow.FixedWidthTypes.Date32
			}
		case Float:
			f.Type = arrow.PrimitiveTypes.Float64
		case Int:
			f.Type = arrow.PrimitiveTypes.Int32
			if o.int64 {
				f.Type = arrow.PrimitiveTypes.Int64
			}
		}
		fields = append(fields, f)
	}
	mem := memory.NewGoAllocator()
	b := array.NewRecordBuilder(mem, arrow.NewSchema(fields, nil))
	defer b.Release()
	for _, r := range rows {
		v := reflect.ValueOf(r)
		for c, col := range Contract[t] {
			fv := v.Field(c)
			switch fb := b.Field(c).(type) {
			case *array.StringBuilder:
				if s := fv.String(); s == "" && !col.Required {
					fb.AppendNull()
				} else {
					fb.Append(s)
				}
			case *array.BinaryBuilder:
				if s := fv.String(); s == "" && !col.Required {
					fb.AppendNull()
				} else {
					fb.AppendString(s)
				}
			case *array.TimestampBuilder:
				if ns := fv.Int(); ns == NoTime {
					fb.AppendNull()
				} else {
					fb.Append(arrow.Timestamp(ns / nsPer(o.unit)))
				}
			case *array.Date32Builder:
				fb.Append(arrow.Date32(fv.Int() / nsPerDay))
			case *array.Float64Builder:
				if x := fv.Float(); math.IsNaN(x) {
					fb.AppendNull()
				} else {
					fb.Append(x)
				}
			case *array.Int32Builder:
				if fv.Kind() == reflect.Int {
					fb.Append(int32(fv.Int()))
				} else if x := fv.Float(); math.IsNaN(x) {
					fb.AppendNull()
				} else {
					fb.Append(int32(x))
				}
			case *array.Int64Builder:
				if fv.Kind() == reflect.Int {
					fb.Append(fv.Int())
				} else if x := fv.Float(); math.IsNaN(x) {
					fb.AppendNull()
				} else {
					fb.Append(int64(x))
				}
			}
		}
	}
	rec := b.NewRecord()
	defer rec.Release()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		tb.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	aprops := []pqarrow.WriterOption{pqarrow.WithStoreSchema()}
	if o.int96 {
		aprops = append(aprops, pqarrow.WithDeprecatedInt96Timestamps(true))
	}
	fw, err := pqarrow.NewFileWriter(rec.Schema(), f, parquet.NewWriterProperties(o.props...), pqarrow.NewArrowWriterProperties(aprops...))
	if err != nil {
		tb.Fatal(err)
	}
	if err := fw.Write(rec); err != nil {
		tb.Fatal(err)
	}
	if err := fw.Close(); err != nil {
		tb.Fatal(err)
	}
}

// readAll reads f with ReadFile and opt, keeping clones of every row.
func readAll[T Row](t *testing.T, f File, opt ReadOptions) []T {
	t.Helper()
	var rows []T
	st, err := ReadFile(context.Background(), f, opt, func(b []T) error {
		for _, r := range b {
			rows = append(rows, cloneRow(r))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", f.Rel, err)
	}
	if st.Rows != st.Kept {
		t.Fatalf("%s: kept %d of %d rows: %v", f.Rel, st.Kept, st.Rows, st.Skipped)
	}
	return rows
}

// TestArrowGoLegacyManyPages reads files in the shape that a buffer-reusing
// allocator corrupted silently (rows rewritten by Arrow's Go writer with v1
// pages, INT96 timestamps, gzip, dictionary strings with nulls, and many
// row groups and pages, so that Arrow frees and allocates buffers again
// and again within a read) and holds every value to the rows written. Run
// with -count=N, it stays exact: with the recycled buffers, values of
// earlier pages changed from run to run.
func TestArrowGoLegacyManyPages(t *testing.T) {
	d := makeInteropData(20)
	dir := t.TempDir()
	o := arrowOpts{unit: arrow.Nanosecond, int96: true, props: []parquet.WriterProperty{
		parquet.WithCompression(compress.Codecs.Gzip), parquet.WithDataPageVersion(parquet.DataPageV1),
		parquet.WithDictionaryDefault(true), parquet.WithDataPageSize(2048), parquet.WithMaxRowGroupLength(700),
		parquet.WithBatchSize(128)}}
	sf := File{Path: filepath.Join(dir, "sessions.parquet"), Rel: "sessions.parquet", Table: Sessions}
	tf := File{Path: filepath.Join(dir, "tickets.parquet"), Rel: "tickets.parquet", Table: Tickets}
	writeArrowTable(t, sf.Path, Sessions, d.sessions, o)
	writeArrowTable(t, tf.Path, Tickets, d.tickets, o)
	if groups := pageRowGroups(t, sf.Path); groups < 5 {
		t.Fatalf("%d row groups, want many", groups)
	}
	mustTakePages(t, sf)
	for _, opt := range []ReadOptions{{}, {arrowOnly: true}, {BatchSize: 100}} {
		sameRows(t, readAll[Session](t, sf, opt), expectRows(d.sessions, o, Sessions))
		sameRows(t, readAll[Ticket](t, tf, opt), expectRows(d.tickets, o, Tickets))
	}
}

// TestPagePathInt96Extremes: INT96 instants before 1970, near the ends of
// the nanosecond range and after the read bound read the same on the page
// path as on Arrow's, which converts INT96 itself.
func TestPagePathInt96Extremes(t *testing.T) {
	var rows []Session
	for i, ts := range []string{"1677-09-22T00:00:00Z", "1700-01-01T12:00:00.000000001Z", "1899-12-31T23:59:59.999999999Z",
		"1969-12-31T23:59:59.999999999Z", "1970-01-01T00:00:00Z", "2000-02-29T13:14:15.161718192Z", "2262-04-11T23:47:16Z"} {
		at, err := time.Parse(time.RFC3339Nano, ts)
		if err != nil {
			t.Fatal(err)
		}
		rows = append(rows, Session{CustomerID: fmt.Sprintf("c%d", i%6), StartedAt: at.UnixNano(), DurationS: 1, Pages: 1, Channel: "web"})
	}
	for _, dict := range []bool{false, true} {
		f := File{Path: filepath.Join(t.TempDir(), "sessions.parquet"), Rel: "sessions.parquet", Table: Sessions}
		writeArrowTable(t, f.Path, Sessions, rows, arrowOpts{unit: arrow.Nanosecond, int96: true,
			props: []parquet.WriterProperty{parquet.WithDictionaryDefault(dict)}})
		mustTakePages(t, f)
		if got := readBoth[Session](t, f, 3); len(got) != len(rows)-1 { // the last is after the bound
			t.Errorf("dictionary %v: %d rows read, want %d", dict, len(got), len(rows)-1)
		}
	}
}

// each calls check for every table of d with its rows, typed.
func (d *interopData) each(t *testing.T, check func(t *testing.T, tb Table, rows any)) {
	for _, tb := range Tables {
		t.Run(string(tb), func(t *testing.T) { check(t, tb, d.rows(tb)) })
	}
}

// readBothAs is readBoth for a table named at run time: it returns the
// rows that both paths read from f, as a slice of the table's row type.
func readBothAs(t *testing.T, f File, batch int) any {
	switch f.Table {
	case Customers:
		return readBoth[Customer](t, f, batch)
	case Sessions:
		return readBoth[Session](t, f, batch)
	case Events:
		return readBoth[Event](t, f, batch)
	case Tickets:
		return readBoth[Ticket](t, f, batch)
	case Surveys:
		return readBoth[Survey](t, f, batch)
	}
	return readBoth[Order](t, f, batch)
}

// readAllAs is readAll for a table named at run time.
func readAllAs(t *testing.T, f File, opt ReadOptions) any {
	switch f.Table {
	case Customers:
		return readAll[Customer](t, f, opt)
	case Sessions:
		return readAll[Session](t, f, opt)
	case Events:
		return readAll[Event](t, f, opt)
	case Tickets:
		return readAll[Ticket](t, f, opt)
	case Surveys:
		return readAll[Survey](t, f, opt)
	}
	return readAll[Order](t, f, opt)
}

// sameRowsAs is sameRows for slices of a row type named at run time.
func sameRowsAs(t *testing.T, got, want any) {
	t.Helper()
	switch g := got.(type) {
	case []Customer:
		sameRows(t, g, want.([]Customer))
	case []Session:
		sameRows(t, g, want.([]Session))
	case []Event:
		sameRows(t, g, want.([]Event))
	case []Ticket:
		sameRows(t, g, want.([]Ticket))
	case []Survey:
		sameRows(t, g, want.([]Survey))
	case []Order:
		sameRows(t, g, want.([]Order))
	default:
		t.Fatalf("rows of type %T", got)
	}
}

// writeArrowAny is writeArrowTable for rows of a type named at run time;
// it returns the rows a reader must hand on.
func writeArrowAny(t *testing.T, path string, tb Table, rows any, o arrowOpts) any {
	switch r := rows.(type) {
	case []Customer:
		writeArrowTable(t, path, tb, r, o)
		return expectRows(r, o, tb)
	case []Session:
		writeArrowTable(t, path, tb, r, o)
		return expectRows(r, o, tb)
	case []Event:
		writeArrowTable(t, path, tb, r, o)
		return expectRows(r, o, tb)
	case []Ticket:
		writeArrowTable(t, path, tb, r, o)
		return expectRows(r, o, tb)
	case []Survey:
		writeArrowTable(t, path, tb, r, o)
		return expectRows(r, o, tb)
	case []Order:
		writeArrowTable(t, path, tb, r, o)
		return expectRows(r, o, tb)
	}
	t.Fatalf("rows of type %T", rows)
	return nil
}

// arrowVariants are the options of Arrow's Go writer that the interop
// tests write the dataset with; pages says whether the page path must
// read every row group of their files (without statistics, which it
// never writes for INT96, Arrow's Go writer counts no nulls in its v2 page
// headers: the page path reads only the files whose columns of that kind
// hold no nulls).
//
// deltaInt marks files with DELTA_BINARY_PACKED integers: Arrow Go v17's
// record reader panics on them ("slice bounds out of range") when a batch
// ends inside a miniblock, so both paths are compared in batches larger
// than a row group, and the page path alone in small batches.
var arrowVariants = []struct {
	name     string
	o        arrowOpts
	pages    bool
	deltaInt bool
}{
	{"v1-dict-snappy-us", arrowOpts{unit: arrow.Microsecond, props: []parquet.WriterProperty{
		parquet.WithDataPageVersion(parquet.DataPageV1), parquet.WithCompression(compress.Codecs.Snappy)}}, true, false},
	{"v2-dict-zstd-ms-required", arrowOpts{unit: arrow.Millisecond, required: true, props: []parquet.WriterProperty{
		parquet.WithDataPageVersion(parquet.DataPageV2), parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithDataPageSize(4096), parquet.WithMaxRowGroupLength(3000)}}, true, false},
	{"v1-plain-gzip-ns-int64", arrowOpts{unit: arrow.Nanosecond, int64: true, props: []parquet.WriterProperty{
		parquet.WithDataPageVersion(parquet.DataPageV1), parquet.WithDictionaryDefault(false),
		parquet.WithCompression(compress.Codecs.Gzip)}}, true, false},
	{"v1-nostats-brotli", arrowOpts{unit: arrow.Microsecond, props: []parquet.WriterProperty{
		parquet.WithDataPageVersion(parquet.DataPageV1), parquet.WithStats(false), parquet.WithCompression(compress.Codecs.Brotli)}}, true, false},
	{"v2-nostats-brotli", arrowOpts{unit: arrow.Microsecond, props: []parquet.WriterProperty{
		parquet.WithDataPageVersion(parquet.DataPageV2), parquet.WithStats(false), parquet.WithCompression(compress.Codecs.Brotli)}}, false, false},
	{"v2-delta-brotli-us-date", arrowOpts{unit: arrow.Microsecond, date: true, props: append([]parquet.WriterProperty{
		parquet.WithDataPageVersion(parquet.DataPageV2), parquet.WithDictionaryDefault(false),
		parquet.WithCompression(compress.Codecs.Brotli), parquet.WithMaxRowGroupLength(2500)}, deltaEncodings()...)}, true, true},
	{"v2-lz4raw-binary-dict-small-pages", arrowOpts{unit: arrow.Microsecond, binary: true, props: []parquet.WriterProperty{
		parquet.WithDataPageVersion(parquet.DataPageV2), parquet.WithCompression(lz4Raw),
		parquet.WithDataPageSize(1024), parquet.WithBatchSize(100), parquet.WithDictionaryPageSizeLimit(2048)}}, true, false},
	{"v1-uncompressed-int96", arrowOpts{unit: arrow.Nanosecond, int96: true, props: []parquet.WriterProperty{
		parquet.WithDataPageVersion(parquet.DataPageV1), parquet.WithCompression(compress.Codecs.Uncompressed)}}, true, false},
	{"v2-gzip-int96", arrowOpts{unit: arrow.Nanosecond, int96: true, props: []parquet.WriterProperty{
		parquet.WithDataPageVersion(parquet.DataPageV2), parquet.WithCompression(compress.Codecs.Gzip)}}, false, false},
}

// deltaEncodings sets every column of the contract to a delta encoding:
// DELTA_BINARY_PACKED for timestamps and integers, DELTA_BYTE_ARRAY and
// DELTA_LENGTH_BYTE_ARRAY for strings (every other column); doubles stay
// PLAIN (Arrow Go v17 has no BYTE_STREAM_SPLIT).
func deltaEncodings() []parquet.WriterProperty {
	var props []parquet.WriterProperty
	for _, tb := range Tables {
		for i, c := range Contract[tb] {
			switch {
			case c.Kind == Timestamp || c.Kind == Int:
				props = append(props, parquet.WithEncodingFor(c.Name, parquet.Encodings.DeltaBinaryPacked))
			case c.Kind == String && i%2 == 0:
				props = append(props, parquet.WithEncodingFor(c.Name, parquet.Encodings.DeltaByteArray))
			case c.Kind == String:
				props = append(props, parquet.WithEncodingFor(c.Name, parquet.Encodings.DeltaLengthByteArray))
			}
		}
	}
	return props
}

// TestArrowGoWriters writes the interop dataset with Arrow's Go writer in
// every variant and holds what both reading paths hand on (ReadFile,
// ReadKeyed and ReadKeyedColumns) to the rows written.
func TestArrowGoWriters(t *testing.T) {
	d := makeInteropData(10)
	for _, v := range arrowVariants {
		t.Run(v.name, func(t *testing.T) {
			dir := t.TempDir()
			d.each(t, func(t *testing.T, tb Table, rows any) {
				f := File{Path: filepath.Join(dir, string(tb)+".parquet"), Rel: v.name + "/" + string(tb), Table: tb}
				want := writeArrowAny(t, f.Path, tb, rows, v.o)
				if v.pages {
					mustTakePages(t, f)
				}
				if v.deltaInt {
					sameRowsAs(t, readBothAs(t, f, DefaultBatchSize), want)
					sameRowsAs(t, readAllAs(t, f, ReadOptions{BatchSize: 777}), want)
					return
				}
				for _, batch := range []int{777, DefaultBatchSize} {
					sameRowsAs(t, readBothAs(t, f, batch), want)
				}
			})
		})
	}
}

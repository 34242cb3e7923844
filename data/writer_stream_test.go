package data

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
)

// TestParquetStream writes outColumns in pieces (one empty) and reads back the
// types, values and nulls that WriteParquet gives, with the same bytes on
// every run.
func TestParquetStream(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.parquet"), filepath.Join(dir, "b.parquet")
	for _, p := range []string{a, b} {
		w, err := CreateParquetStream(p, outColumns(), WriteOptions{RowGroupRows: 2})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range [][2]int{{0, 1}, {1, 1}, {1, 3}} {
			cols := sliceColumns(outColumns(), r[0], r[1])
			if err := w.Write(cols); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	ab, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if !bytes.Equal(ab, bb) {
		t.Error("same pieces gave different bytes")
	}
	f, err := os.Open(a)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pr, err := file.NewParquetReader(f)
	if err != nil {
		t.Fatal(err)
	}
	if got := pr.NumRowGroups(); got != 2 || pr.MetaData().RowGroup(0).NumRows() != 2 {
		t.Errorf("%d row groups, the first of %d rows; want 2, of 2 rows whatever the pieces", got, pr.MetaData().RowGroup(0).NumRows())
	}
	fr, err := pqarrow.NewFileReader(pr, pqarrow.ArrowReadProperties{BatchSize: 10}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background()) // a test may read whole files
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	if tbl.NumRows() != 3 {
		t.Fatalf("rows = %d, want 3", tbl.NumRows())
	}
	wantTypes := []string{"utf8", "date32", "float64", "int64", "timestamp[ms, tz=UTC]"}
	for i, w := range wantTypes {
		f := tbl.Schema().Field(i)
		if f.Name != outColumns()[i].Name || f.Type.String() != w || !f.Nullable {
			t.Errorf("column %d = %s %s nullable %v, want %s %s nullable", i, f.Name, f.Type, f.Nullable, outColumns()[i].Name, w)
		}
	}
	ids := tbl.Column(0).Data().Chunk(0).(*array.String)
	if ids.Value(0) != "c1" || !ids.IsNull(1) {
		t.Errorf("customer_id = %v", ids)
	}
	if last := tbl.Column(0).Data().Chunk(0).(*array.String); last.Value(2) != "c3" {
		t.Errorf("customer_id of the second piece = %v", last)
	}
	asOf := tbl.Column(1).Data().Chunk(0).(*array.Date32)
	if asOf.Value(0) != arrow.Date32(t0/nsPerDay) {
		t.Errorf("as_of = %v", asOf)
	}
	if last := tbl.Column(1).Data().Chunk(0); !last.IsNull(2) {
		t.Errorf("as_of of the second piece = %v, want null", last)
	}
	ts := tbl.Column(4).Data().Chunk(0).(*array.Timestamp)
	if ts.Value(0) != arrow.Timestamp(t0/1_000_000+1) || !ts.IsNull(1) {
		t.Errorf("scored_at = %v", ts)
	}
	p := tbl.Column(2).Data().Chunk(0).(*array.Float64)
	if p.Value(0) != 0.25 || !p.IsNull(1) || math.IsNaN(p.Value(0)) {
		t.Errorf("churn_probability = %v", p)
	}
	if r := tbl.Column(3).Data().Chunk(0).(*array.Int64); r.Value(2) != 3 {
		t.Errorf("rank of the second piece = %v", r)
	}
}

func TestParquetStreamErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "c.parquet")
	w, err := CreateParquetStream(path, outColumns(), WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	bad := outColumns()
	bad[3].Ints = bad[3].Ints[:2]
	if err := w.Write(bad); !errors.Is(err, ErrLength) {
		t.Errorf("unequal lengths: %v, want ErrLength", err)
	}
	if err := w.Write(outColumns()[:2]); !errors.Is(err, ErrLength) {
		t.Errorf("too few columns: %v, want ErrLength", err)
	}
	w.Abort()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("aborted write left a file: %v", err)
	}
	dup := append(outColumns(), OutColumn{Name: "rank", Kind: Int})
	if _, err := CreateParquetStream(path, dup, WriteOptions{}); !errors.Is(err, ErrDuplicate) {
		t.Errorf("duplicate column: %v, want ErrDuplicate", err)
	}
}

// sliceColumns returns rows lo..hi-1 of cols.
func sliceColumns(cols []OutColumn, lo, hi int) []OutColumn {
	for i := range cols {
		c := &cols[i]
		switch c.Kind {
		case String:
			c.Strings = c.Strings[lo:hi]
		case Float:
			c.Floats = c.Floats[lo:hi]
		case Int:
			c.Ints = c.Ints[lo:hi]
		case Timestamp:
			c.Times = c.Times[lo:hi]
		}
	}
	return cols
}

// TestParquetStreamUniqueStrings: a string column of distinct values, its
// dictionary past Arrow's default 1 MB page limit, keeps one data page
// encoding, so that its metadata (an order Arrow takes from a map) is the
// same on every run.
func TestParquetStreamUniqueStrings(t *testing.T) {
	n := 100_000
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("customer-%012d", i)
	}
	path := filepath.Join(t.TempDir(), "ids.parquet")
	w, err := CreateParquetStream(path, []OutColumn{{Name: "customer_id", Kind: String}}, WriteOptions{RowGroupRows: n})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write([]OutColumn{{Name: "customer_id", Kind: String, Strings: ids}}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	r, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	cc, err := r.MetaData().RowGroup(0).ColumnChunk(0)
	if err != nil {
		t.Fatal(err)
	}
	data := map[parquet.Encoding]bool{}
	for _, s := range cc.EncodingStats() {
		if strings.HasPrefix(s.PageType.String(), "DATA_PAGE") {
			data[s.Encoding] = true
		}
	}
	if len(data) != 1 {
		t.Errorf("data page encodings %v, want one", data)
	}
}

// TestParquetStreamDictionaryPageAtRowGroupEnd: 32,768 distinct ids a row
// group, as in a feature table, fill a dictionary column's 64 KiB page at
// the row group's last values, so the page is written before the row group
// closes. Flushing that column again at the close panicked in Arrow's
// writer (an empty page); the stream must write the file and read back
// every id.
func TestParquetStreamDictionaryPageAtRowGroupEnd(t *testing.T) {
	const rg, n = 32768, 3 * 32768
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("customer-%08d", i)
	}
	xs := make([]float64, n)
	var pieces [][]OutColumn
	for lo := 0; lo < n; lo += rg / 2 {
		hi := lo + rg/2
		pieces = append(pieces, []OutColumn{{Name: "customer_id", Kind: String, Strings: ids[lo:hi]}, {Name: "x", Kind: Float, Floats: xs[lo:hi]}})
	}
	cols, _ := streamRoundTrip(t, filepath.Join(t.TempDir(), "ids.parquet"), WriteOptions{RowGroupRows: rg}, pieces...)
	if got := cols[0].Strings; len(got) != n || got[0] != ids[0] || got[n-1] != ids[n-1] || got[rg] != ids[rg] {
		t.Fatalf("read back %d ids, want %d in order", len(got), n)
	}
}

// TestParquetStreamFast: Fast writes the same values, compressed at
// another level (so other bytes).
func TestParquetStreamFast(t *testing.T) {
	const n = 100_000
	xs := make([]float64, n)
	for i := range xs {
		xs[i] = float64((i*7919)%53) / 4
	}
	dir := t.TempDir()
	var sizes []int64
	for _, fast := range []bool{false, true} {
		cols, size := streamRoundTrip(t, filepath.Join(dir, fmt.Sprint(fast, ".parquet")), WriteOptions{RowGroupRows: n, Fast: fast},
			[]OutColumn{{Name: "x", Kind: Float, Floats: xs}})
		for i, v := range cols[0].Floats {
			if v != xs[i] {
				t.Fatalf("fast=%v: value %d is %v, want %v", fast, i, v, xs[i])
			}
		}
		sizes = append(sizes, size)
	}
	if sizes[0] == sizes[1] {
		t.Errorf("Fast changed nothing: both files are %d bytes", sizes[0])
	}
}

// streamRoundTrip writes pieces to a ParquetStream at path (its columns
// those of the first piece) and returns the columns read back and the
// file's size.
func streamRoundTrip(t *testing.T, path string, opt WriteOptions, pieces ...[]OutColumn) ([]OutColumn, int64) {
	t.Helper()
	w, err := CreateParquetStream(path, pieces[0], opt)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pieces {
		if err := w.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	cols, err := ReadColumns(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return cols, fi.Size()
}

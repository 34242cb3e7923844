package data

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/compress"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/metadata"
	pqgo "github.com/parquet-go/parquet-go"

	"churn/internal/nodetest"
)

// TestInterop is the differential test of the readers: one dataset, the
// six tables of the contract, written by many writers in many options
// (DuckDB with v1 and v2 pages, every codec, small and large row groups,
// milli- and nanosecond timestamps, DATE and BLOB strings; Polars with
// LZ4_RAW, zstd and no compression; hyparquet-writer with a page index,
// delta and BYTE_STREAM_SPLIT encodings, or without statistics; Arrow Go
// in every variant of TestArrowGoWriters, INT96 included; parquet-go with
// its defaults and as our TableWriter). Every file is read by DuckDB and
// by ReadFile, ReadKeyed and ReadKeyedColumns on the page path and on
// Arrow's path, and every row must be the same. It also says which files
// take the page path, and fails where a file that should does not.
//
// DuckDB, Polars and hyparquet-writer run under Node.js (package
// nodetest; .ci/run installs them).
func TestInterop(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: writes and reads about 40 files with four programs")
	}
	node := nodetest.Node(t, "@duckdb/node-api", "nodejs-polars", "hyparquet-writer")
	d := makeInteropData(10)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "in"), filepath.Join(dir, "out")
	for _, tb := range Tables {
		writeArrowAny(t, filepath.Join(in, string(tb)+".parquet"), tb, d.rows(tb),
			arrowOpts{unit: arrow.Microsecond, props: []parquet.WriterProperty{parquet.WithDictionaryDefault(false)}})
	}
	nodetest.Run(t, node, "interop.mjs", "write", in, out)
	for _, v := range arrowVariants {
		for _, tb := range Tables {
			writeArrowAny(t, filepath.Join(out, "arrowgo-"+v.name, string(tb)+".parquet"), tb, d.rows(tb), v.o)
		}
	}
	for _, tb := range Tables {
		writeTableAny(t, filepath.Join(out, "churn-tablewriter", string(tb)+".parquet"), d.rows(tb))
		writeParquetGoDefault(t, filepath.Join(out, "parquetgo-default", string(tb)+".parquet"), tb, d.rows(tb))
	}

	files, err := filepath.Glob(filepath.Join(out, "*", "*.parquet"))
	if err != nil || len(files) < 30 {
		t.Fatalf("%d files written (%v)", len(files), err)
	}
	sort.Strings(files)
	duck := map[string]duckRead{}
	sc := bufio.NewScanner(bytes.NewReader(nodetest.Run(t, node, "interop.mjs", append([]string{"read"}, files...)...)))
	sc.Buffer(nil, 64<<20)
	for sc.Scan() {
		var r duckRead
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("DuckDB's output: %v", err)
		}
		duck[r.File] = r
	}
	if len(duck) != len(files) {
		t.Fatalf("DuckDB read %d of %d files", len(duck), len(files))
	}

	var pagePath, arrowPath []string
	for _, path := range files {
		variant := filepath.Base(filepath.Dir(path))
		tb := Table(strings.TrimSuffix(filepath.Base(path), ".parquet"))
		f := File{Path: path, Rel: variant + "/" + string(tb), Table: tb}
		t.Run(f.Rel, func(t *testing.T) {
			want := duck[path].rows(t, tb, reflect.TypeOf(d.rows(tb)))
			taken, groups, why := pagesTaken(t, f)
			if taken == groups {
				pagePath = append(pagePath, f.Rel)
			} else {
				arrowPath = append(arrowPath, f.Rel+" ("+why+")")
			}
			if mustPages(variant) && taken != groups {
				t.Errorf("%s: the page path reads %d of %d row groups: %s", f.Rel, taken, groups, why)
			}
			// The options asked for are in the file.
			if variant == "polars-lz4" && !hasCodec(t, path, lz4Raw) {
				t.Errorf("%s: Polars wrote no LZ4_RAW chunk", f.Rel)
			}
			if variant == "hyparquet-encodings-pageindex" && tb != Customers && tb != Surveys && !hasEncoding(t, path, encByteStreamSplit) {
				t.Errorf("%s: hyparquet-writer wrote no BYTE_STREAM_SPLIT chunk", f.Rel)
			}
			// Arrow Go v17 has no BYTE_STREAM_SPLIT decoder, and its
			// record reader fails on DELTA_BINARY_PACKED when a batch ends
			// inside a miniblock: such files are compared on both paths in
			// batches larger than any row group, and on the page path also
			// in small batches.
			if hasEncoding(t, path, encByteStreamSplit) {
				sameRowsAs(t, readAllAs(t, f, ReadOptions{BatchSize: 333}), want)
				sameRowsAs(t, readAllAs(t, f, ReadOptions{}), want)
				if _, err := readAllErr(f); err == nil {
					t.Logf("%s: Arrow's path now reads BYTE_STREAM_SPLIT", f.Rel)
				}
				return
			}
			sameRowsAs(t, readBothAs(t, f, DefaultBatchSize), want)
			sameRowsAs(t, readAllAs(t, f, ReadOptions{BatchSize: 333}), want)
		})
	}
	t.Logf("page path: %d files: %s", len(pagePath), strings.Join(pagePath, ", "))
	t.Logf("Arrow's path: %d files: %s", len(arrowPath), strings.Join(arrowPath, "; "))
}

// mustPages says whether every file of a variant of TestInterop must take
// the page path: all but INT96 files and files whose v2 pages have null
// counts that their levels contradict, with none in the statistics
// (nullCountMissing).
func mustPages(variant string) bool {
	for _, v := range arrowVariants {
		if variant == "arrowgo-"+v.name {
			return v.pages
		}
	}
	return true
}

// hasEncoding reports whether some column chunk of the file lists e.
func hasEncoding(t *testing.T, path string, e parquet.Encoding) bool {
	return anyChunk(t, path, func(cc *metadata.ColumnChunkMetaData) bool { return slices.Contains(cc.Encodings(), e) })
}

// hasCodec reports whether some column chunk of the file is compressed
// with c.
func hasCodec(t *testing.T, path string, c compress.Compression) bool {
	return anyChunk(t, path, func(cc *metadata.ColumnChunkMetaData) bool { return cc.Compression() == c })
}

// anyChunk reports whether ok holds for some column chunk of the file.
func anyChunk(t *testing.T, path string, ok func(*metadata.ColumnChunkMetaData) bool) bool {
	pr, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer pr.Close()
	for rg := range pr.NumRowGroups() {
		g := pr.MetaData().RowGroup(rg)
		for c := range g.NumColumns() {
			cc, err := g.ColumnChunk(c)
			if err != nil {
				t.Fatal(err)
			}
			if ok(cc) {
				return true
			}
		}
	}
	return false
}

// readAllErr reads f on Arrow's path and returns the error.
func readAllErr(f File) (FileStats, error) {
	switch f.Table {
	case Customers:
		return ReadFile(context.Background(), f, ReadOptions{arrowOnly: true}, func([]Customer) error { return nil })
	case Sessions:
		return ReadFile(context.Background(), f, ReadOptions{arrowOnly: true}, func([]Session) error { return nil })
	case Events:
		return ReadFile(context.Background(), f, ReadOptions{arrowOnly: true}, func([]Event) error { return nil })
	case Tickets:
		return ReadFile(context.Background(), f, ReadOptions{arrowOnly: true}, func([]Ticket) error { return nil })
	case Surveys:
		return ReadFile(context.Background(), f, ReadOptions{arrowOnly: true}, func([]Survey) error { return nil })
	}
	return ReadFile(context.Background(), f, ReadOptions{arrowOnly: true}, func([]Order) error { return nil })
}

// duckRead is what DuckDB read from one file (interop.mjs read).
type duckRead struct {
	File    string
	Columns []string
	Rows    [][]any
}

// rows converts DuckDB's reading into rows of the table, by the package's
// conventions for nulls, as a slice of type typ.
func (r duckRead) rows(t *testing.T, tb Table, typ reflect.Type) any {
	t.Helper()
	pos := map[string]int{}
	for i, c := range r.Columns {
		pos[c] = i
	}
	out := reflect.MakeSlice(typ, len(r.Rows), len(r.Rows))
	for i, row := range r.Rows {
		v := out.Index(i)
		for c, col := range Contract[tb] {
			j, ok := pos[col.Name]
			if !ok {
				t.Fatalf("%s: DuckDB sees no column %s", r.File, col.Name)
			}
			x := row[j]
			fv := v.Field(c)
			switch col.Kind {
			case String:
				s, _ := x.(string)
				fv.SetString(s)
			case Timestamp:
				ns := NoTime
				if s, ok := x.(string); ok {
					n, err := strconv.ParseInt(s, 10, 64)
					if err != nil {
						t.Fatalf("%s: %s = %q: %v", r.File, col.Name, s, err)
					}
					ns = n
				}
				fv.SetInt(ns)
			default:
				f := math.NaN()
				if n, ok := x.(float64); ok {
					f = n
				} else if tb == Events && col.Name == "quantity" {
					f = 1 // the contract's default
				}
				if fv.Kind() == reflect.Int {
					fv.SetInt(int64(f))
				} else {
					fv.SetFloat(f)
				}
			}
		}
	}
	return out.Interface()
}

// writeTableAny writes rows with our TableWriter (parquet-go, zstd,
// dictionary strings, every column OPTIONAL).
func writeTableAny(t *testing.T, path string, rows any) {
	var err error
	switch r := rows.(type) {
	case []Customer:
		err = writeTable(path, r)
	case []Session:
		err = writeTable(path, r)
	case []Event:
		err = writeTable(path, r)
	case []Ticket:
		err = writeTable(path, r)
	case []Survey:
		err = writeTable(path, r)
	case []Order:
		err = writeTable(path, r)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// writeParquetGoDefault writes rows with parquet-go's writer and its
// defaults (v2 pages, no compression, PLAIN): required contract columns
// REQUIRED, the others OPTIONAL, timestamps in microseconds, ints INT32.
func writeParquetGoDefault(t testing.TB, path string, tb Table, rows any) {
	group := pqgo.Group{}
	for _, c := range Contract[tb] {
		var n pqgo.Node
		switch c.Kind {
		case String:
			n = pqgo.String()
		case Timestamp:
			n = pqgo.Timestamp(pqgo.Microsecond)
		case Float:
			n = pqgo.Leaf(pqgo.DoubleType)
		case Int:
			n = pqgo.Int(32)
		}
		if !c.Required {
			n = pqgo.Optional(n)
		}
		group[c.Name] = n
	}
	schema := pqgo.NewSchema(string(tb), group)
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pqgo.NewWriter(f, schema)
	rv := reflect.ValueOf(rows)
	for i := range rv.Len() {
		v := rv.Index(i)
		row := make(pqgo.Row, 0, len(Contract[tb]))
		for c, col := range Contract[tb] {
			leaf, _ := schema.Lookup(col.Name)
			def := 0
			if !col.Required {
				def = 1
			}
			fv := v.Field(c)
			var val pqgo.Value
			null := false
			switch col.Kind {
			case String:
				null = fv.String() == ""
				val = pqgo.ByteArrayValue([]byte(fv.String()))
			case Timestamp:
				null = fv.Int() == NoTime
				val = pqgo.Int64Value(fv.Int() / 1000)
			case Float:
				null = math.IsNaN(fv.Float())
				val = pqgo.DoubleValue(fv.Float())
			case Int:
				x := float64(0)
				if fv.Kind() == reflect.Int {
					x = float64(fv.Int())
				} else {
					x = fv.Float()
				}
				null = math.IsNaN(x)
				val = pqgo.Int32Value(int32(x))
			}
			if null {
				val = pqgo.Value{}
				def = 0
			}
			row = append(row, val.Level(0, def, leaf.ColumnIndex))
		}
		sort.Slice(row, func(a, b int) bool { return row[a].Column() < row[b].Column() })
		if _, err := w.WriteRows([]pqgo.Row{row}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

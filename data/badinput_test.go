package data

import (
	"context"
	"encoding/binary"
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/compress"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// v2Seeds writes small files of sessions with v2 data pages that the page
// path reads: our TableWriter's (dictionary strings, zstd), parquet-go's
// defaults (PLAIN, REQUIRED columns, uncompressed) and Arrow Go's (delta
// encodings, snappy, statistics on), and returns their bytes.
func v2Seeds(tb testing.TB) [][]byte {
	d := makeInteropData(1)
	dir := tb.TempDir()
	paths := []string{filepath.Join(dir, "tw.parquet"), filepath.Join(dir, "pg.parquet"), filepath.Join(dir, "ag.parquet")}
	w, err := NewTableWriter[Session](paths[0], WriteOptions{RowGroupRows: 150})
	if err == nil {
		err = w.Write(d.sessions)
	}
	if err == nil {
		err = w.Close()
	}
	if err != nil {
		tb.Fatal(err)
	}
	writeParquetGoDefault(tb, paths[1], Sessions, d.sessions)
	writeArrowTable(tb, paths[2], Sessions, d.sessions, arrowOpts{unit: arrow.Microsecond, props: append([]parquet.WriterProperty{
		parquet.WithDataPageVersion(parquet.DataPageV2), parquet.WithDictionaryDefault(false),
		parquet.WithCompression(compress.Codecs.Snappy), parquet.WithMaxRowGroupLength(150)}, deltaEncodings()...)})
	var seeds [][]byte
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		seeds = append(seeds, b)
	}
	return seeds
}

// readBad reads the bytes b as sessions, on the page path (when pages) or
// Arrow's, with ReadFile and ReadKeyedColumns, and fails unless each read
// succeeds or gives a *FileError that names the file.
func readBad(t *testing.T, b []byte, pages bool) {
	path := filepath.Join(t.TempDir(), "bad.parquet")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	f := File{Path: path, Rel: "sessions/bad.parquet", Table: Sessions}
	opt := ReadOptions{arrowOnly: !pages, BatchSize: 100}
	check := func(how string, err error) {
		t.Helper()
		if err == nil {
			return
		}
		var fe *FileError
		if !errors.As(err, &fe) || fe.File != f.Rel {
			t.Fatalf("%s (pages %v): %v is not a FileError naming the file", how, pages, err)
		}
		if !strings.HasPrefix(err.Error(), f.Rel+": ") {
			t.Fatalf("%s: message %q does not start with the file", how, err)
		}
	}
	_, err := ReadFile(context.Background(), f, opt, func([]Session) error { return nil })
	check("ReadFile", err)
	_, err = ReadKeyedColumns(context.Background(), f, opt, idKey, func(*SessionColumns, []int32) error { return nil })
	check("ReadKeyedColumns", err)
}

// TestBadFiles: zero bytes, files cut anywhere, garbage written over
// pages, headers and footers of v2 files, on both paths: every read ends
// with a FileError naming the file (ErrCorrupt where the bytes are not
// Parquet), never a panic or a wrong row count.
func TestBadFiles(t *testing.T) {
	seeds := v2Seeds(t)
	for i, b := range seeds {
		path := filepath.Join(t.TempDir(), "seed.parquet")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		if taken, groups, why := pagesTaken(t, File{Path: path, Rel: "seed", Table: Sessions}); taken != groups {
			t.Fatalf("seed %d: the page path reads %d of %d row groups (%s)", i, taken, groups, why)
		}
	}
	// Zero bytes and a file cut before or inside its footer are corrupt.
	for _, b := range [][]byte{nil, []byte("PAR1"), seeds[0][:len(seeds[0])/2], seeds[1][:len(seeds[1])-3]} {
		path := filepath.Join(t.TempDir(), "x.parquet")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := ReadFile(context.Background(), File{Path: path, Rel: "sessions/x.parquet"}, ReadOptions{}, func([]Session) error { return nil })
		var fe *FileError
		if !errors.As(err, &fe) || !errors.Is(err, ErrCorrupt) || fe.File != "sessions/x.parquet" {
			t.Errorf("%d bytes: error %v, want an ErrCorrupt FileError naming the file", len(b), err)
		}
	}
	rng := rand.New(rand.NewPCG(6, 13))
	for _, seed := range seeds {
		for range 60 {
			b := append([]byte(nil), seed...)
			switch rng.IntN(3) {
			case 0: // garbage over a window anywhere
				at, n := rng.IntN(len(b)), 1+rng.IntN(24)
				for j := at; j < min(at+n, len(b)); j++ {
					b[j] = byte(rng.Uint32())
				}
			case 1: // one byte of the footer changed: lengths, offsets, counts
				at := len(b) - 8 - 1 - rng.IntN(min(len(b)-8, 400))
				b[at] ^= byte(1 << rng.IntN(8))
			case 2: // absurd varints in the footer
				at := len(b) - 8 - 1 - rng.IntN(min(len(b)-8, 400))
				for j := at; j < min(at+5, len(b)-8); j++ {
					b[j] = 0xff
				}
				b[min(at+5, len(b)-9)] = 0x07
			}
			readBad(t, b, true)
			readBad(t, b, false)
		}
	}
}

// FuzzReadPagesV2 fuzzes the page path on v2 data pages: seeds are files
// of three writers that it reads; whatever the bytes, a read succeeds or
// ends with a FileError naming the file.
func FuzzReadPagesV2(f *testing.F) {
	for _, b := range v2Seeds(f) {
		f.Add(b)
		// And with page headers that claim absurd sizes and counts.
		for _, e := range absurdEdits {
			if bad, _, ok := editPageHeader(f, b, 0, e.edit); ok {
				f.Add(bad)
			}
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		readBad(t, b, true)
	})
}

// editPageHeader returns a copy of the Parquet file b with the page
// header of page number page (0 first, the dictionary page included) of
// the last column chunk of the last row group changed by edit, and that
// chunk's column; ok is false when the chunk has fewer pages. The bytes
// after the header move by the change of its length, and the footer is
// written again with the chunk's sizes and the offsets after it moved
// too, so that the file is sound but for what edit says.
func editPageHeader(tb testing.TB, b []byte, page int, edit func(*format.PageHeader)) (out []byte, column string, ok bool) {
	tb.Helper()
	proto := &thrift.CompactProtocol{}
	flen := int(binary.LittleEndian.Uint32(b[len(b)-8:]))
	fstart := len(b) - 8 - flen
	var md format.FileMetaData
	if err := thrift.Unmarshal(proto, b[fstart:len(b)-8], &md); err != nil {
		tb.Fatal(err)
	}
	rg := &md.RowGroups[len(md.RowGroups)-1]
	cc := &rg.Columns[len(rg.Columns)-1]
	meta := &cc.MetaData
	column = meta.PathInSchema[len(meta.PathInSchema)-1]
	pos := meta.DataPageOffset
	if meta.DictionaryPageOffset > 0 && meta.DictionaryPageOffset < pos {
		pos = meta.DictionaryPageOffset
	}
	end := pos + meta.TotalCompressedSize
	header := func(at int64) (format.PageHeader, int) {
		var h format.PageHeader
		r := proto.NewReaderFromBytes(b[at:fstart])
		if err := thrift.NewDecoder(r).Decode(&h); err != nil {
			tb.Fatal(err)
		}
		return h, r.BytesRead()
	}
	for range page {
		h, n := header(pos)
		pos += int64(n) + int64(h.CompressedPageSize)
	}
	if pos >= end {
		return nil, column, false
	}
	h, n := header(pos)
	edit(&h)
	nh, err := thrift.Marshal(proto, &h)
	if err != nil {
		tb.Fatal(err)
	}
	d := int64(len(nh) - n)
	meta.TotalCompressedSize += d
	meta.TotalUncompressedSize += d
	if rg.TotalCompressedSize != 0 {
		rg.TotalCompressedSize += d
	}
	for i := range md.RowGroups {
		for j := range md.RowGroups[i].Columns {
			c := &md.RowGroups[i].Columns[j]
			for _, off := range []*int64{&c.OffsetIndexOffset, &c.ColumnIndexOffset, &c.MetaData.BloomFilterOffset} {
				if *off > pos {
					*off += d
				}
			}
		}
	}
	footer, err := thrift.Marshal(proto, &md)
	if err != nil {
		tb.Fatal(err)
	}
	out = append([]byte(nil), b[:pos]...)
	out = append(out, nh...)
	out = append(out, b[pos+int64(n):fstart]...)
	out = append(out, footer...)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(footer)))
	return append(out, "PAR1"...), column, true
}

// TestAbsurdPageSizes: page headers whose sizes or counts no sound file
// has (an uncompressed size beyond the column chunk's, a compressed size
// beyond the chunk's end, more values than the row group has rows) are
// refused before anything is allocated for them, with a FileError that
// names the file, the column and the row group, on both paths.
func TestAbsurdPageSizes(t *testing.T) {
	seeds := v2Seeds(t)
	for i, seed := range seeds {
		// The helper itself: a header written again unchanged leaves a
		// file that reads as the seed does, on the page path.
		same, _, _ := editPageHeader(t, seed, 0, func(*format.PageHeader) {})
		files := make([]File, 2)
		for j, b := range [][]byte{seed, same} {
			files[j] = File{Path: filepath.Join(t.TempDir(), "same.parquet"), Rel: "same", Table: Sessions}
			if err := os.WriteFile(files[j].Path, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		mustTakePages(t, files[1])
		var rows [2][]Session
		for j, f := range files {
			_, err := ReadFile(context.Background(), f, ReadOptions{}, func(b []Session) error {
				for _, r := range b {
					rows[j] = append(rows[j], cloneRow(r))
				}
				return nil
			})
			if err != nil {
				t.Fatalf("seed %d: %v", i, err)
			}
		}
		sameRows(t, rows[1], rows[0])
		edited := 0
		for page := range 2 {
			for _, e := range absurdEdits {
				name, edit := e.name, e.edit
				b, last, ok := editPageHeader(t, seed, page, edit)
				if !ok {
					continue
				}
				edited++
				path := filepath.Join(t.TempDir(), "absurd.parquet")
				if err := os.WriteFile(path, b, 0o644); err != nil {
					t.Fatal(err)
				}
				f := File{Path: path, Rel: "sessions/absurd.parquet", Table: Sessions}
				for _, pages := range []bool{true, false} {
					var before, after runtime.MemStats
					runtime.ReadMemStats(&before)
					start := time.Now()
					_, err := ReadFile(context.Background(), f, ReadOptions{arrowOnly: !pages}, func([]Session) error { return nil })
					took := time.Since(start)
					runtime.ReadMemStats(&after)
					var fe *FileError
					if !errors.As(err, &fe) || fe.File != f.Rel || fe.Column != last || !errors.Is(err, ErrCorrupt) ||
						!strings.Contains(err.Error(), "row group") {
						t.Errorf("seed %d, page %d, %s (pages %v): error %v; want an ErrCorrupt FileError naming the file, column %s and the row group",
							i, page, name, pages, err, last)
					}
					if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 64<<20 {
						t.Errorf("seed %d, page %d, %s (pages %v): %d MiB allocated in %v before the error", i, page, name, pages, alloc>>20, took)
					}
				}
			}
		}
		if edited == 0 {
			t.Errorf("seed %d: no page header edited", i)
		}
	}
}

// absurdEdits make a page header claim what no sound file has.
var absurdEdits = []struct {
	name string
	edit func(*format.PageHeader)
}{
	{"uncompressed size", func(h *format.PageHeader) { h.UncompressedPageSize = math.MaxInt32 }},
	{"compressed size", func(h *format.PageHeader) { h.CompressedPageSize = math.MaxInt32 }},
	{"values", func(h *format.PageHeader) {
		switch {
		case h.DataPageHeader.Valid:
			h.DataPageHeader.V.NumValues = math.MaxInt32
		case h.DataPageHeaderV2.Valid:
			h.DataPageHeaderV2.V.NumValues = math.MaxInt32
		case h.DictionaryPageHeader.Valid:
			h.DictionaryPageHeader.V.NumValues = math.MaxInt32
		}
	}},
}

// TestCountNulls: the nulls of v2 definition levels (RLE/bit-packed
// hybrid, bit width 1) are counted, and levels that are cut short or not
// 0 and 1 are not trusted.
func TestCountNulls(t *testing.T) {
	path := filepath.Join(t.TempDir(), "levels")
	for _, c := range []struct {
		b      []byte
		n      int
		nulls  int
		ok     bool
		maxDef int16
	}{
		{[]byte{20, 0}, 10, 10, true, 1},                   // a run of 10 nulls
		{[]byte{20, 1}, 10, 0, true, 1},                    // a run of 10 values
		{[]byte{3, 0b10110101}, 8, 3, true, 1},             // 8 bit-packed levels
		{[]byte{3, 0b10110101}, 5, 2, true, 1},             // the first 5 of them
		{[]byte{6, 1, 5, 0b00001111, 0b1}, 12, 4, true, 1}, // a run of 3 values, then 9 of 16 packed
		{[]byte{20, 0}, 12, 0, false, 1},                   // too few levels
		{[]byte{20}, 10, 0, false, 1},                      // a run without its value
		{[]byte{4, 2}, 2, 0, false, 1},                     // a level of 2
		{[]byte{1}, 4, 0, false, 1},                        // no groups
		{[]byte{20, 0}, 10, 0, false, 2},                   // levels of a nested column
	} {
		if err := os.WriteFile(path, c.b, 0o644); err != nil {
			t.Fatal(err)
		}
		src, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		var r reader
		nulls, ok := r.countNulls(src, 0, int32(len(c.b)), c.n, c.maxDef)
		src.Close()
		if ok != c.ok || ok && nulls != c.nulls {
			t.Errorf("levels %x, %d of them: %d nulls, ok %v; want %d, %v", c.b, c.n, nulls, ok, c.nulls, c.ok)
		}
	}
}

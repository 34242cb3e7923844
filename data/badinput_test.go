package data

import (
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/compress"
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
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		readBad(t, b, true)
	})
}

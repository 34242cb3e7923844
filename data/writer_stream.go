package data

import (
	"bufio"
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/bitutil"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/compress"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/metadata"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
	"golang.org/x/sync/errgroup"
)

// ParquetStream writes an output table in pieces, column by column: each
// Write appends rows to the open row group, which is written out when it
// holds opt.RowGroupRows rows, so the caller holds one piece at a time (a
// slice of the customers at one cutoff of a feature table, say), never the
// whole table, and the stream holds one row group's compressed pages. The
// row groups do not depend on how the rows were cut into pieces. Columns are typed as in WriteParquet: strings as STRING
// (dictionary encoded), doubles as DOUBLE, integers as INT64, timestamps as
// TIMESTAMP(MILLIS, UTC adjusted), rounded down, or DATE; every column
// OPTIONAL, zstd compressed (at its fastest level with opt.Fast), row
// groups of at most opt.RowGroupRows rows. The same pieces give the same
// bytes.
//
// It uses Arrow's column writer rather than parquet-go's row API, which
// builds a parquet.Value per cell and is many times slower on a wide
// table.
//
// Create it with CreateParquetStream, and Close it, or Abort it on error.
type ParquetStream struct {
	path    string
	f       *os.File
	buf     *bufio.Writer
	fw      *file.Writer
	rg      file.BufferedRowGroupWriter // the open row group, nil when none
	rgN     int                         // rows in it
	arrow   pqarrow.ArrowWriterProperties
	schema  *arrow.Schema
	cols    []OutColumn // names and kinds
	mem     memory.Allocator
	rgRows  int
	workers int
	done    bool
}

// streamPageBytes is the data page size of a ParquetStream. Arrow's column
// writer allocates a page's buffers anew for every column chunk, and
// compresses page by page: with its default of 1 MiB, a wide table makes
// large buffers that the collector then has to chase. 64 KiB pages write
// faster for a slightly larger file; smaller pages gain nothing more and
// grow the file.
const streamPageBytes = 64 << 10

// CreateParquetStream creates the file at path, and its parent folders, for
// the columns named and typed by cols (their values are ignored).
func CreateParquetStream(path string, cols []OutColumn, opt WriteOptions) (*ParquetStream, error) {
	fields := make([]arrow.Field, len(cols))
	seen := map[string]bool{}
	level := compress.DefaultCompressionLevel
	if opt.Fast {
		level = 1 // klauspost/compress maps zstd's level 1 to SpeedFastest
	}
	props := []parquet.WriterProperty{
		parquet.WithCompression(compress.Codecs.Zstd),
		parquet.WithCompressionLevel(level),
		parquet.WithMaxRowGroupLength(opt.rowGroupRows()),
		parquet.WithDataPageSize(streamPageBytes),
		parquet.WithDictionaryDefault(false),
		// No fallback from dictionary to plain pages: Arrow lists a
		// column's page encodings from a map, in random order, when there
		// is more than one, and the same table must give the same bytes.
		parquet.WithDictionaryPageSizeLimit(1 << 40),
		parquet.WithCreatedBy("churn"),
		parquet.WithStats(true),
	}
	for i, c := range cols {
		if c.Name == "" || strings.ContainsAny(c.Name, ",\"`") {
			return nil, fmt.Errorf("create %s: column name %q: %w", path, c.Name, ErrWrongType)
		}
		if seen[c.Name] {
			return nil, fmt.Errorf("create %s: column %s: %w", path, c.Name, ErrDuplicate)
		}
		seen[c.Name] = true
		var dt arrow.DataType
		switch c.Kind {
		case String:
			// Dictionary encoding: ids and categories repeat (see
			// newRowWriter).
			dt = arrow.BinaryTypes.String
			props = append(props, parquet.WithDictionaryFor(c.Name, true))
		case Float:
			dt = arrow.PrimitiveTypes.Float64
		case Int:
			dt = arrow.PrimitiveTypes.Int64
		case Timestamp:
			if c.Date {
				dt = arrow.FixedWidthTypes.Date32
			} else {
				dt = &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}
			}
		default:
			return nil, fmt.Errorf("create %s: column %s: kind %d: %w", path, c.Name, int(c.Kind), ErrWrongType)
		}
		fields[i] = arrow.Field{Name: c.Name, Type: dt, Nullable: true}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	s := &ParquetStream{
		path:   path,
		f:      f,
		buf:    bufio.NewWriterSize(f, 1<<20),
		schema: arrow.NewSchema(fields, nil),
		mem:    memory.NewGoAllocator(),
		rgRows: int(opt.rowGroupRows()),
	}
	for _, c := range cols {
		s.cols = append(s.cols, OutColumn{Name: c.Name, Kind: c.Kind, Date: c.Date})
	}
	// As pqarrow.NewFileWriter does, but keeping the row group writer, so
	// that columns can be encoded at once (see Write).
	wprops := parquet.NewWriterProperties(props...)
	s.arrow = pqarrow.NewArrowWriterProperties(pqarrow.WithAllocator(s.mem))
	sc, err := pqarrow.ToParquet(s.schema, wprops, s.arrow)
	if err != nil {
		s.Abort()
		return nil, fmt.Errorf("create %s: %w", path, err)
	}
	s.fw = file.NewParquetWriter(s.buf, sc.Root(), file.WithWriterProps(wprops), file.WithWriteMetadata(metadata.KeyValueMetadata{}))
	s.workers = max(runtime.GOMAXPROCS(0), 1)
	return s, nil
}

// Write appends the rows of cols, which must match the columns the stream
// was created with, in order, and have the same length. The stream keeps
// nothing of cols after it returns.
func (s *ParquetStream) Write(cols []OutColumn) error {
	if s.done {
		return fmt.Errorf("write %s: %w", s.path, os.ErrClosed)
	}
	if len(cols) != len(s.cols) {
		return fmt.Errorf("write %s: %d columns, want %d: %w", s.path, len(cols), len(s.cols), ErrLength)
	}
	n := 0
	for i := range cols {
		c := &cols[i]
		if c.Name != s.cols[i].Name || c.Kind != s.cols[i].Kind || c.Date != s.cols[i].Date {
			return fmt.Errorf("write %s: column %d is %s, want %s: %w", s.path, i, c.Name, s.cols[i].Name, ErrWrongType)
		}
		if i == 0 {
			n = c.Len()
		} else if c.Len() != n {
			return fmt.Errorf("write %s: column %s has %d values, %s has %d: %w", s.path, c.Name, c.Len(), cols[0].Name, n, ErrLength)
		}
	}
	if n == 0 {
		return nil
	}
	for lo := 0; lo < n; {
		if s.rg == nil {
			s.rg, s.rgN = s.fw.AppendBufferedRowGroup(), 0
		}
		hi := min(lo+s.rgRows-s.rgN, n)
		if err := s.columns(func(w *colWorker, j int) error {
			var arr arrow.Array
			if cols[j].Kind == Float {
				arr = w.floats(cols[j].Floats[lo:hi])
			} else {
				arr = s.array(j, &cols[j], lo, hi)
			}
			defer arr.Release()
			cw, err := s.rg.Column(j)
			if err != nil {
				return err
			}
			def := resize(w.def, arr.Len())
			w.def = def
			for i := range def {
				def[i] = 0
				if arr.IsValid(i) {
					def[i] = 1
				}
			}
			return pqarrow.WriteArrowToColumn(w.ctx, cw, arr, def, nil, true)
		}); err != nil {
			return fmt.Errorf("write %s: %w", s.path, err)
		}
		s.rgN += hi - lo
		lo = hi
		if s.rgN == s.rgRows {
			if err := s.closeRowGroup(); err != nil {
				return fmt.Errorf("write %s: %w", s.path, err)
			}
		}
	}
	return nil
}

// colWorker is the state of one of columns' goroutines.
type colWorker struct {
	ctx    context.Context // its own: an Arrow write context holds a scratch buffer
	def    []int16         // definition levels
	bitmap []byte          // validity of floats
}

// floats wraps v as an Arrow array without copying it: NaN is null. The
// array lives until the worker's next call.
func (w *colWorker) floats(v []float64) arrow.Array {
	n := len(v)
	w.bitmap = resize(w.bitmap, int(bitutil.BytesForBits(int64(n))))
	clear(w.bitmap)
	nulls := 0
	for i, x := range v {
		if math.IsNaN(x) {
			nulls++
		} else {
			bitutil.SetBit(w.bitmap, i)
		}
	}
	bufs := []*memory.Buffer{nil, memory.NewBufferBytes(arrow.Float64Traits.CastToBytes(v))}
	if nulls > 0 {
		bufs[0] = memory.NewBufferBytes(w.bitmap)
	}
	data := array.NewData(arrow.PrimitiveTypes.Float64, n, bufs, nil, nulls, 0)
	defer data.Release()
	return array.NewFloat64Data(data)
}

// columns runs fn for every column, on s.workers goroutines. The column
// writers of a buffered row group are independent until the row group is
// closed, so columns encode and compress side by side; the bytes are those
// of writing them one after another.
func (s *ParquetStream) columns(fn func(w *colWorker, j int) error) error {
	next := make(chan int, len(s.cols))
	for j := range s.cols {
		next <- j
	}
	close(next)
	var g errgroup.Group
	for range min(s.workers, len(s.cols)) {
		g.Go(func() error {
			w := &colWorker{ctx: pqarrow.NewArrowWriteContext(context.Background(), &s.arrow)}
			for j := range next {
				if err := fn(w, j); err != nil {
					return err
				}
			}
			return nil
		})
	}
	return g.Wait()
}

// pageFlusher is the column writers' FlushCurrentPage, which
// file.ColumnChunkWriter does not list.
type pageFlusher interface{ FlushCurrentPage() error }

// closeRowGroup compresses the last page of every column side by side,
// then closes the row group, which writes the columns out in order.
func (s *ParquetStream) closeRowGroup() error {
	rg := s.rg
	s.rg = nil
	if err := s.columns(func(_ *colWorker, j int) error {
		cw, err := rg.Column(j)
		if err != nil {
			return err
		}
		// Only a page that holds values: Close flushes the rest, and a
		// flush of nothing would add an empty page (or panic). The size
		// estimate of a dictionary encoder is never zero, so whether its
		// page is empty cannot be told: Close flushes those columns.
		enc := cw.CurrentEncoder()
		if _, dict := enc.(interface{ DictEncodedSize() int }); dict {
			return nil
		}
		if f, ok := cw.(pageFlusher); ok && enc.EstimatedDataEncodedSize() > 0 {
			return f.FlushCurrentPage()
		}
		return nil
	}); err != nil {
		return err
	}
	return rg.Close()
}

// array converts rows lo..hi-1 of c, column j, to an Arrow array, nulls included.
func (s *ParquetStream) array(j int, c *OutColumn, lo, hi int) arrow.Array {
	n := hi - lo
	valid := make([]bool, n)
	switch c.Kind {
	case String:
		b := array.NewStringBuilder(s.mem)
		defer b.Release()
		v := c.Strings[lo:hi]
		for i := range v {
			valid[i] = v[i] != ""
		}
		b.AppendValues(v, valid)
		return b.NewArray()
	case Float:
		b := array.NewFloat64Builder(s.mem)
		defer b.Release()
		v := c.Floats[lo:hi]
		for i := range v {
			valid[i] = !math.IsNaN(v[i])
		}
		b.AppendValues(v, valid)
		return b.NewArray()
	case Int:
		b := array.NewInt64Builder(s.mem)
		defer b.Release()
		for i := range valid {
			valid[i] = true
		}
		b.AppendValues(c.Ints[lo:hi], valid)
		return b.NewArray()
	default: // Timestamp
		t := c.Times[lo:hi]
		if c.Date {
			b := array.NewDate32Builder(s.mem)
			defer b.Release()
			days := make([]arrow.Date32, n)
			for i, ns := range t {
				valid[i] = ns != NoTime
				if valid[i] {
					days[i] = arrow.Date32(floorDiv(ns, nsPerDay))
				}
			}
			b.AppendValues(days, valid)
			return b.NewArray()
		}
		b := array.NewTimestampBuilder(s.mem, s.schema.Field(j).Type.(*arrow.TimestampType))
		defer b.Release()
		ms := make([]arrow.Timestamp, n)
		for i, ns := range t {
			valid[i] = ns != NoTime
			if valid[i] {
				ms[i] = arrow.Timestamp(floorDiv(ns, 1_000_000))
			}
		}
		b.AppendValues(ms, valid)
		return b.NewArray()
	}
}

// Close writes the footer, fsyncs and closes the file, checking every
// error. On error the partial file is removed.
func (s *ParquetStream) Close() error {
	if s.done {
		return nil
	}
	var err error
	if s.rg != nil {
		err = s.closeRowGroup()
	}
	if err == nil {
		err = s.fw.Close()
	}
	if err == nil {
		err = s.buf.Flush()
	}
	if err == nil {
		err = s.f.Sync()
	}
	if err != nil {
		s.Abort()
		return fmt.Errorf("write %s: %w", s.path, err)
	}
	s.done = true
	if err := s.f.Close(); err != nil {
		os.Remove(s.path)
		return fmt.Errorf("write %s: %w", s.path, err)
	}
	return nil
}

// Abort closes and removes the partial file. It does nothing after Close.
func (s *ParquetStream) Abort() {
	if s.done {
		return
	}
	s.done = true
	s.f.Close()
	os.Remove(s.path)
}

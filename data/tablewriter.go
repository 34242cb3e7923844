package data

import (
	"bufio"
	"churn/internal/fsutil"
	"fmt"
	"os"
	"path/filepath"

	"github.com/parquet-go/parquet-go"
)

// DefaultRowGroupRows is the number of rows per row group when
// WriteOptions.RowGroupRows is zero.
const DefaultRowGroupRows = 128 * 1024

// WriteOptions tunes the Parquet writers.
type WriteOptions struct {
	// RowGroupRows is the maximum number of rows per row group;
	// 0 means DefaultRowGroupRows.
	RowGroupRows int
	// Fast, for a ParquetStream, compresses at zstd's fastest level instead
	// of its default: a faster write for a somewhat larger file.
	Fast bool
}

func (o WriteOptions) rowGroupRows() int64 {
	if o.RowGroupRows <= 0 {
		return DefaultRowGroupRows
	}
	return int64(o.RowGroupRows)
}

// TableWriter writes rows of one contract table as a contract Parquet file:
// the column names of Contract, timestamps as TIMESTAMP(MICROS, UTC
// adjusted), integer columns as INT64, doubles as DOUBLE, strings as STRING,
// zstd compressed, row groups of WriteOptions.RowGroupRows rows.
//
// Every column is OPTIONAL in the file schema and the null value of each
// row field (NoTime, NaN, "") is written as a Parquet null, required
// columns included: the writer records rows as they are, so converters and
// the generator can also write the dirty datasets that validation must
// catch. Timestamps are rounded down to microseconds; integer columns held
// in float fields (pages, csat, effort) are truncated.
//
// A TableWriter is not safe for concurrent use. It writes the same bytes
// for the same rows and options.
type TableWriter[T Row] struct {
	path string
	f    *os.File
	buf  *bufio.Writer
	rw   *rowWriter
	fill func(rw *rowWriter, row parquet.Row, r *T) // the table's rowCodec.write
	done bool
}

// NewTableWriter creates the file at path, and its parent folders, and
// returns a writer of rows of type T into it. The caller must Close it.
func NewTableWriter[T Row](path string, opt WriteOptions) (*TableWriter[T], error) {
	table, c, err := specOf[T]()
	if err != nil {
		return nil, fmt.Errorf("create table file %s: %w", path, err)
	}
	specs := make([]colSpec, 0, len(table.columns))
	for _, c := range table.columns {
		specs = append(specs, colSpec{name: c.Name, kind: c.Kind, unit: parquet.Microsecond})
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create table file: %w", err)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("create table file: %w", err)
	}
	buf := bufio.NewWriterSize(f, 1<<20)
	rw, err := newRowWriter(buf, specs, opt)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("create table file %s: %w", path, err)
	}
	return &TableWriter[T]{path: path, f: f, buf: buf, rw: rw, fill: c.write}, nil
}

// Write appends rows to the file. The writer does not keep rows after it
// returns.
func (w *TableWriter[T]) Write(rows []T) error {
	if w.done {
		return fmt.Errorf("write %s: %w", w.path, os.ErrClosed)
	}
	for i := range rows {
		row, err := w.rw.next()
		if err != nil {
			return fmt.Errorf("write %s: %w", w.path, err)
		}
		w.fill(w.rw, row, &rows[i])
	}
	// Flush so that no value in the buffer aliases the caller's strings.
	if err := w.rw.flush(); err != nil {
		return fmt.Errorf("write %s: %w", w.path, err)
	}
	return nil
}

// Close flushes the last row group and the footer, fsyncs and closes the
// file. It reports the first error; calling it again returns nil.
func (w *TableWriter[T]) Close() error {
	if w.done {
		return nil
	}
	w.done = true
	if err := fsutil.Finish(w.f, w.rw.close, w.buf.Flush); err != nil {
		return fmt.Errorf("close %s: %w", w.path, err)
	}
	return nil
}

// usPerNs is the divisor from nanoseconds to the microseconds of contract
// files.
const usPerNs = 1000

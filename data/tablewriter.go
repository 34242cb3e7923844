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
	fill func(rw *rowWriter, row parquet.Row, r *T)
	done bool
}

// NewTableWriter creates the file at path, and its parent folders, and
// returns a writer of rows of type T into it. The caller must Close it.
func NewTableWriter[T Row](path string, opt WriteOptions) (*TableWriter[T], error) {
	var zero T
	table, fill := tableFill[T](zero)
	specs := make([]colSpec, 0, len(Contract[table]))
	for _, c := range Contract[table] {
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
	return &TableWriter[T]{path: path, f: f, buf: buf, rw: rw, fill: fill}, nil
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

// tableFill returns the table of row type T and the function that sets the
// values of one row, in the column order of Contract[table].
func tableFill[T Row](zero T) (Table, func(*rowWriter, parquet.Row, *T)) {
	var (
		table Table
		fill  any
	)
	switch any(zero).(type) {
	case Customer:
		table = Customers
		fill = func(rw *rowWriter, row parquet.Row, r *Customer) {
			rw.setString(row, 0, r.ID)
			rw.setTime(row, 1, r.SignupAt, usPerNs)
			rw.setString(row, 2, r.Plan)
			rw.setString(row, 3, r.Region)
			rw.setString(row, 4, r.Channel)
			rw.setTime(row, 5, r.CancelledAt, usPerNs)
		}
	case Session:
		table = Sessions
		fill = func(rw *rowWriter, row parquet.Row, r *Session) {
			rw.setString(row, 0, r.CustomerID)
			rw.setTime(row, 1, r.StartedAt, usPerNs)
			rw.setFloat(row, 2, r.DurationS)
			rw.setIntFloat(row, 3, r.Pages)
			rw.setString(row, 4, r.Channel)
		}
	case Event:
		table = Events
		fill = func(rw *rowWriter, row parquet.Row, r *Event) {
			rw.setString(row, 0, r.CustomerID)
			rw.setTime(row, 1, r.TS, usPerNs)
			rw.setString(row, 2, r.Event)
			rw.setFloat(row, 3, r.Quantity)
		}
	case Ticket:
		table = Tickets
		fill = func(rw *rowWriter, row parquet.Row, r *Ticket) {
			rw.setString(row, 0, r.CustomerID)
			rw.setString(row, 1, r.TicketID)
			rw.setTime(row, 2, r.CreatedAt, usPerNs)
			rw.setString(row, 3, r.Channel)
			rw.setString(row, 4, r.Text)
			rw.setFloat(row, 5, r.Sentiment)
			rw.setFloat(row, 6, r.FirstResponseS)
			rw.setTime(row, 7, r.ResolvedAt, usPerNs)
			rw.setIntFloat(row, 8, r.CSAT)
			rw.setIntFloat(row, 9, r.Effort)
		}
	case Survey:
		table = Surveys
		fill = func(rw *rowWriter, row parquet.Row, r *Survey) {
			rw.setString(row, 0, r.CustomerID)
			rw.setTime(row, 1, r.AnsweredAt, usPerNs)
			rw.setInt(row, 2, int64(r.NPS))
			rw.setString(row, 3, r.Comment)
		}
	case Order:
		table = Orders
		fill = func(rw *rowWriter, row parquet.Row, r *Order) {
			rw.setString(row, 0, r.CustomerID)
			rw.setTime(row, 1, r.TS, usPerNs)
			rw.setFloat(row, 2, r.Amount)
			rw.setString(row, 3, r.OrderID)
			rw.setFloat(row, 4, r.Margin)
		}
	}
	// The type switch above picked the case of T, so the assertion holds.
	return table, fill.(func(*rowWriter, parquet.Row, *T))
}

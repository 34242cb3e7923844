package data

import (
	"fmt"
	"io"
	"math"
	"reflect"
	"strings"
	"unsafe"

	"github.com/parquet-go/parquet-go"
)

// colSpec describes one column written by this package.
type colSpec struct {
	name string
	kind Kind
	unit parquet.TimeUnit // for Timestamp columns; nil means DATE
}

// rowWriter writes flat rows of OPTIONAL columns with parquet-go's row API.
// Values are given in the order of the specs; pos maps that order to the
// file's leaf column indices.
type rowWriter struct {
	w    *parquet.Writer
	pos  []int
	rows []parquet.Row
	n    int // rows buffered in rows
}

// rowBatch is how many rows a rowWriter buffers before handing them to
// parquet-go.
const rowBatch = 1024

func newRowWriter(out io.Writer, specs []colSpec, opt WriteOptions) (*rowWriter, error) {
	// The schema comes from a struct type built at run time rather than
	// from parquet.Group, which sorts its columns by name: this keeps the
	// caller's column order in the file. Only the schema is used; rows are
	// written as parquet.Row values.
	fields := make([]reflect.StructField, len(specs))
	seen := map[string]bool{}
	for i, c := range specs {
		if c.name == "" || strings.ContainsAny(c.name, ",\"`") {
			return nil, fmt.Errorf("column name %q: %w", c.name, ErrWrongType)
		}
		if seen[c.name] {
			return nil, fmt.Errorf("column %s: %w", c.name, ErrDuplicate)
		}
		seen[c.name] = true
		var (
			typ reflect.Type
			tag = c.name + ",optional"
		)
		switch c.kind {
		case String:
			// Dictionary encoding: ids and categories repeat, and Arrow
			// reads these pages faster than parquet-go's default
			// DELTA_LENGTH_BYTE_ARRAY (BenchmarkReadFile), for a slower
			// write.
			typ, tag = reflect.TypeFor[string](), tag+",dict"
		case Timestamp:
			switch c.unit {
			case nil:
				typ, tag = reflect.TypeFor[int32](), tag+",date"
			case parquet.Millisecond:
				typ, tag = reflect.TypeFor[int64](), tag+",timestamp(millisecond:utc)"
			case parquet.Microsecond:
				typ, tag = reflect.TypeFor[int64](), tag+",timestamp(microsecond:utc)"
			default:
				typ, tag = reflect.TypeFor[int64](), tag+",timestamp(nanosecond:utc)"
			}
		case Float:
			typ = reflect.TypeFor[float64]()
		case Int:
			typ = reflect.TypeFor[int64]()
		default:
			return nil, fmt.Errorf("column %s: kind %d: %w", c.name, int(c.kind), ErrWrongType)
		}
		fields[i] = reflect.StructField{
			Name: fmt.Sprintf("F%d", i),
			Type: typ,
			Tag:  reflect.StructTag(`parquet:"` + tag + `"`),
		}
	}
	schema := parquet.SchemaOf(reflect.New(reflect.StructOf(fields)).Elem().Interface())
	rw := &rowWriter{pos: make([]int, len(specs))}
	for i, c := range specs {
		leaf, ok := schema.Lookup(c.name)
		if !ok {
			return nil, fmt.Errorf("column %s: %w", c.name, ErrMissingColumn)
		}
		rw.pos[i] = leaf.ColumnIndex
	}
	rw.w = parquet.NewWriter(out, schema,
		parquet.Compression(&parquet.Zstd),
		parquet.MaxRowsPerRowGroup(opt.rowGroupRows()),
		parquet.CreatedBy("churn", "", ""),
	)
	rw.rows = make([]parquet.Row, rowBatch)
	for i := range rw.rows {
		rw.rows[i] = make(parquet.Row, len(specs))
	}
	return rw, nil
}

// next returns the row to fill with set* calls, flushing full batches.
func (rw *rowWriter) next() (parquet.Row, error) {
	if rw.n == len(rw.rows) {
		if err := rw.flush(); err != nil {
			return nil, err
		}
	}
	rw.n++
	return rw.rows[rw.n-1], nil
}

func (rw *rowWriter) flush() error {
	if rw.n == 0 {
		return nil
	}
	_, err := rw.w.WriteRows(rw.rows[:rw.n])
	rw.n = 0
	return err
}

func (rw *rowWriter) close() error {
	if err := rw.flush(); err != nil {
		return err
	}
	return rw.w.Close()
}

func (rw *rowWriter) setNull(row parquet.Row, i int) {
	p := rw.pos[i]
	row[p] = parquet.Value{}.Level(0, 0, p)
}

// setString sets column i to s, or null when s is "". The value aliases s;
// parquet-go copies it into its page buffers in WriteRows.
func (rw *rowWriter) setString(row parquet.Row, i int, s string) {
	if s == "" {
		rw.setNull(row, i)
		return
	}
	p := rw.pos[i]
	b := unsafe.Slice(unsafe.StringData(s), len(s))
	row[p] = parquet.ByteArrayValue(b).Level(0, 1, p)
}

func (rw *rowWriter) setFloat(row parquet.Row, i int, v float64) {
	if math.IsNaN(v) {
		rw.setNull(row, i)
		return
	}
	p := rw.pos[i]
	row[p] = parquet.DoubleValue(v).Level(0, 1, p)
}

func (rw *rowWriter) setInt(row parquet.Row, i int, v int64) {
	p := rw.pos[i]
	row[p] = parquet.Int64Value(v).Level(0, 1, p)
}

// setIntFloat sets an integer column from a float field: NaN is null,
// fractions are truncated, values beyond int64 clamped.
func (rw *rowWriter) setIntFloat(row parquet.Row, i int, v float64) {
	switch {
	case math.IsNaN(v):
		rw.setNull(row, i)
	case v >= math.MaxInt64:
		rw.setInt(row, i, math.MaxInt64)
	case v <= math.MinInt64:
		rw.setInt(row, i, math.MinInt64)
	default:
		rw.setInt(row, i, int64(v))
	}
}

// setTime sets a timestamp column from nanoseconds, rounding down to the
// column's unit (per is nanoseconds per unit); NoTime is null.
func (rw *rowWriter) setTime(row parquet.Row, i int, ns, per int64) {
	if ns == NoTime {
		rw.setNull(row, i)
		return
	}
	rw.setInt(row, i, floorDiv(ns, per))
}

// setDate sets a DATE column (days since the epoch) from nanoseconds.
func (rw *rowWriter) setDate(row parquet.Row, i int, ns int64) {
	if ns == NoTime {
		rw.setNull(row, i)
		return
	}
	p := rw.pos[i]
	row[p] = parquet.Int32Value(int32(floorDiv(ns, nsPerDay))).Level(0, 1, p)
}

const nsPerDay = 24 * 3600 * 1_000_000_000

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

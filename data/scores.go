package data

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"

	"churn/data/store"
)

// ReadColumns reads every column of a flat Parquet file, such as a part
// file of a run, into OutColumns in the file's column order. Strings
// (BYTE_ARRAY, STRING, dictionary) become String columns, DOUBLE and FLOAT
// Float columns with NaN for null, INT32 and INT64 Int columns with 0 for
// null, TIMESTAMP of any unit and DATE Timestamp columns in nanoseconds UTC
// with NoTime for null.
//
// Columns of any other type (booleans, decimals, nested groups) are
// skipped; ReadColumnsSkipped also names them. Errors name the file and,
// where one is at fault, the column; they wrap ErrCorrupt for a file that
// is not readable Parquet.
func ReadColumns(path string) ([]OutColumn, error) {
	cols, _, err := ReadColumnsSkipped(path)
	return cols, err
}

// ReadColumnsSkipped is ReadColumns that also returns the names of the
// columns it skipped because their type has no OutColumn kind.
func ReadColumnsSkipped(path string) (cols []OutColumn, skipped []string, err error) {
	return readColumns(path, nil)
}

// ReadNamedColumns is ReadColumns restricted to the named columns: only
// they are decoded. A name the file lacks, or whose type has no OutColumn
// kind, is left out of the result.
func ReadNamedColumns(path string, names []string) ([]OutColumn, error) {
	keep := make(map[string]bool, len(names))
	for _, n := range names {
		keep[n] = true
	}
	cols, _, err := readColumns(path, keep)
	return cols, err
}

// readColumns reads the columns of path that keep names, every column
// when keep is nil.
func readColumns(path string, keep map[string]bool) (cols []OutColumn, skipped []string, err error) {
	f, err := store.OpenFile(path)
	if err != nil {
		return nil, nil, &FileError{File: path, Err: err}
	}
	defer f.Close()
	return readColumnsFrom(f, path, keep)
}

// ReadStoreColumns is ReadColumns of the object key of s, a local folder
// or a bucket, restricted to names when some are given, as
// ReadNamedColumns: ranged reads of the footer and the column chunks. A
// failed request to the bucket is the store's error, no FileError.
func ReadStoreColumns(ctx context.Context, s *store.Store, key string, names ...string) (cols []OutColumn, err error) {
	var keep map[string]bool
	if len(names) > 0 {
		keep = make(map[string]bool, len(names))
		for _, n := range names {
			keep[n] = true
		}
	}
	f, err := s.Open(ctx, key)
	if err != nil {
		if _, local := s.Local(); local {
			return nil, &FileError{File: s.URL(key), Err: err}
		}
		return nil, err
	}
	defer f.Close()
	defer func() {
		if err != nil && f.Err() != nil {
			cols, err = nil, f.Err()
		}
	}()
	cols, _, err = readColumnsFrom(f, s.URL(key), keep)
	return cols, err
}

// readColumnsFrom reads the columns of f, named path in errors, that keep
// names, every column when keep is nil.
func readColumnsFrom(f *store.Reader, path string, keep map[string]bool) (cols []OutColumn, skipped []string, err error) {
	// Arrow's decoder can panic on garbled pages instead of returning an
	// error; such a file is corrupt, not a bug of ours.
	defer func() {
		if p := recover(); p != nil {
			cols, skipped = nil, nil
			err = &FileError{File: path, Err: fmt.Errorf("decode: %v: %w", p, ErrCorrupt)}
		}
	}()
	mem := memory.DefaultAllocator
	pr, err := file.NewParquetReader(f, file.WithReadProps(parquet.NewReaderProperties(mem)))
	if err != nil {
		return nil, nil, &FileError{File: path, Err: fmt.Errorf("%w: %w", ErrCorrupt, err)}
	}
	defer pr.Close()
	fr, err := pqarrow.NewFileReader(pr, pqarrow.ArrowReadProperties{BatchSize: DefaultBatchSize}, mem)
	if err != nil {
		return nil, nil, &FileError{File: path, Err: fmt.Errorf("%w: %w", ErrCorrupt, err)}
	}
	rows := int(pr.NumRows())
	var leaves []int
	for _, sf := range fr.Manifest.Fields {
		if keep != nil && !keep[sf.Field.Name] {
			continue
		}
		k, ok := columnKind(sf.Field.Type)
		if !sf.IsLeaf() || !ok {
			skipped = append(skipped, sf.Field.Name)
			continue
		}
		c := OutColumn{Name: sf.Field.Name, Kind: k}
		switch sf.Field.Type.ID() {
		case arrow.DATE32, arrow.DATE64:
			c.Date = true
		}
		switch k {
		case String:
			c.Strings = make([]string, 0, rows)
		case Float:
			c.Floats = make([]float64, 0, rows)
		case Int:
			c.Ints = make([]int64, 0, rows)
		case Timestamp:
			c.Times = make([]int64, 0, rows)
		}
		cols = append(cols, c)
		leaves = append(leaves, sf.ColIndex)
	}
	if len(cols) == 0 || rows == 0 {
		return cols, skipped, nil
	}
	rr, err := fr.GetRecordReader(context.Background(), leaves, nil)
	if err != nil {
		return nil, nil, &FileError{File: path, Err: fmt.Errorf("%w: %w", ErrCorrupt, err)}
	}
	defer rr.Release()
	for rr.Next() {
		rec := rr.Record()
		for i := range cols {
			if err := appendArray(&cols[i], rec.Column(i)); err != nil {
				return nil, nil, &FileError{File: path, Column: cols[i].Name, Err: err}
			}
		}
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, &FileError{File: path, Err: fmt.Errorf("%w: %w", ErrCorrupt, err)}
	}
	for i := range cols {
		if n := cols[i].Len(); n != rows {
			return nil, nil, &FileError{File: path, Column: cols[i].Name, Err: fmt.Errorf("read %d of %d rows: %w", n, rows, ErrCorrupt)}
		}
	}
	return cols, skipped, nil
}

// columnKind maps an Arrow type to the OutColumn kind that holds it.
func columnKind(dt arrow.DataType) (Kind, bool) {
	if d, ok := dt.(*arrow.DictionaryType); ok {
		if k, ok := columnKind(d.ValueType); ok && k == String {
			return String, true
		}
		return 0, false
	}
	switch dt.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY:
		return String, true
	case arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64:
		return Float, true
	case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64, arrow.UINT8, arrow.UINT16, arrow.UINT32:
		return Int, true
	case arrow.TIMESTAMP, arrow.DATE32, arrow.DATE64:
		return Timestamp, true
	}
	return 0, false
}

// appendArray appends one batch of a column to c.
func appendArray(c *OutColumn, arr arrow.Array) error {
	n := arr.Len()
	switch c.Kind {
	case String:
		if a, ok := arr.(*array.String); ok {
			c.Strings = appendStrings(c.Strings, a)
			return nil
		}
		dst := make([]string, n)
		if err := decodeStrings(dst, arr); err != nil {
			return err
		}
		for i, s := range dst {
			dst[i] = string([]byte(s)) // the batch's buffers are released
		}
		c.Strings = append(c.Strings, dst...)
	case Float:
		start := len(c.Floats)
		c.Floats = append(c.Floats, make([]float64, n)...)
		return decodeFloats(c.Floats[start:], arr)
	case Int:
		start := len(c.Ints)
		c.Ints = append(c.Ints, make([]int64, n)...)
		return decodeInts(c.Ints[start:], arr)
	case Timestamp:
		start := len(c.Times)
		c.Times = append(c.Times, make([]int64, n)...)
		return decodeTimes(c.Times[start:], arr)
	}
	return nil
}

// appendStrings copies a batch's string bytes once into one Go string and
// slices every value from it: one allocation per batch instead of one per
// value.
func appendStrings(dst []string, a *array.String) []string {
	n := a.Len()
	if n == 0 {
		return dst
	}
	off := a.ValueOffsets()
	lo, hi := off[0], off[n]
	all := string(a.ValueBytes()[:hi-lo])
	for i := 0; i < n; i++ {
		if a.IsNull(i) {
			dst = append(dst, "")
			continue
		}
		dst = append(dst, all[off[i]-lo:off[i+1]-lo])
	}
	return dst
}

// decodeInts reads an integer array exactly; null is 0.
func decodeInts(dst []int64, arr arrow.Array) error {
	switch a := arr.(type) {
	case *array.Int64:
		copy(dst, a.Int64Values())
	case *array.Int32:
		widenInt(dst, a.Int32Values())
	case *array.Int16:
		widenInt(dst, a.Int16Values())
	case *array.Int8:
		widenInt(dst, a.Int8Values())
	case *array.Uint32:
		widenInt(dst, a.Uint32Values())
	case *array.Uint16:
		widenInt(dst, a.Uint16Values())
	case *array.Uint8:
		widenInt(dst, a.Uint8Values())
	default:
		return fmt.Errorf("%s as int: %w", arr.DataType(), ErrWrongType)
	}
	if arr.NullN() > 0 {
		for i := range dst {
			if arr.IsNull(i) {
				dst[i] = 0
			}
		}
	}
	return nil
}

func widenInt[E ~int8 | ~int16 | ~int32 | ~uint8 | ~uint16 | ~uint32](dst []int64, src []E) {
	for i, v := range src[:len(dst)] {
		dst[i] = int64(v)
	}
}

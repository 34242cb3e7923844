package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
)

// Extra columns of customers/: the columns a customers file has beyond the
// contract's, which the features may use as customer attributes. They are
// read apart from the contract columns (the customers table is small),
// every value as text: numbers as strconv writes them, booleans as true
// and false, timestamps as Arrow formats them, null as "". A value longer
// than maxExtraBytes is cut at a rune boundary.

// maxExtraBytes bounds one extra value.
const maxExtraBytes = 256

// ExtraColumns returns the names of the leaf columns of customers file f
// that are not contract columns (under m), in schema order.
func ExtraColumns(f File, m Mapping) ([]string, error) {
	var out []string
	err := withArrowReader(f, func(fr *pqarrow.FileReader) error {
		contract := map[string]bool{}
		for _, c := range Contract[Customers] {
			contract[m.column(Customers, c.Name)] = true
		}
		for _, sf := range fr.Manifest.Fields {
			if sf.IsLeaf() && !contract[sf.Field.Name] {
				out = append(out, sf.Field.Name)
			}
		}
		return nil
	})
	return out, err
}

// ReadExtras streams customers file f's customer ids and the named extra
// columns to fn, in batches: ids[r] is row r's id ("" when null) and
// values[j][r] its value of names[j] as text ("" when null, or when the
// file lacks the column). The slices are reused after fn returns.
func ReadExtras(ctx context.Context, f File, m Mapping, names []string, fn func(ids []string, values [][]string) error) error {
	return withArrowReader(f, func(fr *pqarrow.FileReader) error {
		idName := m.column(Customers, "customer_id")
		pos := map[string]int{}
		for _, sf := range fr.Manifest.Fields {
			if sf.IsLeaf() {
				pos[sf.Field.Name] = sf.ColIndex
			}
		}
		idLeaf, ok := pos[idName]
		if !ok {
			return &FileError{File: f.Rel, Column: idName, Err: ErrMissingColumn}
		}
		leaves := []int{idLeaf}
		want := []string{idName}
		for _, n := range names {
			if l, ok := pos[n]; ok && n != idName {
				leaves = append(leaves, l)
				want = append(want, n)
			}
		}
		rr, err := fr.GetRecordReader(ctx, leaves, nil)
		if err != nil {
			return &FileError{File: f.Rel, Err: fmt.Errorf("%w: %w", ErrCorrupt, err)}
		}
		defer rr.Release()
		var ids []string
		values := make([][]string, len(names))
		for rr.Next() {
			if err := ctx.Err(); err != nil {
				return err
			}
			rec := rr.Record()
			n := int(rec.NumRows())
			cols := map[string]arrow.Array{}
			for c, fld := range rec.Schema().Fields() {
				cols[fld.Name] = rec.Column(c)
			}
			ids = textOf(ids, cols[idName], n)
			for j, name := range names {
				values[j] = textOf(values[j], cols[name], n)
			}
			if err := fn(ids, values); err != nil {
				return err
			}
		}
		if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
			return &FileError{File: f.Rel, Err: fmt.Errorf("%w: %w", ErrCorrupt, err)}
		}
		return nil
	})
}

// textOf writes n values of arr as text into dst; a nil arr gives nulls.
func textOf(dst []string, arr arrow.Array, n int) []string {
	dst = resize(dst, n)
	for i := range n {
		dst[i] = ""
		if arr == nil || arr.IsNull(i) {
			continue
		}
		v := arr.ValueStr(i)
		if !utf8.ValidString(v) {
			v = strings.ToValidUTF8(v, "\uFFFD")
		}
		if len(v) > maxExtraBytes {
			cut := maxExtraBytes
			for cut > 0 && !utf8.RuneStart(v[cut]) {
				cut--
			}
			v = v[:cut]
		}
		dst[i] = strings.Clone(v)
	}
	return dst
}

// withArrowReader opens f for Arrow's record reader, turning a decoder
// panic on a garbled file into a FileError as ReadFile does.
func withArrowReader(f File, fn func(fr *pqarrow.FileReader) error) (err error) {
	rel := f.Rel
	if rel == "" {
		rel = f.Path
	}
	defer func() {
		if p := recover(); p != nil {
			err = &FileError{File: rel, Err: fmt.Errorf("decode: %v: %w", p, ErrCorrupt)}
		}
	}()
	ra, fr, err := openArrow(context.Background(), f, rel, nil, DefaultBatchSize)
	if err != nil {
		return err
	}
	defer ra.Close()
	return fn(fr)
}

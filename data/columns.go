package data

import (
	"fmt"
	"math"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
)

// colVec holds one contract column of one record batch, decoded into the
// package's null conventions: "" for strings, NaN for numbers, NoTime for
// timestamps. A column absent from the file stays absent and reads as null.
type colVec struct {
	name    string // the column's name in the file
	present bool
	pos     int            // index of the column in the record
	dt      arrow.DataType // the column's type as Arrow reads it
	valid   bool           // every string is valid UTF-8 of at most MaxTextBytes
	s       []string
	f       []float64
	t       []int64
	// keys[i] is the key of s[i] in a keyed read, or noKey where not
	// yet known (the customer id column alone); keyed says the page path
	// set them for the batch.
	keys  []int32
	keyed bool
}

// acceptType reports whether an Arrow column of type dt can be read as a
// contract column of kind k. Integers widen to doubles; integer contract
// columns also accept doubles, as pandas writes integer columns with nulls.
func acceptType(k Kind, dt arrow.DataType) bool {
	if d, ok := dt.(*arrow.DictionaryType); ok {
		return k == String && acceptType(String, d.ValueType)
	}
	switch k {
	case String:
		switch dt.ID() {
		case arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY:
			return true
		}
	case Timestamp:
		switch dt.ID() {
		case arrow.TIMESTAMP, arrow.DATE32, arrow.DATE64:
			return true
		}
	case Float, Int:
		switch dt.ID() {
		case arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
			arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64,
			arrow.FLOAT16, arrow.FLOAT32, arrow.FLOAT64:
			return true
		}
	}
	return false
}

// decode fills v from arr, switching on the array type once per batch.
func (v *colVec) decode(k Kind, arr arrow.Array) error {
	n := arr.Len()
	switch k {
	case String:
		v.s = resize(v.s, n)
		return decodeStrings(v.s, arr)
	case Timestamp:
		v.t = resize(v.t, n)
		return decodeTimes(v.t, arr)
	default:
		v.f = resize(v.f, n)
		return decodeFloats(v.f, arr)
	}
}

// fillNull sets v to n nulls of kind k, for a column absent from the file.
func (v *colVec) fillNull(k Kind, n int) {
	switch k {
	case String:
		v.s = resize(v.s, n)
		clear(v.s)
	case Timestamp:
		v.t = resize(v.t, n)
		for i := range v.t {
			v.t[i] = NoTime
		}
	default:
		v.f = resize(v.f, n)
		for i := range v.f {
			v.f[i] = math.NaN()
		}
	}
}

func resize[E any](s []E, n int) []E {
	if cap(s) < n {
		return make([]E, n)
	}
	return s[:n]
}

func decodeStrings(dst []string, arr arrow.Array) error {
	switch a := arr.(type) {
	case *array.String:
		for i := range dst {
			dst[i] = a.Value(i)
		}
	case *array.LargeString:
		for i := range dst {
			dst[i] = a.Value(i)
		}
	case *array.Binary:
		for i := range dst {
			dst[i] = a.ValueString(i)
		}
	case *array.LargeBinary:
		for i := range dst {
			dst[i] = a.ValueString(i)
		}
	case *array.Dictionary:
		dict := make([]string, a.Dictionary().Len())
		if err := decodeStrings(dict, a.Dictionary()); err != nil {
			return err
		}
		for i := range dst {
			if a.IsNull(i) {
				continue
			}
			j := a.GetValueIndex(i)
			if j < 0 || j >= len(dict) {
				return fmt.Errorf("dictionary index %d of %d: %w", j, len(dict), ErrCorrupt)
			}
			dst[i] = dict[j]
		}
	default:
		return fmt.Errorf("%s as string: %w", arr.DataType(), ErrWrongType)
	}
	if arr.NullN() > 0 {
		for i := range dst {
			if arr.IsNull(i) {
				dst[i] = ""
			}
		}
	}
	return nil
}

// nsPer returns the nanoseconds in one unit.
func nsPer(u arrow.TimeUnit) int64 {
	switch u {
	case arrow.Second:
		return 1_000_000_000
	case arrow.Millisecond:
		return 1_000_000
	case arrow.Microsecond:
		return 1_000
	}
	return 1
}

// scaleTimes sets dst to src, units of per nanoseconds, in nanoseconds,
// clamping instants beyond the int64 range (years before 1677 or after
// 2262) to its ends, which later checks treat as out of range. The bounds
// are divided out once, not per value.
func scaleTimes[T ~int32 | ~int64](dst []int64, src []T, per int64) {
	dst = dst[:len(src)]
	if per == 1 {
		for i, v := range src {
			dst[i] = int64(v)
		}
		return
	}
	hi, lo := math.MaxInt64/per, (math.MinInt64+1)/per
	for i, v := range src {
		switch x := int64(v); {
		case x > hi:
			dst[i] = math.MaxInt64
		case x < lo:
			dst[i] = math.MinInt64 + 1 // NoTime is reserved for null
		default:
			dst[i] = x * per
		}
	}
}

func decodeTimes(dst []int64, arr arrow.Array) error {
	switch a := arr.(type) {
	case *array.Timestamp:
		// The unit is the file's; the time zone is UTC for UTC-adjusted
		// timestamps and empty for local ones, which are read as UTC.
		per := nsPer(a.DataType().(*arrow.TimestampType).Unit)
		scaleTimes(dst, a.TimestampValues()[:len(dst)], per)
	case *array.Date32:
		scaleTimes(dst, a.Date32Values()[:len(dst)], nsPerDay)
	case *array.Date64:
		scaleTimes(dst, a.Date64Values()[:len(dst)], 1_000_000)
	default:
		return fmt.Errorf("%s as timestamp: %w", arr.DataType(), ErrWrongType)
	}
	if arr.NullN() > 0 {
		for i := range dst {
			if arr.IsNull(i) {
				dst[i] = NoTime
			}
		}
	}
	return nil
}

type number interface {
	~int8 | ~int16 | ~int32 | ~int64 | ~uint8 | ~uint16 | ~uint32 | ~uint64 | ~float32 | ~float64
}

func widen[E number](dst []float64, src []E) {
	for i, v := range src[:len(dst)] {
		dst[i] = float64(v)
	}
}

func decodeFloats(dst []float64, arr arrow.Array) error {
	switch a := arr.(type) {
	case *array.Float64:
		copy(dst, a.Float64Values())
	case *array.Float32:
		widen(dst, a.Float32Values())
	case *array.Float16:
		for i, v := range a.Values()[:len(dst)] {
			dst[i] = float64(v.Float32())
		}
	case *array.Int64:
		widen(dst, a.Int64Values())
	case *array.Int32:
		widen(dst, a.Int32Values())
	case *array.Int16:
		widen(dst, a.Int16Values())
	case *array.Int8:
		widen(dst, a.Int8Values())
	case *array.Uint64:
		widen(dst, a.Uint64Values())
	case *array.Uint32:
		widen(dst, a.Uint32Values())
	case *array.Uint16:
		widen(dst, a.Uint16Values())
	case *array.Uint8:
		widen(dst, a.Uint8Values())
	default:
		return fmt.Errorf("%s as number: %w", arr.DataType(), ErrWrongType)
	}
	if arr.NullN() > 0 {
		for i := range dst {
			if arr.IsNull(i) {
				dst[i] = math.NaN()
			}
		}
	}
	return nil
}

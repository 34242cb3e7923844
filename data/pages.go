package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow"
	pq "github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/schema"
	"github.com/parquet-go/parquet-go"
)

// The page path: ReadFile decodes a file's contract columns page by page
// with parquet-go when every column is a flat column of a plain physical
// type (see pageConvFor), and with Arrow's record reader otherwise. Arrow
// still reads the schema and decides what each column means; parquet-go
// only decodes the physical values, which it does several times faster
// than Arrow's record reader (which copies every string into a builder and
// allocates new arrays per batch). Both paths give the same rows: the tests hold them to
// it on every fixture.

// pageWriter reports whether files of the writer named by a file's
// created_by go the page path: parquet-go's own (which our generator and
// table writer use) and DuckDB's, each checked against Arrow's reading in
// the tests. parquet-go v0.25.1 misreads the definition levels of files
// written by Arrow's Go writer ("parquet-go version 17.0.0", despite the
// name), so every other writer goes Arrow's way.
func pageWriter(createdBy string) bool {
	for _, p := range []string{"github.com/parquet-go/parquet-go", "churn version", "DuckDB"} {
		if strings.HasPrefix(createdBy, p) {
			return true
		}
	}
	return false
}

// pageConv says how a column's physical values become its contract kind.
type pageConv uint8

const (
	convNone    pageConv = iota // not for the page path
	convString                  // BYTE_ARRAY
	convTimeI64                 // INT64 timestamp, per nanoseconds per unit
	convDateI32                 // INT32 days
	convF64                     // DOUBLE
	convF32                     // FLOAT
	convI32                     // INT32, signed
	convU32                     // INT32 holding an unsigned value
	convI64                     // INT64, signed
	convU64                     // INT64 holding an unsigned value
)

// numericConv is the conversion of each Arrow type a Float or Int column
// may read as, with the physical type it must be stored as.
var numericConv = map[arrow.Type]struct {
	conv pageConv
	phys pq.Type
}{
	arrow.FLOAT64: {convF64, pq.Types.Double},
	arrow.FLOAT32: {convF32, pq.Types.Float},
	arrow.INT8:    {convI32, pq.Types.Int32},
	arrow.INT16:   {convI32, pq.Types.Int32},
	arrow.INT32:   {convI32, pq.Types.Int32},
	arrow.UINT8:   {convU32, pq.Types.Int32},
	arrow.UINT16:  {convU32, pq.Types.Int32},
	arrow.UINT32:  {convU32, pq.Types.Int32},
	arrow.INT64:   {convI64, pq.Types.Int64},
	arrow.UINT64:  {convU64, pq.Types.Int64},
}

// pageConvFor returns the conversion for a contract column of kind k read
// by Arrow as dt from the Parquet column col, or convNone when the column
// needs Arrow's record reader (nested or repeated columns, INT96
// timestamps, half floats, dictionaries Arrow would keep, and the like).
func pageConvFor(k Kind, dt arrow.DataType, col *schema.Column) (pageConv, int64) {
	if col == nil || col.MaxRepetitionLevel() != 0 || col.MaxDefinitionLevel() > 1 {
		return convNone, 0
	}
	phys := col.PhysicalType()
	switch k {
	case String:
		switch dt.ID() {
		case arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY:
			if phys == pq.Types.ByteArray {
				return convString, 0
			}
		}
	case Timestamp:
		switch t := dt.(type) {
		case *arrow.TimestampType:
			if phys == pq.Types.Int64 {
				return convTimeI64, nsPer(t.Unit)
			}
		case *arrow.Date32Type:
			if phys == pq.Types.Int32 {
				return convDateI32, nsPerDay
			}
		}
	case Float, Int:
		if n, ok := numericConv[dt.ID()]; ok && phys == n.phys {
			return n.conv, 0
		}
	}
	return convNone, 0
}

// pageCursor reads one column chunk page by page and fills batches of
// rows from it, whatever the page boundaries.
type pageCursor struct {
	name  string
	conv  pageConv
	per   int64 // nanoseconds per unit, for times
	pages parquet.Pages

	page   parquet.Page
	levels []byte // definition levels of the page; nil when required
	n      int    // levels (rows) in the page
	pos    int    // next level
	vpos   int    // next value

	// The page's values: one of these, by conv, or idx for a dictionary
	// page.
	bytes []byte
	offs  []uint32
	i32   []int32
	i64   []int64
	f32   []float32
	f64   []float64
	idx   []int32

	// The dictionary of the column chunk, converted once.
	dict  parquet.Dictionary
	dictS []string
	dictT []int64
	dictF []float64
	// dictValid: every string of the dictionary is valid UTF-8 of at most
	// MaxTextBytes; used says whether the batch used the dictionary.
	dictValid, usedDict bool

	// key, for the customer id column of a keyed read: dictKeys caches
	// the key of each dictionary string (noKey until asked).
	key      func(string) int32
	dictKeys []int32

	// arena holds the bytes of the batch's strings from plain pages;
	// pending says which rows point where, once the arena stops growing.
	arena   []byte
	pending []span
}

type span struct{ row, lo, hi int }

// scratch is a cursor's arena and pending spans, kept from file to file:
// they grow to a batch's strings, a few MB, which every file would
// otherwise allocate again.
type scratch struct {
	arena   []byte
	pending []span
}

var scratchPool sync.Pool

// close releases the page held and closes the pages.
func (c *pageCursor) close() {
	if c.page != nil {
		parquet.Release(c.page)
		c.page = nil
	}
	if c.pages != nil {
		c.pages.Close()
		c.pages = nil
	}
}

// next moves to the next page of the chunk; io.EOF when there is none.
func (c *pageCursor) next() error {
	if c.page != nil {
		parquet.Release(c.page)
		c.page = nil
	}
	for {
		p, err := c.pages.ReadPage()
		if err != nil {
			return err
		}
		n := int(p.NumValues())
		if n == 0 {
			parquet.Release(p)
			continue
		}
		c.page, c.n, c.pos, c.vpos = p, n, 0, 0
		c.levels = p.DefinitionLevels()
		if c.levels != nil && len(c.levels) != n {
			return fmt.Errorf("page of %d values has %d definition levels: %w", n, len(c.levels), ErrCorrupt)
		}
		values := 0
		if c.levels == nil {
			values = n
		} else {
			for _, l := range c.levels {
				if l != 0 {
					values++
				}
			}
		}
		if d := p.Dictionary(); d != nil {
			if err := c.useDict(d); err != nil {
				return err
			}
			data := p.Data()
			c.idx = data.Int32()
			if len(c.idx) < values {
				return fmt.Errorf("dictionary page of %d values has %d indexes: %w", values, len(c.idx), ErrCorrupt)
			}
			size := int32(len(c.dictS) + len(c.dictT) + len(c.dictF))
			for _, j := range c.idx[:values] {
				if j < 0 || j >= size {
					return fmt.Errorf("dictionary index %d of %d: %w", j, size, ErrCorrupt)
				}
			}
			return nil
		}
		c.idx = nil
		if got := c.decode(p); got < values {
			return fmt.Errorf("page of %d values decodes %d: %w", values, got, ErrCorrupt)
		}
		return nil
	}
}

// decode takes the plain values of page p and returns how many there are.
func (c *pageCursor) decode(p parquet.Page) int {
	data := p.Data()
	switch c.conv {
	case convString:
		c.bytes, c.offs = data.ByteArray()
		return max(len(c.offs)-1, 0)
	case convTimeI64, convI64, convU64:
		c.i64 = data.Int64()
		return len(c.i64)
	case convDateI32, convI32, convU32:
		c.i32 = data.Int32()
		return len(c.i32)
	case convF64:
		c.f64 = data.Double()
		return len(c.f64)
	case convF32:
		c.f32 = data.Float()
		return len(c.f32)
	}
	return 0
}

// useDict converts dictionary d, unless it is the one converted last.
func (c *pageCursor) useDict(d parquet.Dictionary) error {
	if d == c.dict {
		return nil
	}
	c.dict, c.dictS, c.dictT, c.dictF, c.dictKeys = d, nil, nil, nil, c.dictKeys[:0]
	p := d.Page()
	n := d.Len()
	// A dictionary page has no nulls: decode its values as a plain page's
	// and convert them all. (The page fields it sets are the next data
	// page's to set again.)
	if got := c.decode(p); got < n {
		return fmt.Errorf("dictionary of %d values decodes %d: %w", n, got, ErrCorrupt)
	}
	switch c.conv {
	case convString:
		// The dictionary's bytes are copied once, so its strings outlive
		// the page.
		b := append([]byte(nil), c.bytes[c.offs[0]:c.offs[n]]...)
		base := c.offs[0]
		c.dictS = make([]string, n)
		c.dictValid = true
		for i := range n {
			lo, hi := c.offs[i]-base, c.offs[i+1]-base
			if lo > hi || int(hi) > len(b) {
				return fmt.Errorf("dictionary string %d: %w", i, ErrCorrupt)
			}
			c.dictS[i] = unsafe.String(unsafe.SliceData(b[lo:]), hi-lo)
			if hi-lo > MaxTextBytes || !utf8.ValidString(c.dictS[i]) {
				c.dictValid = false
			}
		}
		if c.key != nil {
			c.dictKeys = resize(c.dictKeys, n)
			for i := range c.dictKeys {
				c.dictKeys[i] = noKey
			}
		}
	case convTimeI64, convDateI32:
		c.dictT = make([]int64, n)
		c.times(c.dictT, 0, n)
	default:
		c.dictF = make([]float64, n)
		c.floats(c.dictF, 0, n)
	}
	return nil
}

// times converts plain values v0..v0+n-1 into dst.
func (c *pageCursor) times(dst []int64, v0, n int) {
	switch c.conv {
	case convTimeI64:
		scaleTimes(dst, c.i64[v0:v0+n], c.per)
	case convDateI32:
		scaleTimes(dst, c.i32[v0:v0+n], c.per)
	}
}

// floats converts plain values v0..v0+n-1 into dst.
func (c *pageCursor) floats(dst []float64, v0, n int) {
	switch c.conv {
	case convF64:
		copy(dst, c.f64[v0:v0+n])
	case convF32:
		widen(dst, c.f32[v0:v0+n])
	case convI32:
		widen(dst, c.i32[v0:v0+n])
	case convU32:
		for i, v := range c.i32[v0 : v0+n] {
			dst[i] = float64(uint32(v))
		}
	case convI64:
		widen(dst, c.i64[v0:v0+n])
	case convU64:
		for i, v := range c.i64[v0 : v0+n] {
			dst[i] = float64(uint64(v))
		}
	}
}

// fill decodes the column's next n rows into v, reading pages as needed.
func (c *pageCursor) fill(v *colVec, k Kind, n int) error {
	switch k {
	case String:
		v.s = resize(v.s, n)
		c.arena, c.pending, c.usedDict = c.arena[:0], c.pending[:0], false
		if v.keyed = c.key != nil; v.keyed {
			v.keys = resize(v.keys, n)
		}
	case Timestamp:
		v.t = resize(v.t, n)
	default:
		v.f = resize(v.f, n)
	}
	for done := 0; done < n; {
		if c.pos == c.n {
			if err := c.next(); err != nil {
				if errors.Is(err, io.EOF) {
					return fmt.Errorf("column ends %d rows early: %w", n-done, ErrCorrupt)
				}
				return err
			}
		}
		m := min(n-done, c.n-c.pos)
		if c.levels == nil {
			c.run(v, k, done, c.vpos, m)
			c.vpos += m
		} else {
			// Runs of present values between nulls.
			lv := c.levels[c.pos : c.pos+m]
			for i := 0; i < m; {
				if lv[i] == 0 {
					c.null(v, k, done+i)
					i++
					continue
				}
				j := i + 1
				for j < m && lv[j] != 0 {
					j++
				}
				c.run(v, k, done+i, c.vpos, j-i)
				c.vpos += j - i
				i = j
			}
		}
		c.pos += m
		done += m
	}
	if k == String {
		v.valid = (!c.usedDict || c.dictValid) && utf8.Valid(c.arena)
		for _, p := range c.pending {
			v.s[p.row] = unsafe.String(unsafe.SliceData(c.arena[p.lo:]), p.hi-p.lo)
			// The arena is valid as a whole; each string is too when it
			// starts and ends on a rune boundary and is not too long.
			if v.valid && (p.hi-p.lo > MaxTextBytes || p.lo < len(c.arena) && !utf8.RuneStart(c.arena[p.lo]) ||
				p.hi < len(c.arena) && !utf8.RuneStart(c.arena[p.hi])) {
				v.valid = false
			}
		}
	} else {
		v.valid = false
	}
	return nil
}

func (c *pageCursor) null(v *colVec, k Kind, row int) {
	switch k {
	case String:
		v.s[row] = ""
		if v.keyed {
			v.keys[row] = noKey
		}
	case Timestamp:
		v.t[row] = NoTime
	default:
		v.f[row] = math.NaN()
	}
}

// run sets rows row..row+m-1 of v from the page's values v0..v0+m-1.
func (c *pageCursor) run(v *colVec, k Kind, row, v0, m int) {
	if c.idx != nil {
		idx := c.idx[v0 : v0+m]
		switch k {
		case String:
			c.usedDict = true
			dst := v.s[row : row+m]
			for i, j := range idx {
				dst[i] = c.dictS[j]
			}
			if v.keyed {
				c.dictKey(v.keys[row:row+m], idx)
			}
		case Timestamp:
			dst := v.t[row : row+m]
			for i, j := range idx {
				dst[i] = c.dictT[j]
			}
		default:
			dst := v.f[row : row+m]
			for i, j := range idx {
				dst[i] = c.dictF[j]
			}
		}
		return
	}
	switch k {
	case String:
		// One copy of the run's bytes; the strings are made when the
		// batch is complete, as the arena may still move.
		lo, hi := c.offs[v0], c.offs[v0+m]
		base := len(c.arena) - int(lo)
		c.arena = append(c.arena, c.bytes[lo:hi]...)
		for i := range m {
			c.pending = append(c.pending, span{row + i, int(c.offs[v0+i]) + base, int(c.offs[v0+i+1]) + base})
		}
		if v.keyed {
			for i := range m {
				v.keys[row+i] = noKey // keyed as the rows are built
			}
		}
	case Timestamp:
		c.times(v.t[row:row+m], v0, m)
	default:
		c.floats(v.f[row:row+m], v0, m)
	}
}

// dictKey sets dst to the keys of the dictionary strings idx, asking the
// key function once per string. A dictionary with a string that the reader
// cleans (invalid UTF-8, too long) keys nothing: the rows are keyed by
// their cleaned strings as they are built.
func (c *pageCursor) dictKey(dst, idx []int32) {
	if !c.dictValid {
		for i := range dst {
			dst[i] = noKey
		}
		return
	}
	for i, j := range idx {
		k := c.dictKeys[j]
		if k == noKey {
			k = c.key(c.dictS[j])
			c.dictKeys[j] = k
		}
		dst[i] = k
	}
}

// readPages is ReadFile's page path, for a file whose present columns all
// have a conversion (convs, by contract column). It returns false, and
// reads nothing, when parquet-go cannot open the file, so that the Arrow
// path reads it and reports what is wrong.
func readPages(ctx context.Context, r *reader, osf *os.File, size int64, leaves []int, convs []pageConv, pers []int64, batch int, d deliver) (bool, error) {
	pf, err := parquet.OpenFile(osf, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true), parquet.ReadBufferSize(256<<10))
	if err != nil {
		return false, nil
	}
	contract := Contract[r.table]
	cur := make([]pageCursor, len(contract))
	for i := range cur {
		if sc, ok := scratchPool.Get().(*scratch); ok {
			cur[i].arena, cur[i].pending = sc.arena[:0], sc.pending[:0]
		}
	}
	defer func() {
		for i := range cur {
			cur[i].close()
			if cap(cur[i].arena) > 0 {
				scratchPool.Put(&scratch{cur[i].arena, cur[i].pending})
			}
		}
	}()
	var base int64
	for rg, g := range pf.RowGroups() {
		r.rowGroup = rg
		chunks := g.ColumnChunks()
		li := 0
		for c := range contract {
			cur[c].close()
			if !r.cols[c].present {
				continue
			}
			leaf := leaves[li]
			li++
			if leaf >= len(chunks) {
				return true, &FileError{File: r.file, Column: r.cols[c].name, Err: fmt.Errorf("row group %d: no column chunk %d: %w", rg, leaf, ErrCorrupt)}
			}
			cur[c] = pageCursor{name: r.cols[c].name, conv: convs[c], per: pers[c], pages: chunks[leaf].Pages(),
				arena: cur[c].arena, pending: cur[c].pending, dictKeys: cur[c].dictKeys}
			if c == 0 {
				cur[c].key = r.key
			}
		}
		total := g.NumRows()
		for lo := int64(0); lo < total; lo += int64(batch) {
			if err := ctx.Err(); err != nil {
				return true, err
			}
			n := int(min(int64(batch), total-lo))
			for c := range contract {
				v := &r.cols[c]
				k := contract[c].Kind
				if !v.present {
					v.fillNull(k, n)
					continue
				}
				if err := cur[c].fill(v, k, n); err != nil {
					return true, &FileError{File: r.file, Column: v.name, Err: fmt.Errorf("row group %d: %w", rg, wrapCorrupt(err))}
				}
			}
			if err := r.emit(n, base+lo, d); err != nil {
				return true, err
			}
		}
		// Every column must end with the row group.
		for c := range contract {
			if !r.cols[c].present {
				continue
			}
			if cur[c].pos < cur[c].n {
				return true, &FileError{File: r.file, Column: r.cols[c].name, Err: fmt.Errorf("row group %d: more values than its %d rows: %w", rg, total, ErrCorrupt)}
			}
			if err := cur[c].next(); !errors.Is(err, io.EOF) {
				if err == nil {
					err = fmt.Errorf("more values than its %d rows: %w", total, ErrCorrupt)
				}
				return true, &FileError{File: r.file, Column: r.cols[c].name, Err: fmt.Errorf("row group %d: %w", rg, wrapCorrupt(err))}
			}
		}
		base += total
	}
	return true, nil
}

// wrapCorrupt marks a decoding error of parquet-go as ErrCorrupt.
func wrapCorrupt(err error) error {
	if errors.Is(err, ErrCorrupt) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrCorrupt, err)
}

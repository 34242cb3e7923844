package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"unicode/utf8"
	"unsafe"

	"github.com/apache/arrow/go/v17/arrow"
	pq "github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/compress"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/metadata"
	"github.com/apache/arrow/go/v17/parquet/schema"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/deprecated"
)

// The page path: ReadFile decodes the contract columns of a row group page
// by page with parquet-go when parquet-go's decoder is known to read every
// one of its column chunks right (pageChunkWhy), and with Arrow's record
// reader otherwise. Arrow still reads the schema and decides what each
// column means; parquet-go only decodes the physical values, which it does
// several times faster than Arrow's record reader (which copies every
// string into a builder and allocates new arrays per batch). Both paths
// give the same rows: the differential tests hold them to it, and to
// DuckDB, over files of many writers and options.

// pageCodecs are the compression codecs whose pages the page path reads.
// LZO and Hadoop-framed LZ4 are not: parquet-go has no codec for them.
var pageCodecs = map[compress.Compression]bool{
	compress.Codecs.Uncompressed: true,
	compress.Codecs.Snappy:       true,
	compress.Codecs.Gzip:         true,
	compress.Codecs.Brotli:       true,
	compress.Codecs.Zstd:         true,
	lz4Raw:                       true,
}

// encByteStreamSplit is BYTE_STREAM_SPLIT, which Arrow Go v17 does not name.
const encByteStreamSplit = pq.Encoding(9)

// pageEncoding reports whether the page path reads values of physical type
// phys in encoding e. RLE is the encoding of definition levels (and of
// booleans, which no contract column reads); BIT_PACKED, the deprecated
// level encoding, is handled by pageChunkWhy.
func pageEncoding(e pq.Encoding, phys pq.Type) bool {
	switch e {
	case pq.Encodings.Plain, pq.Encodings.PlainDict, pq.Encodings.RLEDict, pq.Encodings.RLE:
		return true
	case pq.Encodings.DeltaBinaryPacked:
		return phys == pq.Types.Int32 || phys == pq.Types.Int64
	case pq.Encodings.DeltaLengthByteArray, pq.Encodings.DeltaByteArray:
		return phys == pq.Types.ByteArray
	case encByteStreamSplit:
		return phys == pq.Types.Float || phys == pq.Types.Double
	}
	return false
}

// pageChunkWhy says why the page path does not read column chunk cc of
// column col, or "" when it does. The decision rests on what the file
// says of the chunk, never on which writer made it: its codec, every
// encoding it lists, and the page types and encodings of its encoding
// statistics when the writer kept them. Data pages v1 and v2 and
// dictionary pages are read; the BIT_PACKED level encoding only where the
// column has no levels (a REQUIRED column: parquet-mr lists BIT_PACKED for
// the empty repetition levels of every column).
//
// A nullable column with v2 data pages also needs the chunk's statistics
// to count its nulls (see nullCountMissing and reader.levelsWhy).
func pageChunkWhy(cc *metadata.ColumnChunkMetaData, col *schema.Column) string {
	if !pageCodecs[cc.Compression()] {
		return "codec " + cc.Compression().String()
	}
	phys := col.PhysicalType()
	ok := func(e pq.Encoding) bool {
		return pageEncoding(e, phys) || e == pq.Encodings.BitPacked && col.MaxDefinitionLevel() == 0
	}
	for _, e := range cc.Encodings() {
		if !ok(e) {
			return fmt.Sprintf("encoding %s of %s", e, phys)
		}
	}
	for _, st := range cc.EncodingStats() {
		switch pt := st.PageType.String(); pt {
		case "DATA_PAGE", "DATA_PAGE_V2", "DICTIONARY_PAGE":
		default:
			return "page type " + pt
		}
		if !ok(st.Encoding) {
			return fmt.Sprintf("encoding %s of %s", st.Encoding, phys)
		}
	}
	return ""
}

// nullCountMissing reports whether chunk cc of column col is nullable and
// its statistics do not count its nulls. The page path reads such a chunk
// only when all its data pages are v1: parquet-go takes the number of
// values of a v2 data page from the page header (num_values - num_nulls),
// not from its definition levels, and Arrow's Go writer fills num_nulls
// from the page statistics: with statistics off it writes num_nulls = 0
// for pages that hold nulls, and parquet-go then fails on, or misaligns,
// the values. Of a v1 page it counts the levels. Which pages are v2 cannot
// be told from the metadata (Arrow's Go writer lists its v2 pages as
// DATA_PAGE in the encoding statistics), only from the page headers,
// which checkPages reads; it also counts the nulls of a v2 page's levels
// (which are never compressed) against the header's num_nulls, and the
// page path reads the chunk when they agree on every page.
func nullCountMissing(cc *metadata.ColumnChunkMetaData, col *schema.Column) bool {
	if col.MaxDefinitionLevel() == 0 {
		return false
	}
	st, err := cc.Statistics()
	return err != nil || st == nil || !st.HasNullCount()
}

// levelsWhy says why row group rg, whose page headers checkPages read
// last, does not take the page path for its definition levels, or "": a
// chunk of a nullable column without a null count in its statistics has
// a v2 data page whose header's null count its levels do not confirm.
func (r *reader) levelsWhy(md *metadata.FileMetaData, leaves []int, rg int) string {
	g := md.RowGroup(rg)
	for li, leaf := range leaves {
		if !r.pageV2[li] {
			continue
		}
		cc, err := g.ColumnChunk(leaf)
		if err != nil {
			return err.Error()
		}
		if col := md.Schema.Column(leaf); nullCountMissing(cc, col) {
			return fmt.Sprintf("column %s: v2 data pages whose null counts the levels do not confirm, and no null count in the statistics of a nullable column", col.Name())
		}
	}
	return ""
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
	convTimeI96                 // INT96 timestamp (legacy Spark and Impala)
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
// needs Arrow's record reader (nested or repeated columns, half floats,
// dictionaries Arrow would keep, and the like).
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
			switch phys {
			case pq.Types.Int64:
				return convTimeI64, nsPer(t.Unit)
			case pq.Types.Int96: // Arrow reads INT96 as nanoseconds
				return convTimeI96, 1
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
	i96   []deprecated.Int96
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
	case convTimeI96:
		c.i96 = data.Int96()
		return len(c.i96)
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
	case convTimeI64, convDateI32, convTimeI96:
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
	case convTimeI96:
		int96Times(dst, c.i96[v0:v0+n])
	}
}

// int96Times sets dst to the instants, in nanoseconds, of INT96
// timestamps (nanoseconds of the day, then the Julian day) as Arrow's
// reader gives them (pqarrow's transferInt96): a Julian day of 0 reads as
// 0, and the arithmetic wraps as Arrow's unsigned arithmetic does.
func int96Times(dst []int64, src []deprecated.Int96) {
	const julianUnixEpoch, nsPerDay = 2_440_588, 86_400_000_000_000
	for i, v := range src {
		if v[2] == 0 {
			dst[i] = 0
			continue
		}
		nanos := uint64(v[0]) | uint64(v[1])<<32
		dst[i] = int64((uint64(v[2])-julianUnixEpoch)*nsPerDay + nanos)
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

// pageReader is ReadFile's page path over one file: the row groups it
// takes and the cursors of their columns.
type pageReader struct {
	r      *reader
	pf     *parquet.File
	leaves []int
	convs  []pageConv // by contract column
	pers   []int64
	batch  int
	ok     []bool // by row group: the page path reads it
	cur    []pageCursor
}

// openPages returns the page path of a file, or nil when it reads none of
// its row groups: a present column has no page conversion (pageConvFor),
// no row group has only chunks that the page path reads (pageChunkWhy), or
// parquet-go cannot open the file (Arrow then reads it, and reports what
// is wrong).
func (r *reader) openPages(pr *file.Reader, ra io.ReaderAt, size int64, leaves []int, batch int) *pageReader {
	if why := r.pagesWhy(pr, leaves); why != "" {
		return nil
	}
	p := &pageReader{r: r, leaves: leaves, batch: batch, convs: make([]pageConv, len(r.cols)), pers: make([]int64, len(r.cols))}
	sch := pr.MetaData().Schema
	li := 0
	for c := range r.cols {
		if r.cols[c].present {
			p.convs[c], p.pers[c] = pageConvFor(Contract[r.table][c].Kind, r.cols[c].dt, sch.Column(leaves[li]))
			li++
		}
	}
	some := false
	p.ok = make([]bool, pr.NumRowGroups())
	for rg := range p.ok {
		p.ok[rg] = r.groupWhy(pr, leaves, rg) == ""
		some = some || p.ok[rg]
	}
	if !some {
		return nil
	}
	pf, err := parquet.OpenFile(ra, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true), parquet.ReadBufferSize(256<<10))
	if err != nil || len(pf.RowGroups()) != len(p.ok) {
		return nil
	}
	p.pf = pf
	p.cur = make([]pageCursor, len(r.cols))
	for i := range p.cur {
		if sc, ok := scratchPool.Get().(*scratch); ok {
			p.cur[i].arena, p.cur[i].pending = sc.arena[:0], sc.pending[:0]
		}
	}
	return p
}

// pagesWhy says why no row group of the file can take the page path for
// its schema, or "".
func (r *reader) pagesWhy(pr *file.Reader, leaves []int) string {
	sch := pr.MetaData().Schema
	li := 0
	for c := range r.cols {
		v := &r.cols[c]
		if !v.present {
			continue
		}
		leaf := leaves[li]
		li++
		if leaf < 0 || leaf >= sch.NumColumns() {
			return "no column " + v.name
		}
		if conv, _ := pageConvFor(Contract[r.table][c].Kind, v.dt, sch.Column(leaf)); conv == convNone {
			return fmt.Sprintf("column %s: %s as %s", v.name, sch.Column(leaf).PhysicalType(), v.dt)
		}
	}
	return ""
}

// groupWhy says why row group rg does not take the page path, or "".
func (r *reader) groupWhy(pr *file.Reader, leaves []int, rg int) string {
	md := pr.MetaData()
	g := md.RowGroup(rg)
	for _, leaf := range leaves {
		cc, err := g.ColumnChunk(leaf)
		if err != nil {
			return err.Error()
		}
		if why := pageChunkWhy(cc, md.Schema.Column(leaf)); why != "" {
			return fmt.Sprintf("column %s: %s", md.Schema.Column(leaf).Name(), why)
		}
	}
	return ""
}

// takes reports whether the page path reads row group rg.
func (p *pageReader) takes(rg int) bool { return p != nil && p.ok[rg] }

// close releases the cursors and keeps their scratch for the next file.
func (p *pageReader) close() {
	if p == nil {
		return
	}
	for i := range p.cur {
		p.cur[i].close()
		if cap(p.cur[i].arena) > 0 {
			scratchPool.Put(&scratch{p.cur[i].arena, p.cur[i].pending})
		}
	}
}

// readRowGroup reads row group rg page by page, base being the file row
// index of its first row, and returns its number of rows.
func (p *pageReader) readRowGroup(ctx context.Context, rg int, base int64, d deliver) (int64, error) {
	r, cur := p.r, p.cur
	contract := Contract[r.table]
	g := p.pf.RowGroups()[rg]
	chunks := g.ColumnChunks()
	li := 0
	for c := range contract {
		cur[c].close()
		if !r.cols[c].present {
			continue
		}
		leaf := p.leaves[li]
		li++
		if leaf >= len(chunks) {
			return 0, &FileError{File: r.file, Column: r.cols[c].name, Err: fmt.Errorf("row group %d: no column chunk %d: %w", rg, leaf, ErrCorrupt)}
		}
		cur[c] = pageCursor{name: r.cols[c].name, conv: p.convs[c], per: p.pers[c], pages: chunks[leaf].Pages(),
			arena: cur[c].arena, pending: cur[c].pending, dictKeys: cur[c].dictKeys}
		if c == 0 {
			cur[c].key = r.key
		}
	}
	total := g.NumRows()
	for lo := int64(0); lo < total; lo += int64(p.batch) {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		n := int(min(int64(p.batch), total-lo))
		for c := range contract {
			v := &r.cols[c]
			k := contract[c].Kind
			if !v.present {
				v.fillNull(k, n)
				continue
			}
			if err := cur[c].fill(v, k, n); err != nil {
				return 0, &FileError{File: r.file, Column: v.name, Err: fmt.Errorf("row group %d: %w", rg, wrapCorrupt(err))}
			}
		}
		if err := r.emit(n, base+lo, d); err != nil {
			return 0, err
		}
	}
	// Every column must end with the row group.
	for c := range contract {
		if !r.cols[c].present {
			continue
		}
		if cur[c].pos < cur[c].n {
			return 0, &FileError{File: r.file, Column: r.cols[c].name, Err: fmt.Errorf("row group %d: more values than its %d rows: %w", rg, total, ErrCorrupt)}
		}
		if err := cur[c].next(); !errors.Is(err, io.EOF) {
			if err == nil {
				err = fmt.Errorf("more values than its %d rows: %w", total, ErrCorrupt)
			}
			return 0, &FileError{File: r.file, Column: r.cols[c].name, Err: fmt.Errorf("row group %d: %w", rg, wrapCorrupt(err))}
		}
	}
	return total, nil
}

// wrapCorrupt marks a decoding error of parquet-go as ErrCorrupt.
func wrapCorrupt(err error) error {
	if errors.Is(err, ErrCorrupt) {
		return err
	}
	return fmt.Errorf("%w: %w", ErrCorrupt, err)
}

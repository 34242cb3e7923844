package data

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/bits"

	"github.com/apache/arrow/go/v17/parquet/metadata"
	"github.com/parquet-go/parquet-go/encoding/thrift"
	"github.com/parquet-go/parquet-go/format"
)

// Page headers are checked before either decoder reads a row group. Both
// trust a header's sizes and counts: they allocate the uncompressed size
// of a page, a buffer per value of a dictionary or of levels, before they
// find that the page holds less. A garbled header that claims gigabytes
// would make them allocate, or exhaust memory (a fatal error of the Go
// runtime, which no recover catches), before they fail.

const (
	// maxPageHeader is the longest page header read (Arrow's default
	// limit); statistics of long strings make the longest.
	maxPageHeader = 16 << 20
	// firstPageHeader is how much of a page header is read at first; a
	// longer one is read again, twice as long each time.
	firstPageHeader = 512
	// maxPageBytes bounds the uncompressed size of one page, whatever its
	// chunk says: no writer makes pages near it (they make pages of about
	// 1 MB), and it keeps what a forged chunk size can make a decoder
	// allocate within reach.
	maxPageBytes = 1 << 30
)

var compact = &thrift.CompactProtocol{}

// checkPages reads the page headers of the column chunks leaves of row
// group rg and fails, with a FileError naming the column and the row
// group, on one that no sound file has: a page that runs past the end of
// its chunk, an uncompressed size larger than the chunk's whole
// uncompressed size (or than maxPageBytes), a data page of more values or
// rows than the row group has rows (the contract's columns are flat: one
// value or null per row), more nulls than values, or a dictionary of more
// entries than its bytes can hold. It stops at the end of the chunk or
// once the data pages hold the chunk's number of values.
//
// It also sets r.pageV2[i] to whether the chunk of leaves[i] has a v2 data
// page whose null count the page path cannot trust (see
// nullCountMissing): of a nullable column whose statistics count no
// nulls, a v2 page whose header's num_nulls differs from the nulls its
// definition levels hold, or whose levels it cannot count. The levels of
// a v2 page are never compressed; they are read and counted here.
func (r *reader) checkPages(src io.ReaderAt, md *metadata.FileMetaData, leaves []int, rg int) error {
	g := md.RowGroup(rg)
	rows := g.NumRows()
	buf := make([]byte, firstPageHeader)
	r.pageV2 = resize(r.pageV2, len(leaves))
	for li, leaf := range leaves {
		r.pageV2[li] = false
		cc, err := g.ColumnChunk(leaf)
		if err != nil {
			return &FileError{File: r.file, Err: fmt.Errorf("row group %d, column %d: %w: %w", rg, leaf, ErrCorrupt, err)}
		}
		col := md.Schema.Column(leaf)
		countNulls := nullCountMissing(cc, col)
		fail := func(at int64, format string, args ...any) error {
			return &FileError{File: r.file, Column: md.Schema.Column(leaf).Name(),
				Err: fmt.Errorf("row group %d: page at byte %d: %s: %w", rg, at, fmt.Sprintf(format, args...), ErrCorrupt)}
		}
		// As checkChunks and Arrow find the chunk.
		pos := cc.DataPageOffset()
		if cc.HasDictionaryPage() && cc.DictionaryPageOffset() > 0 && pos > cc.DictionaryPageOffset() {
			pos = cc.DictionaryPageOffset()
		}
		end := pos + cc.TotalCompressedSize()
		unc := min(cc.TotalUncompressedSize(), maxPageBytes)
		want := cc.NumValues()
		for values := int64(0); pos < end && values < want; {
			var h format.PageHeader
			n, err := readPageHeader(src, pos, end, &buf, &h)
			if err != nil {
				return fail(pos, "%v", err)
			}
			body := pos + int64(n)
			switch {
			case h.CompressedPageSize < 0 || int64(h.CompressedPageSize) > end-body:
				return fail(pos, "%d bytes compressed, past the end of the column chunk (%d bytes left)", h.CompressedPageSize, end-body)
			case h.UncompressedPageSize < 0 || int64(h.UncompressedPageSize) > unc:
				return fail(pos, "%d bytes uncompressed, more than the column chunk's %d", h.UncompressedPageSize, cc.TotalUncompressedSize())
			}
			switch {
			case h.DataPageHeader.Valid:
				v := h.DataPageHeader.V
				if v.NumValues < 0 || int64(v.NumValues) > rows {
					return fail(pos, "%d values in a row group of %d rows", v.NumValues, rows)
				}
				values += int64(v.NumValues)
			case h.DataPageHeaderV2.Valid:
				v := h.DataPageHeaderV2.V
				switch {
				case v.NumValues < 0 || int64(v.NumValues) > rows:
					return fail(pos, "%d values in a row group of %d rows", v.NumValues, rows)
				case v.NumRows < 0 || int64(v.NumRows) > rows:
					return fail(pos, "%d rows in a row group of %d rows", v.NumRows, rows)
				case v.NumNulls < 0 || v.NumNulls > v.NumValues:
					return fail(pos, "%d nulls of %d values", v.NumNulls, v.NumValues)
				case v.DefinitionLevelsByteLength < 0 || v.RepetitionLevelsByteLength < 0 ||
					int64(v.DefinitionLevelsByteLength)+int64(v.RepetitionLevelsByteLength) > int64(h.CompressedPageSize):
					return fail(pos, "levels of %d and %d bytes in a page of %d", v.DefinitionLevelsByteLength, v.RepetitionLevelsByteLength, h.CompressedPageSize)
				}
				values += int64(v.NumValues)
				if countNulls && !r.pageV2[li] {
					nulls, ok := r.countNulls(src, body+int64(v.RepetitionLevelsByteLength), v.DefinitionLevelsByteLength, int(v.NumValues), col.MaxDefinitionLevel())
					r.pageV2[li] = !ok || nulls != int(v.NumNulls)
				}
			case h.DictionaryPageHeader.Valid:
				// A PLAIN value of any type the contract reads takes a
				// byte or more.
				if v := h.DictionaryPageHeader.V; v.NumValues < 0 || v.NumValues > h.UncompressedPageSize {
					return fail(pos, "dictionary of %d values in %d bytes", v.NumValues, h.UncompressedPageSize)
				}
			}
			pos = body + int64(h.CompressedPageSize)
		}
	}
	return nil
}

// readPageHeader decodes the page header at pos, before end, into h and
// returns its length; *buf is the read buffer, grown as needed.
func readPageHeader(src io.ReaderAt, pos, end int64, buf *[]byte, h *format.PageHeader) (int, error) {
	for size := firstPageHeader; ; size *= 2 {
		size = int(min(int64(size), end-pos))
		if cap(*buf) < size {
			*buf = make([]byte, size)
		}
		b := (*buf)[:size]
		n, err := src.ReadAt(b, pos)
		if err != nil && !(errors.Is(err, io.EOF) && n == size) {
			return 0, fmt.Errorf("page header: %w", err)
		}
		*h = format.PageHeader{}
		rd := compact.NewReaderFromBytes(b)
		err = thrift.NewDecoder(rd).Decode(h)
		if err == nil {
			return rd.BytesRead(), nil
		}
		if int64(size) >= end-pos || size >= maxPageHeader {
			return 0, fmt.Errorf("page header: %w", err)
		}
	}
}

// countNulls counts the nulls among the first n definition levels of a
// v2 page, the size bytes at pos, encoded as RLE/bit-packed hybrid runs of
// bit width 1; ok is false unless the column's levels are 0 and 1 and the
// bytes hold n levels.
func (r *reader) countNulls(src io.ReaderAt, pos int64, size int32, n int, maxDef int16) (nulls int, ok bool) {
	if maxDef != 1 || size <= 0 {
		return 0, n == 0
	}
	r.levels = resize(r.levels, int(size))
	if _, err := src.ReadAt(r.levels, pos); err != nil {
		return 0, false
	}
	b := r.levels
	for seen := 0; seen < n; {
		h, k := binary.Uvarint(b)
		if k <= 0 {
			return 0, false
		}
		b = b[k:]
		if h&1 == 0 { // a run of one value
			if len(b) == 0 || b[0] > 1 {
				return 0, false
			}
			m := int(min(h>>1, uint64(n-seen)))
			if b[0] == 0 {
				nulls += m
			}
			seen += m
			b = b[1:]
			continue
		}
		// Groups of 8 bit-packed levels, one byte each at width 1.
		groups := int(min(h>>1, uint64(len(b))))
		if groups == 0 {
			return 0, false
		}
		for _, x := range b[:groups] {
			m := min(8, n-seen)
			nulls += m - bits.OnesCount8(x&byte(1<<m-1))
			seen += m
			if seen == n {
				break
			}
		}
		b = b[groups:]
	}
	return nulls, true
}

package data

import (
	"errors"
	"fmt"
	"io"

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
func (r *reader) checkPages(src io.ReaderAt, md *metadata.FileMetaData, leaves []int, rg int) error {
	g := md.RowGroup(rg)
	rows := g.NumRows()
	buf := make([]byte, firstPageHeader)
	for _, leaf := range leaves {
		cc, err := g.ColumnChunk(leaf)
		if err != nil {
			return &FileError{File: r.file, Err: fmt.Errorf("row group %d, column %d: %w: %w", rg, leaf, ErrCorrupt, err)}
		}
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

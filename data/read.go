package data

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/metadata"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"

	"churn/data/store"
)

// DefaultBatchSize is the number of rows per batch when
// ReadOptions.BatchSize is zero.
const DefaultBatchSize = 65536

// MaxTextBytes is the longest string a reader hands on; longer values are
// truncated at a rune boundary and counted as "text_truncated".
const MaxTextBytes = 64 << 10

// Mapping maps, per table, a contract column name to the column's name in
// the files. A missing entry, or an empty Mapping, means the contract name.
type Mapping map[Table]map[string]string

// column returns the name in the files of contract column name of t.
func (m Mapping) column(t Table, name string) string {
	if n, ok := m[t][name]; ok && n != "" {
		return n
	}
	return name
}

// ReadOptions tunes ReadFile and Validate. The zero value reads with the
// defaults and no time bound.
type ReadOptions struct {
	// BatchSize is the number of rows per batch; 0 means DefaultBatchSize.
	BatchSize int
	// Mapping renames contract columns to the names in the files.
	Mapping Mapping
	// Until skips rows whose main timestamp (signup_at, started_at, ts,
	// created_at, answered_at) is after it, with reason
	// "future_timestamp": a row at Until itself is kept (features, whose
	// cutoffs see only rows strictly before them, leave it out). NoTime,
	// and 0 so that the zero value means no bound, disable the check.
	Until int64
	// OnBad is called for every skipped row. A non-nil return stops the
	// read with that error. Nil means skipped rows are only counted.
	OnBad func(*RowError) error
	// Allocator is the Arrow allocator; nil means the Go allocator. It
	// must never hand out again a buffer that Arrow has freed: Arrow's
	// Parquet reader still reads some buffers after freeing them, so
	// recycled buffers give corrupt pages or, worse, wrong values.
	Allocator memory.Allocator
	// RowGroups, when not zero, has the read take only those row groups
	// of the file: what it hands on, skips, fixes and reports (row
	// groups and row indexes are the file's) is what the read of the
	// whole file does in them, so that reads of ranges that cover the
	// file's row groups together read the file. A range beyond the
	// file's row groups is an error before any row.
	RowGroups RowGroupRange
	// OnRowGroups, when set, is called with the file and its row groups
	// as its footer lists them, once the footer is read and before any
	// row, so that a caller learns a file's layout from a read it makes
	// anyway. It must be safe for concurrent use when files are read at
	// once.
	OnRowGroups func(f File, groups []RowGroupInfo)

	arrowOnly bool // tests: read with Arrow's record reader, never the page path
}

// FileStats counts what ReadFile did with one file.
type FileStats struct {
	Rows    int64            // rows read from the file
	Kept    int64            // rows handed to the caller
	Skipped map[string]int64 // rows skipped, by RowError.Reason
	Cleaned map[string]int64 // values fixed in kept rows, by reason
}

func (s *FileStats) clean(reason string) {
	if s.Cleaned == nil {
		s.Cleaned = map[string]int64{}
	}
	s.Cleaned[reason]++
}

// ReadFile streams the rows of one contract Parquet file to fn, in batches
// of at most opt.BatchSize rows, row group by row group, reading only the
// contract columns. It checks every row and skips the bad ones (see the
// package documentation for the rules), reporting each to opt.OnBad.
//
// The batch slice is reused after fn returns, and its strings alias the
// reader's buffers, which the next batch overwrites: callers must copy the
// rows, and strings.Clone the strings, that they keep (even as map keys).
// An error from fn stops the read and is returned as is.
//
// A file that cannot be opened or decoded, or whose schema breaks the
// contract, gives a *FileError before any row; a corrupt page found later
// gives a *FileError after the batches before it.
func ReadFile[T Row](ctx context.Context, f File, opt ReadOptions, fn func(batch []T) error) (FileStats, error) {
	spec, c, err := specOf[T]()
	if err != nil {
		return FileStats{}, fmt.Errorf("read %s: %w", f.Rel, err)
	}
	d := rowsTo(c, func(batch []T, _ []int32) error { return fn(batch) })
	d.table = spec.name
	return readFile(ctx, f, opt, nil, d)
}

// ReadKeyed is ReadFile that also hands fn, for each row of the batch,
// key of the row's customer id (the first column of every table) as the row
// has it, in keys, which is reused like the batch. Where a file's customer
// ids are dictionary encoded and read page by page, key is called once per
// dictionary entry rather than once per row, which saves a map lookup per
// row. key must give
// the same answer for the same id, and be safe for concurrent use when
// files are read at once; it should not return math.MinInt32, which is
// never cached.
func ReadKeyed[T Row](ctx context.Context, f File, opt ReadOptions, key func(id string) int32, fn func(batch []T, keys []int32) error) (FileStats, error) {
	if key == nil {
		return FileStats{}, fmt.Errorf("read %s: no key function", f.Rel)
	}
	spec, c, err := specOf[T]()
	if err != nil {
		return FileStats{}, fmt.Errorf("read %s: %w", f.Rel, err)
	}
	d := rowsTo(c, fn)
	d.table = spec.name
	return readFile(ctx, f, opt, key, d)
}

// ReadKeyedBatches is ReadKeyed for a file of any table, f.Table: fn gets
// each batch in the form the table's rows are best folded from, a
// *SessionColumns or *EventColumns (as ReadKeyedColumns gives them) for
// sessions and events, and a slice of the table's row type ([]Ticket, ...)
// for the others. The batches are reused as ReadFile's are.
func ReadKeyedBatches(ctx context.Context, f File, opt ReadOptions, key func(id string) int32, fn func(batch any, keys []int32) error) (FileStats, error) {
	if key == nil {
		return FileStats{}, fmt.Errorf("read %s: no key function", f.Rel)
	}
	spec := f.Table.spec()
	if spec == nil {
		return FileStats{}, fmt.Errorf("read %s: table %q is not one of the contract's: %w", f.Rel, f.Table, ErrWrongType)
	}
	var d deliver
	if spec.columnar != nil {
		d = spec.columnar(fn)
	} else {
		d = spec.rows.batches(fn)
	}
	d.table = spec.name
	return readFile(ctx, f, opt, key, d)
}

// ColumnBatch is a batch of ReadKeyedColumns: only the two tables that
// hold nearly all the rows of a dataset have one.
type ColumnBatch interface {
	SessionColumns | EventColumns
}

// SessionColumns is a batch of sessions, column by column: row i is
// (CustomerID[i], StartedAt[i], ...), checked and cleaned as ReadFile's
// Session rows are.
type SessionColumns struct {
	CustomerID []string
	StartedAt  []int64
	DurationS  []float64 // NaN: null
	Pages      []float64 // NaN: null
	Channel    []string
}

// EventColumns is a batch of events, column by column, as ReadFile's Event
// rows (a null quantity is 1).
type EventColumns struct {
	CustomerID []string
	TS         []int64
	Event      []string
	Quantity   []float64
}

// ReadKeyedColumns is ReadKeyed handing each batch over column by column. The
// columns are the reader's own, checked and compacted in place, so no row
// is copied: building row structs would cost more than folding them. The
// batch and its strings are reused as ReadFile's are.
func ReadKeyedColumns[C ColumnBatch](ctx context.Context, f File, opt ReadOptions, key func(id string) int32, fn func(batch *C, keys []int32) error) (FileStats, error) {
	if key == nil {
		return FileStats{}, fmt.Errorf("read %s: no key function", f.Rel)
	}
	var d deliver
	var zero C
	switch any(&zero).(type) {
	case *SessionColumns:
		d = sessionColumns(func(b any, keys []int32) error { return fn(b.(*C), keys) })
		d.table = Sessions
	case *EventColumns:
		d = eventColumns(func(b any, keys []int32) error { return fn(b.(*C), keys) })
		d.table = Events
	}
	return readFile(ctx, f, opt, key, d)
}

// sessionColumns delivers sessions as a *SessionColumns to fn.
func sessionColumns(fn func(batch any, keys []int32) error) deliver {
	var batch SessionColumns
	return deliver{fn: func(r *reader, n int) error {
		c := r.cols
		batch = SessionColumns{c[0].s[:n], c[1].t[:n], c[2].f[:n], c[3].f[:n], c[4].s[:n]}
		return fn(&batch, c[0].keys[:n])
	}}
}

// eventColumns delivers events as an *EventColumns to fn.
func eventColumns(fn func(batch any, keys []int32) error) deliver {
	var batch EventColumns
	return deliver{fn: func(r *reader, n int) error {
		c := r.cols
		batch = EventColumns{c[0].s[:n], c[1].t[:n], c[2].s[:n], c[3].f[:n]}
		return fn(&batch, c[0].keys[:n])
	}}
}

// ReadEventKeys is ReadKeyedColumns of events without their quantity,
// for a caller that needs only who did what when: the quantity column is
// not read (nor decompressed, on the page path), and the batch's Quantity
// is nil. The rows kept and skipped, their keys, the stats and the errors
// are ReadKeyedColumns', as the quantity never decides them.
func ReadEventKeys(ctx context.Context, f File, opt ReadOptions, key func(id string) int32, fn func(batch *EventColumns, keys []int32) error) (FileStats, error) {
	if key == nil {
		return FileStats{}, fmt.Errorf("read %s: no key function", f.Rel)
	}
	var batch EventColumns
	return readFile(ctx, f, opt, key, deliver{table: Events, skip: []int{3}, fn: func(r *reader, n int) error {
		c := r.cols
		batch = EventColumns{CustomerID: c[0].s[:n], TS: c[1].t[:n], Event: c[2].s[:n]}
		return fn(&batch, c[0].keys[:n])
	}})
}

// deliver hands the first n rows of the reader's checked columns of
// table to the caller. skip lists optional contract columns (by index) the
// caller does not use: they are not read, and read as null.
type deliver struct {
	table Table
	skip  []int
	fn    func(r *reader, n int) error
}

// rowsTo delivers rows of type T, read with c, to fn; the caller sets the
// table.
func rowsTo[T Row](c rowCodec[T], fn func([]T, []int32) error) deliver {
	var rows []T
	return deliver{fn: func(r *reader, n int) error {
		rows = resize(rows, n)
		for i := range rows {
			rows[i] = c.read(r.cols, i)
		}
		var keys []int32
		if r.key != nil {
			keys = r.cols[0].keys[:n]
		}
		return fn(rows, keys)
	}}
}

// openArrow opens the Parquet file f (named rel in errors) for Arrow's
// record reader, batch rows at a time, with mem (nil: the Go allocator).
// The caller closes ra, which also ends the reader. A file whose footer
// Arrow cannot parse is a *FileError wrapping ErrCorrupt; a bucket that
// fails gives the store's error, which is no FileError: the file may be
// fine.
func openArrow(ctx context.Context, f File, rel string, mem memory.Allocator, batch int) (ra *store.Reader, fr *pqarrow.FileReader, err error) {
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	ra, err = f.open(ctx)
	if err != nil {
		if f.store != nil {
			if _, local := f.store.Local(); !local {
				return nil, nil, err
			}
		}
		return nil, nil, &FileError{File: rel, Err: err}
	}
	pr, err := file.NewParquetReader(ra, file.WithReadProps(parquet.NewReaderProperties(mem)))
	if err == nil {
		fr, err = pqarrow.NewFileReader(pr, pqarrow.ArrowReadProperties{BatchSize: int64(batch)}, mem)
	}
	if err != nil {
		ra.Close()
		if rerr := ra.Err(); rerr != nil {
			return nil, nil, rerr
		}
		return nil, nil, &FileError{File: rel, Err: fmt.Errorf("%w: %w", ErrCorrupt, err)}
	}
	return ra, fr, nil
}

// noKey marks a key not yet known.
const noKey = math.MinInt32

func readFile(ctx context.Context, f File, opt ReadOptions, key func(string) int32, d deliver) (st FileStats, err error) {
	table := d.table
	spec := table.spec()
	if spec == nil {
		return st, fmt.Errorf("read %s: table %q is not one of the contract's: %w", f.Rel, table, ErrWrongType)
	}
	if f.Table != "" && f.Table != table {
		return st, &FileError{File: f.Rel, Err: fmt.Errorf("file of table %s read as %s: %w", f.Table, table, ErrWrongType)}
	}
	rel := f.Rel
	if rel == "" {
		rel = f.Path
	}
	// Arrow's Parquet decoder can panic on garbled pages or metadata
	// instead of returning an error; such a file is corrupt, not a bug of
	// ours, so the panic becomes a FileError here at the boundary. A read
	// that failed in the store is what went wrong, whatever the decoder
	// made of the missing bytes.
	var ra *store.Reader
	defer func() {
		if p := recover(); p != nil {
			err = &FileError{File: rel, Err: fmt.Errorf("decode: %v: %w", p, ErrCorrupt)}
		}
		if err != nil && ra != nil && ra.Err() != nil {
			err = ra.Err()
		}
	}()
	batch := opt.BatchSize
	if batch <= 0 {
		batch = DefaultBatchSize
	}
	ra, fr, err := openArrow(ctx, f, rel, opt.Allocator, batch)
	if err != nil {
		return st, err
	}
	defer ra.Close()
	pr := fr.ParquetReader()
	if opt.OnRowGroups != nil {
		opt.OnRowGroups(f, rowGroupsOf(pr.MetaData()))
	}
	from, to, err := opt.RowGroups.bounds(pr.NumRowGroups())
	if err != nil {
		return st, fmt.Errorf("read %s: %w", rel, err)
	}
	r := &reader{table: table, file: rel, opt: opt, cols: make([]colVec, len(spec.columns)), key: key, rules: &tableRules[table.Index()]}
	leaves, err := r.resolve(fr, d.skip)
	if err != nil {
		return st, err
	}
	fileSize := ra.Size()
	if err := r.checkChunks(pr, leaves, fileSize); err != nil {
		return r.st, err
	}
	var pages *pageReader
	if !opt.arrowOnly {
		pages = r.openPages(pr, ra, fileSize, leaves, batch)
		defer pages.close()
	}
	var base int64 // file row index of the first row of the row group
	for rg := range from {
		base += pr.MetaData().RowGroup(rg).NumRows()
	}
	for rg := from; rg < to; rg++ {
		r.rowGroup = rg
		if err := ra.Prefetch(ctx, chunkRanges(pr.MetaData(), leaves, rg)); err != nil {
			return r.st, err
		}
		if err := r.checkPages(ra, pr.MetaData(), leaves, rg); err != nil {
			return r.st, err
		}
		var n int64
		if pages.takes(rg) && r.levelsWhy(pr.MetaData(), leaves, rg) == "" {
			n, err = pages.readRowGroup(ctx, rg, base, d)
		} else {
			n, err = r.readArrowGroup(ctx, pr, fr, leaves, rg, base, d)
		}
		if err != nil {
			return r.st, err
		}
		base += n
	}
	return r.st, nil
}

// readArrowGroup reads row group rg with Arrow's record reader, base being
// the file row index of its first row, and returns its number of rows.
func (r *reader) readArrowGroup(ctx context.Context, pr *file.Reader, fr *pqarrow.FileReader, leaves []int, rg int, base int64, d deliver) (int64, error) {
	table, rel := r.table, r.file
	r.cols[0].keyed = false // the record reader's strings carry no keys
	rr, err := fr.GetRecordReader(ctx, leaves, []int{rg})
	if err != nil {
		return 0, &FileError{File: rel, Err: fmt.Errorf("row group %d: %w: %w", rg, ErrCorrupt, err)}
	}
	defer rr.Release()
	off := base
	for rr.Next() {
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		rec := rr.Record()
		n := int(rec.NumRows())
		if err := r.place(rec.Schema()); err != nil {
			return 0, err
		}
		for c := range r.cols {
			v := &r.cols[c]
			k := Contract[table][c].Kind
			if !v.present {
				v.fillNull(k, n)
				continue
			}
			if err := v.decode(k, rec.Column(v.pos)); err != nil {
				return 0, &FileError{File: rel, Column: v.name, Err: err}
			}
		}
		if err := r.emit(n, off, d); err != nil {
			return 0, err
		}
		off += int64(n)
	}
	if rerr := rr.Err(); rerr != nil && !errors.Is(rerr, io.EOF) {
		return 0, &FileError{File: rel, Err: fmt.Errorf("row group %d: %w: %w", rg, ErrCorrupt, rerr)}
	}
	if want := pr.MetaData().RowGroup(rg).NumRows(); off-base != want {
		return 0, &FileError{File: rel, Err: fmt.Errorf("row group %d: read %d of %d rows: %w", rg, off-base, want, ErrCorrupt)}
	}
	return off - base, nil
}

// reader is the state of one ReadFile call that the row builders share.
type reader struct {
	table    Table
	file     string
	opt      ReadOptions
	cols     []colVec // by index in Contract[table]
	rowGroup int
	st       FileStats
	req      []reqCol           // the required columns of Contract[table]
	key      func(string) int32 // keys the rows in cols[0].keys when set
	rules    *rules
	pageV2   []bool // by leaf read: its chunk in the row group has v2 pages of untrusted null counts (checkPages)
	levels   []byte // checkPages' buffer of definition levels
}

type reqCol struct {
	c    int // index in Contract[table]
	kind Kind
	name string
}

// resolve finds the contract columns in the file's schema, but for the
// optional columns skip, and returns their leaf indices.
func (r *reader) resolve(fr *pqarrow.FileReader, skip []int) ([]int, error) {
	var leaves []int
	for c, col := range Contract[r.table] {
		name := r.opt.Mapping.column(r.table, col.Name)
		v := &r.cols[c]
		v.name = name
		if !col.Required && slices.Contains(skip, c) {
			continue
		}
		for _, sf := range fr.Manifest.Fields {
			if sf.Field.Name != name {
				continue
			}
			if !sf.IsLeaf() || !acceptType(col.Kind, sf.Field.Type) {
				return nil, &FileError{File: r.file, Column: name, Err: fmt.Errorf("%s is not a %s: %w", sf.Field.Type, col.Kind, ErrWrongType)}
			}
			v.present = true
			v.dt = sf.Field.Type
			leaves = append(leaves, sf.ColIndex)
			break
		}
		if !v.present && col.Required {
			return nil, &FileError{File: r.file, Column: name, Err: ErrMissingColumn}
		}
	}
	return leaves, nil
}

// emit checks rows 0..n-1 of the decoded columns, skipping and reporting
// the bad ones (off is the file row index of row 0), moves the kept ones
// to the front of the columns, keys them when r.key is set, and delivers
// them.
func (r *reader) emit(n int, off int64, d deliver) error {
	r.st.Rows += int64(n)
	if n == 0 {
		return nil
	}
	if r.key != nil {
		r.unkeyed(n)
	}
	if r.checkAll(n) {
		if r.key != nil {
			for i := range n {
				r.keyRow(i)
			}
		}
		r.st.Kept += int64(n)
		return d.fn(r, n)
	}
	kept := 0
	for i := 0; i < n; i++ {
		if b, ok := r.checkRow(i); !ok {
			if err := r.skip(off+int64(i), b); err != nil {
				return err
			}
			continue
		}
		if kept != i {
			r.move(kept, i)
		}
		if r.key != nil {
			r.keyRow(kept)
		}
		kept++
	}
	r.st.Kept += int64(kept)
	if kept > 0 {
		return d.fn(r, kept)
	}
	return nil
}

// unkeyed readies the keys of the customer id column for n rows: the page
// path has set those it took from the dictionary; the others, and all of
// the record reader's, are noKey.
func (r *reader) unkeyed(n int) {
	if v := &r.cols[0]; !v.keyed {
		v.keys = resize(v.keys, n)
		for i := range v.keys {
			v.keys[i] = noKey
		}
	}
}

// move copies row i of every column to row j < i, keys included.
func (r *reader) move(j, i int) {
	for c := range r.cols {
		v := &r.cols[c]
		switch Contract[r.table][c].Kind {
		case String:
			v.s[j] = v.s[i]
			if c == 0 && r.key != nil {
				v.keys[j] = v.keys[i]
			}
		case Timestamp:
			v.t[j] = v.t[i]
		default:
			v.f[j] = v.f[i]
		}
	}
}

// keyRow sets the key of the customer id of row i, a checked row, unless
// the page path took it from the dictionary.
func (r *reader) keyRow(i int) {
	if v := &r.cols[0]; v.keys[i] == noKey {
		v.keys[i] = r.key(v.s[i])
	}
}

// checkChunks checks the metadata and extent of every column chunk that
// will be read. pqarrow reads a file's columns on goroutines of its own,
// where a panic on garbled metadata cannot be recovered by ReadFile, so
// this runs first, on ReadFile's goroutine.
func (r *reader) checkChunks(pr *file.Reader, leaves []int, fileSize int64) error {
	for rg := 0; rg < pr.NumRowGroups(); rg++ {
		md := pr.MetaData().RowGroup(rg)
		for _, leaf := range leaves {
			if leaf >= md.NumColumns() {
				return &FileError{File: r.file, Err: fmt.Errorf("row group %d has %d columns, not column %d: %w", rg, md.NumColumns(), leaf, ErrCorrupt)}
			}
			cc, err := md.ColumnChunk(leaf)
			if err != nil {
				return &FileError{File: r.file, Err: fmt.Errorf("row group %d, column %d: %w: %w", rg, leaf, ErrCorrupt, err)}
			}
			// As Arrow finds the chunk (file.RowGroupReader.GetColumnPageReader).
			start, size := cc.DataPageOffset(), cc.TotalCompressedSize()
			if cc.HasDictionaryPage() && cc.DictionaryPageOffset() > 0 && start > cc.DictionaryPageOffset() {
				start = cc.DictionaryPageOffset()
			}
			if start < 0 || size < 0 || start > fileSize || size > fileSize-start {
				return &FileError{File: r.file, Err: fmt.Errorf("row group %d, column %d: chunk of %d bytes at %d in a file of %d: %w", rg, leaf, size, start, fileSize, ErrCorrupt)}
			}
		}
	}
	return nil
}

// chunkRanges returns the byte ranges of the column chunks leaves of row
// group rg, found as checkChunks finds them (which has checked them), for
// a bucket's reader to fetch at once before they are read.
func chunkRanges(md *metadata.FileMetaData, leaves []int, rg int) []store.Range {
	g := md.RowGroup(rg)
	ranges := make([]store.Range, 0, len(leaves))
	for _, leaf := range leaves {
		cc, err := g.ColumnChunk(leaf)
		if err != nil {
			continue
		}
		start := cc.DataPageOffset()
		if cc.HasDictionaryPage() && cc.DictionaryPageOffset() > 0 && start > cc.DictionaryPageOffset() {
			start = cc.DictionaryPageOffset()
		}
		ranges = append(ranges, store.Range{Off: start, Len: cc.TotalCompressedSize()})
	}
	return ranges
}

// place finds the position of each present column in a record's schema.
func (r *reader) place(s *arrow.Schema) error {
	for c := range r.cols {
		v := &r.cols[c]
		if !v.present {
			continue
		}
		idx := s.FieldIndices(v.name)
		if len(idx) == 0 {
			return &FileError{File: r.file, Column: v.name, Err: ErrMissingColumn}
		}
		v.pos = idx[0]
	}
	return nil
}

// bad describes why a row is skipped: the contract column index, the
// reason key, the offending value and the sentinel.
type bad struct {
	col    int
	reason string
	value  string
	err    error
}

func (r *reader) skip(row int64, b bad) error {
	if r.st.Skipped == nil {
		r.st.Skipped = map[string]int64{}
	}
	r.st.Skipped[b.reason]++
	if r.opt.OnBad == nil {
		return nil
	}
	return r.opt.OnBad(&RowError{
		Table:    r.table,
		File:     r.file,
		RowGroup: r.rowGroup,
		Row:      row,
		Column:   r.cols[b.col].name,
		Value:    b.value,
		Err:      b.err,
		reason:   b.reason,
	})
}

// fix makes string column c of row i valid UTF-8 of at most MaxTextBytes,
// in place, counting what it changes; call it only for rows that are kept.
func (r *reader) fix(c, i int) {
	v := &r.cols[c]
	if v.valid {
		return
	}
	s := v.s[i]
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
		r.st.clean("invalid_utf8")
	}
	if len(s) > MaxTextBytes {
		n := MaxTextBytes
		for n > 0 && !utf8.RuneStart(s[n]) {
			n--
		}
		s = s[:n]
		r.st.clean("text_truncated")
	}
	v.s[i] = s
}

// reqCols returns the required columns of the table.
func (r *reader) reqCols() []reqCol {
	if r.req == nil {
		for c, col := range Contract[r.table] {
			if col.Required {
				r.req = append(r.req, reqCol{c, col.Kind, col.Name})
			}
		}
	}
	return r.req
}

// required checks the required columns of row i and the main timestamp
// bound; c0 is the main timestamp column.
func (r *reader) required(i, ts int) (bad, bool) {
	for _, rc := range r.reqCols() {
		c := rc.c
		v := &r.cols[c]
		null := false
		switch rc.kind {
		case String:
			null = v.s[i] == ""
		case Timestamp:
			null = v.t[i] == NoTime
		default:
			null = math.IsNaN(v.f[i])
		}
		if null {
			return bad{c, "null_" + rc.name, "null", ErrNull}, false
		}
	}
	if u := r.opt.Until; u != NoTime && u != 0 && r.cols[ts].t[i] > u {
		return bad{ts, "future_timestamp", formatTime(r.cols[ts].t[i]), ErrFuture}, false
	}
	return bad{}, true
}

// inRange sets the values of float column c in rows lo..hi-1 that are
// outside [from, to] to NaN, counted under reason.
func (r *reader) inRange(c, lo, hi int, from, to float64, reason string) {
	for i, v := range r.cols[c].f[lo:hi] {
		if !math.IsNaN(v) && (v < from || v > to) {
			r.st.clean(reason)
			r.cols[c].f[lo+i] = math.NaN()
		}
	}
}

func formatTime(ns int64) string {
	return TimeOf(ns).Format(time.RFC3339Nano)
}

func formatFloat(v float64) string {
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// rules are what a table's rows are checked and fixed by, its
// tableSpec's with columns by index: the main timestamp column (bounded by
// ReadOptions.Until), the rules that reject a row, in the order they are
// tried after the required columns, the text columns cleaned in kept rows,
// and the other fixes of kept rows (a null read as a value, values out of
// range nulled). A row that breaks no rule is kept with its fixes; the
// first rule it breaks is why it is skipped.
type rules struct {
	ts          int
	reject      []reject
	text        []int
	nullAs      []nullAs
	nullOutside []bound
}

// reject skips a row whose float column col is bad, with reason, and an
// error "what: ErrOutOfRange".
type reject struct {
	col    int
	reason string
	what   string
	bad    func(float64) bool
}

// nullAs reads a null of float column col as v.
type nullAs struct {
	col int
	v   float64
}

// bound nulls the values of float column col outside [lo, hi], counted
// under reason.
type bound struct {
	col    int
	lo, hi float64
	reason string
}

// tableRules holds the rules of every table, by Table.Index.
var tableRules = func() (out [NumTables]rules) {
	for t, spec := range tableSpecs {
		col := func(name string) int {
			for c, column := range spec.columns {
				if column.Name == name {
					return c
				}
			}
			panic(fmt.Sprintf("data: table %s has no column %s", spec.name, name)) // the list of tables is wrong: a test catches it
		}
		r := &out[t]
		r.ts = col(spec.time)
		for c, column := range spec.columns {
			if column.Kind == String {
				r.text = append(r.text, c)
			}
		}
		for _, x := range spec.reject {
			r.reject = append(r.reject, reject{col(x.column), x.reason, x.what, x.bad})
		}
		for _, x := range spec.nullAs {
			r.nullAs = append(r.nullAs, nullAs{col(x.column), x.value})
		}
		for _, x := range spec.nullOutside {
			r.nullOutside = append(r.nullOutside, bound{col(x.column), x.lo, x.hi, x.reason})
		}
	}
	return out
}()

// fixRows applies the fixes of kept rows lo..hi-1 other than the text's.
func (r *reader) fixRows(lo, hi int) {
	for _, x := range r.rules.nullAs {
		for i, v := range r.cols[x.col].f[lo:hi] {
			if math.IsNaN(v) {
				r.cols[x.col].f[lo+i] = x.v
			}
		}
	}
	for _, x := range r.rules.nullOutside {
		r.inRange(x.col, lo, hi, x.lo, x.hi, x.reason)
	}
}

// checkRow checks row i of the decoded columns and says why it is
// skipped, or fixes it in place so that the columns hold what the caller
// gets.
func (r *reader) checkRow(i int) (bad, bool) {
	if b, ok := r.required(i, r.rules.ts); !ok {
		return b, false
	}
	for _, x := range r.rules.reject {
		if v := r.cols[x.col].f[i]; x.bad(v) {
			return bad{x.col, x.reason, formatFloat(v), fmt.Errorf("%s: %w", x.what, ErrOutOfRange)}, false
		}
	}
	for _, c := range r.rules.text {
		r.fix(c, i)
	}
	r.fixRows(i, i+1)
	return bad{}, true
}

// checkAll is checkRow for rows 0..n-1 at once, column by column, when
// none of them is skipped: it reports false, and changes nothing, when
// some row breaks a rule. Nearly every batch of a sound file passes, at a
// fraction of the cost of checking row by row.
func (r *reader) checkAll(n int) bool {
	for _, rc := range r.reqCols() {
		v := &r.cols[rc.c]
		switch rc.kind {
		case String:
			for _, s := range v.s[:n] {
				if s == "" {
					return false
				}
			}
		case Timestamp:
			for _, t := range v.t[:n] {
				if t == NoTime {
					return false
				}
			}
		default:
			for _, f := range v.f[:n] {
				if math.IsNaN(f) {
					return false
				}
			}
		}
	}
	if u := r.opt.Until; u != NoTime && u != 0 {
		for _, t := range r.cols[r.rules.ts].t[:n] {
			if t > u {
				return false
			}
		}
	}
	for _, x := range r.rules.reject {
		for _, v := range r.cols[x.col].f[:n] {
			if x.bad(v) {
				return false
			}
		}
	}
	for _, c := range r.rules.text {
		if !r.cols[c].valid {
			for i := range n {
				r.fix(c, i)
			}
		}
	}
	r.fixRows(0, n)
	return true
}

package jobs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strings"
	"time"

	"churn/data"
	"churn/features"
	"churn/internal/fsutil"
	"churn/jobs/output"
)

// FeaturesSummary is what `churn features` reports.
type FeaturesSummary struct {
	Out      string   `json:"out"`
	Rows     int      `json:"rows"`
	Features int      `json:"features"`
	Cutoffs  []string `json:"cutoffs"`
	Labelled bool     `json:"labelled"`
	// Catalog is what the event mix ranks, the automated event names and
	// the attributes, learned from this data.
	Catalog features.Catalog `json:"feature_catalog"`
}

// Features writes the feature table: one row per customer as of the as-of
// date, or, with cutoffs > 0, one row per customer and monthly training
// cutoff with its label.
func Features(ctx context.Context, cfg Config, env Env, out string, cutoffs int) (*FeaturesSummary, error) {
	log := env.Log.With().Str("command", "features").Logger()
	_, asOf, ds, err := openDataset(&cfg, &env)
	if err != nil {
		return nil, err
	}
	cuts := []int64{data.Instant(asOf)}
	if cutoffs > 0 {
		cuts = cfg.Features.MonthlyCutoffs(asOf, cutoffs)
	}
	start := time.Now()
	ld, b, err := loadBuilder(ctx, &cfg, &env, ds, cuts, data.Instant(asOf), log)
	if err != nil {
		return nil, err
	}
	f, rows, err := writeFeatureTable(out, b, ld.Present, cutoffs > 0)
	if err != nil {
		return nil, err
	}
	logBuilt(log, len(ld.Inputs), rows, f, start)
	sum := &FeaturesSummary{Out: out, Rows: rows, Features: len(f.Names), Labelled: cutoffs > 0, Catalog: b.Catalog()}
	for _, c := range cuts {
		sum.Cutoffs = append(sum.Cutoffs, day(c))
	}
	log.Info().Str("out", out).Int("rows", sum.Rows).Int("features", sum.Features).Msg("features written")
	return sum, nil
}

// frameColumns lays a frame out as output columns: keys first, then every
// feature. The features' columns come from alloc, or make when it is nil.
func frameColumns(f *features.Frame, labelled bool, alloc func(n int) []float64) []data.OutColumn {
	if alloc == nil {
		alloc = func(n int) []float64 { return make([]float64, n) }
	}
	n := f.Rows()
	status := make([]string, n)
	for i := range n {
		status[i] = string(f.Status[i])
	}
	cols := []data.OutColumn{
		{Name: "customer_id", Kind: data.String, Strings: f.CustomerID},
		{Name: "cutoff", Kind: data.Timestamp, Times: f.Cutoff},
		{Name: "status", Kind: data.String, Strings: status},
		{Name: "plan", Kind: data.String, Strings: f.Plan},
		{Name: "region", Kind: data.String, Strings: f.Region},
	}
	if labelled {
		cols = append(cols, data.OutColumn{Name: "label", Kind: data.Float, Floats: f.Label})
	}
	for j, name := range f.Names {
		v := alloc(n)
		for i := range n {
			v[i] = f.X[i*len(f.Names)+j]
		}
		cols = append(cols, data.OutColumn{Name: name, Kind: data.Float, Floats: v})
	}
	return cols
}

// buildChunk is how many customers writeFeatureTable builds at once: it
// bounds the matrix and columns of one slice of the feature table.
const buildChunk = 16384

// writeHeadroom is how far writeFeatureTable lets the Go heap grow past
// what is live when it starts before the collector must run (a soft
// memory limit, see limitWriteHeap); the writer's own live buffers (zstd
// encoders, Arrow's pages, a few slices of columns) take part of it.
const writeHeadroom = 192 << 20

// limitWriteHeap collects, then sets a soft memory limit of the live heap
// plus writeHeadroom, unless a lower one is set (GOMEMLIMIT), and returns
// the function that restores the limit.
//
// Building and encoding the feature table make many times the live heap
// in short-lived buffers. With the default GOGC the heap would double
// before each collection and make the process's peak memory; a low GOGC
// keeps the peak down but collects often. Under the limit the collector
// runs only as the heap nears it. The collection first measures the live
// heap the writer starts from, so that the limit does not follow what the
// last collection of the read found live, and the peak does not vary from
// run to run.
func limitWriteHeap() (restore func()) {
	// What the last collection found live may include the reading's
	// batches; a collection now measures what the writer starts from.
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return func() {}
	}
	limit := int64(s[0].Value.Uint64()) + writeHeadroom
	old := debug.SetMemoryLimit(-1)
	if limit >= old {
		return func() {}
	}
	debug.SetMemoryLimit(limit)
	return func() { debug.SetMemoryLimit(old) }
}

// featureRowGroupRows is the row group size of the feature table. The
// writer holds the open row group's compressed pages, which for doubles
// barely compress, so the row group size bounds the writer's memory.
const featureRowGroupRows = 32768

// tableStream is where writeFeatureTable streams the slices of the
// feature table: a Parquet or a CSV file, which appears whole, by rename,
// at Close, or not at all.
type tableStream interface {
	Write(cols []data.OutColumn) error
	Close() error
	Abort()
}

// parquetTable is a ParquetStream into a temporary file that Close renames
// to path.
type parquetTable struct {
	*data.ParquetStream
	tmp, path string
}

func (p parquetTable) Close() error {
	if err := p.ParquetStream.Close(); err != nil {
		return fmt.Errorf("write %s: %w", p.path, err)
	}
	if err := fsutil.Rename(p.tmp, p.path); err != nil {
		return fmt.Errorf("write %s: %w", p.path, err)
	}
	return nil
}

// writeFeatureTable writes the feature table of every customer of b
// (writeFeatureRows), under a memory limit for the write (limitWriteHeap).
func writeFeatureTable(path string, b *features.Builder, present map[data.Table]bool, labelled bool) (*features.Frame, int, error) {
	defer limitWriteHeap()()
	return writeFeatureRows(path, b, present, labelled, 0, b.Customers())
}

// writeFeatureRows builds the rows of customers [lo, hi) of b one cutoff
// and one slice of customers at a time (BuildRangeInto) and streams each
// slice into one Parquet file, or a CSV file when path ends in .csv, so
// that memory holds a few slices of the matrix, not the table. A
// goroutine builds the next slices while the current one is encoded, so
// building and writing overlap on two cores. The rows are in cutoff
// order, then customer order. It returns the last slice's frame (for the
// names and families) and the rows written; no customers give a file of
// no rows with the table's columns.
func writeFeatureRows(path string, b *features.Builder, present map[data.Table]bool, labelled bool, lo, hi int) (*features.Frame, int, error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, 0, fmt.Errorf("write %s: %w", path, err)
	}
	tmp := fsutil.TempPath(path)

	type slice struct {
		f     *features.Frame
		cols  []data.OutColumn
		owned [][]float64 // the feature columns, back to spare once written
		err   error
	}
	// The feature columns of written slices are reused: at most three
	// slices' worth are alive (one written, one built, one waiting).
	spare := make(chan []float64, 512)
	slices := make(chan slice) // one slice is built while one is written
	stop := make(chan struct{})
	go func() {
		defer close(slices)
		var x []float64 // the matrix of the last slice, copied into its columns
		for k := range b.Cutoffs() {
			for from := lo; from < hi || (k == 0 && from == lo); from += buildChunk {
				f, err := b.BuildRangeInto(present, k, from, min(from+buildChunk, hi), x)
				var s slice
				if err != nil {
					s.err = fmt.Errorf("build features: %w", err)
				} else {
					s.f = f
					s.cols = frameColumns(f, labelled, func(n int) []float64 {
						var v []float64
						select {
						case v = <-spare:
						default:
						}
						if cap(v) < n {
							v = make([]float64, n)
						}
						s.owned = append(s.owned, v[:n])
						return v[:n]
					})
					x, f.X = f.X, nil // the columns hold the values now
				}
				select {
				case slices <- s:
				case <-stop:
					return
				}
				if err != nil {
					return
				}
			}
		}
	}()
	defer func() {
		close(stop)
		for range slices { // let the builder finish
		}
	}()

	var (
		w    tableStream
		f    *features.Frame
		rows int
	)
	fail := func(err error) (*features.Frame, int, error) {
		if w != nil {
			w.Abort()
		}
		return nil, 0, err
	}
	for s := range slices {
		if s.err != nil {
			return fail(fmt.Errorf("write %s: %w", path, s.err))
		}
		if w == nil {
			if strings.HasSuffix(strings.ToLower(path), ".csv") {
				cs, err := output.CreateCSVStream(path)
				if err != nil {
					return nil, 0, err
				}
				w = cs
			} else {
				ps, err := data.CreateParquetStream(tmp, s.cols, data.WriteOptions{RowGroupRows: featureRowGroupRows, Fast: true})
				if err != nil {
					return nil, 0, fmt.Errorf("write %s: %w", path, err)
				}
				w = parquetTable{ParquetStream: ps, tmp: tmp, path: path}
			}
		}
		if err := w.Write(s.cols); err != nil {
			return fail(err)
		}
		for _, v := range s.owned { // the stream keeps nothing of the columns
			select {
			case spare <- v:
			default:
			}
		}
		f = s.f
		rows += f.Rows()
	}
	if w == nil {
		return nil, 0, fmt.Errorf("write %s: no cutoff to build", path)
	}
	if err := w.Close(); err != nil {
		return nil, 0, err
	}
	return f, rows, nil
}

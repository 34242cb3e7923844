package jobs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"churn/data"
	"churn/features"
	"churn/jobs/ingest"
)

// InputFile is one input file as the manifest records it.
type InputFile = ingest.InputFile

// loaded is what reading a dataset into feature builders produced.
type loaded struct {
	Frame   *features.Frame
	Inputs  []InputFile
	Present map[data.Table]bool
	Rows    map[data.Table]int64 // rows read per table
	Skipped map[string]int64     // "table/reason" -> rows skipped
	Cleaned map[string]int64     // "table/reason" -> values fixed in kept rows
}

// loadFrame reads every file of ds once, folds the rows into per-customer
// accumulators for all cutoffs at once, and builds the feature frame.
// Customers are read first (they fix the customer index); the other tables'
// files are then read by up to cfg.Workers goroutines, and every batch is
// folded by cfg.Workers shards of the builder, each owning a share of the
// customers, which are joined at the end. Bad rows follow cfg.BadRows.
func loadFrame(ctx context.Context, cfg *Config, env *Env, ds *data.Dataset, cutoffs []int64, dataEnd int64, log zerolog.Logger) (*loaded, error) {
	start := time.Now()
	res, b, err := loadBuilder(ctx, cfg, env, ds, cutoffs, dataEnd, log)
	if err != nil {
		return nil, err
	}
	frame, err := b.Build(res.Present)
	if err != nil {
		return nil, fmt.Errorf("build features: %w", err)
	}
	res.Frame = frame
	logBuilt(log, len(res.Inputs), frame.Rows(), frame, start)
	return res, nil
}

// logBuilt logs the end of a features build and the families it skipped.
func logBuilt(log zerolog.Logger, files, rows int, f *features.Frame, start time.Time) {
	log.Info().Int("files", files).Int("rows_built", rows).
		Int("features", len(f.Names)).Int64("duration_ms", time.Since(start).Milliseconds()).Msg("features built")
	for _, fam := range f.Families {
		if !fam.Built {
			log.Warn().Str("family", fam.Name).Str("why", fam.Why).Msg("feature family skipped")
		}
	}
}

// loadBuilder is loadFrame without the build: it returns the filled
// builder, so that a caller can build one cutoff at a time with BuildAt.
// The result's Frame is nil.
func loadBuilder(ctx context.Context, cfg *Config, env *Env, ds *data.Dataset, cutoffs []int64, dataEnd int64, log zerolog.Logger) (*loaded, *features.Builder, error) {
	start := time.Now()
	b, err := features.NewBuilder(cfg.Features, cutoffs, dataEnd)
	if err != nil {
		return nil, nil, fmt.Errorf("features: %w", err)
	}
	res := &loaded{
		Present: map[data.Table]bool{},
		Rows:    map[data.Table]int64{},
		Skipped: map[string]int64{},
		Cleaned: map[string]int64{},
	}
	var files []data.File
	var totalBytes int64
	for _, t := range data.Tables {
		if len(ds.Files[t]) > 0 {
			res.Present[t] = true
		}
		for _, f := range ds.Files[t] {
			files = append(files, f)
			totalBytes += f.Size
		}
	}
	// The checksums for the manifest are taken while the files are read,
	// rather than alone before, when they would keep one core busy and the
	// others idle.
	sumCtx, stopSums := context.WithCancel(ctx)
	defer stopSums()
	type checksums struct {
		sums map[string]string
		err  error
	}
	sumsDone := make(chan checksums, 1)
	go func() {
		sums, err := ds.Checksums(sumCtx)
		sumsDone <- checksums{sums, err}
	}()
	res.Inputs = make([]InputFile, len(files))
	for i, f := range files {
		res.Inputs[i] = InputFile{Table: f.Table, Path: f.Rel, Bytes: f.Size}
	}

	prog := newProgress(log, totalBytes, env.Progress)
	stopProgress := prog.start(ctx)
	defer stopProgress()

	bad := newBadRows(cfg, log)
	opt := data.ReadOptions{Mapping: cfg.Mapping, Until: dataEnd, OnBad: bad.onBad}

	// Customers first: they fix the customer index that every shard shares.
	var unknown [numTables]atomic.Int64
	i := 0
	for ; i < len(files) && files[i].Table == data.Customers; i++ {
		st, err := data.ReadFile(ctx, files[i], opt, func(rows []data.Customer) error {
			b.AddCustomers(rows)
			prog.rows(data.Customers, len(rows))
			return nil
		})
		if err := res.record(cfg, i, files[i], st, err, log); err != nil {
			return nil, nil, err
		}
		prog.fileDone(files[i].Size)
	}
	if err := res.finishCustomers(ctx, cfg, b, files[:i], log); err != nil {
		return nil, nil, err
	}

	if err := learnCatalog(ctx, cfg, b, files[i:], opt, cfg.catalog, cutoffs[len(cutoffs)-1], log); err != nil {
		return nil, nil, err
	}

	// The other tables: cfg.Workers readers decode files and key each row
	// with its customer's index (data.ReadKeyed: once per dictionary entry
	// where the ids are dictionary encoded); cfg.Workers fold goroutines each own a
	// shard of the customers (index % workers) and fold every batch's rows
	// of their customers. The shards together hold one set of
	// accumulators, however many readers there are.
	rest := files[i:]
	offset := i
	workers := max(cfg.Workers, 1)
	readers := min(workers, max(len(rest), 1))
	shards := b.Shards(workers)
	stats := make([]readStats, len(rest))
	errs := make([]error, len(rest))
	stopped := make([]bool, len(rest))
	jobs := make([]chan foldJob, len(shards))
	fg, fctx := errgroup.WithContext(ctx)
	for w, sh := range shards {
		jobs[w] = make(chan foldJob) // unbuffered: the reader waits for every shard anyway
		fg.Go(func() error {
			for j := range jobs[w] {
				err := sh.AddResolved(j.batch, j.idx)
				j.wg.Done()
				if err != nil {
					return err
				}
			}
			return nil
		})
	}
	next := make(chan int) // unbuffered: a file goes to the first idle reader
	g, gctx := errgroup.WithContext(fctx)
	for range readers {
		g.Go(func() error {
			fold := func(batch any, idx []int32) error { return dispatch(gctx, jobs, batch, idx) }
			for k := range next {
				f := rest[k]
				n, err := readInto(gctx, b, f, opt, prog, fold)
				// A read that fails once gctx is done was stopped: by a
				// sibling's failure or the caller's cancellation, which
				// surface there, not by its own input. Its error is the
				// cancellation, however the reader wrapped it, and must
				// not stand for the cause.
				stopped[k] = err != nil && gctx.Err() != nil
				stats[k], errs[k] = n, err
				unknown[tableIndex[f.Table]].Add(n.unknown)
				prog.fileDone(f.Size)
				if err != nil && !optionalFile(cfg, f) {
					return err
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		defer close(next)
		for k := range rest {
			select {
			case next <- k:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	werr := g.Wait()
	for _, ch := range jobs {
		close(ch)
	}
	ferr := fg.Wait()
	// The run stops with the errors that caused the stop, in file order:
	// every file's own read error (bad input: exit 2), then a fold error.
	// The errgroups' first errors are not used as they are: a reader
	// stopped by a failing fold returns the cancellation first.
	var causes []error
	for k := range rest {
		err := errs[k]
		if stopped[k] {
			err = nil
		}
		if err := res.record(cfg, offset+k, rest[k], stats[k].stats, err, log); err != nil {
			causes = append(causes, err)
		}
	}
	if ferr != nil && !errors.Is(ferr, context.Canceled) {
		causes = append(causes, ferr)
	}
	if len(causes) > 0 {
		return nil, nil, errors.Join(causes...)
	}
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	if werr != nil || ferr != nil {
		return nil, nil, cmp.Or(werr, ferr)
	}
	if err := b.JoinShards(shards); err != nil {
		return nil, nil, fmt.Errorf("join features: %w", err)
	}
	for t, k := range tableIndex {
		if n := unknown[k].Load(); n > 0 {
			res.Skipped[string(t)+"/unknown_customer"] += n
			log.Warn().Str("table", string(t)).Int64("rows", n).Str("reason", "unknown_customer").
				Msg("rows for customer ids missing from customers/ were skipped")
		}
	}
	if err := res.checkBadFraction(cfg); err != nil {
		return nil, nil, err
	}
	cs := <-sumsDone
	if cs.err != nil {
		return nil, nil, fmt.Errorf("checksum inputs: %w", cs.err)
	}
	for i := range res.Inputs {
		res.Inputs[i].SHA256 = cs.sums[res.Inputs[i].Path]
	}
	stopProgress()
	log.Info().Int("files", len(files)).Int64("bytes", totalBytes).Int64("duration_ms", time.Since(start).Milliseconds()).Msg("inputs read")
	return res, b, nil
}

// numTables is the number of tables of the contract.
const numTables = 6

// tableIndex numbers the tables for per-table counters.
var tableIndex = map[data.Table]int{
	data.Customers: 0, data.Sessions: 1, data.Events: 2, data.Tickets: 3, data.Surveys: 4, data.Orders: 5,
}

type readStats struct {
	stats   data.FileStats
	unknown int64
}

// foldJob is one batch for one shard; the shard calls wg.Done when it has
// folded it.
type foldJob struct {
	batch any
	idx   []int32
	wg    *sync.WaitGroup
}

// dispatch hands a batch to every shard's fold goroutine and waits until
// all have folded it, as the reader reuses the batch afterwards.
func dispatch(ctx context.Context, jobs []chan foldJob, batch any, idx []int32) error {
	var wg sync.WaitGroup
	j := foldJob{batch: batch, idx: idx, wg: &wg}
	var err error
	for _, ch := range jobs {
		wg.Add(1)
		select {
		case ch <- j:
		case <-ctx.Done():
			wg.Done()
			err = ctx.Err()
		}
		if err != nil {
			break
		}
	}
	wg.Wait()
	return err
}

// readInto streams one file, with each row's customer index from b, into
// fold: sessions and events as column batches, the rest as rows.
func readInto(ctx context.Context, b *features.Builder, f data.File, opt data.ReadOptions, prog *progress, fold func(batch any, idx []int32) error) (readStats, error) {
	var rs readStats
	each := func(batch any, idx []int32) error {
		for _, i := range idx {
			if i < 0 {
				rs.unknown++
			}
		}
		prog.rows(f.Table, len(idx))
		return fold(batch, idx)
	}
	var err error
	switch f.Table {
	case data.Sessions:
		rs.stats, err = data.ReadKeyedColumns(ctx, f, opt, b.Index, func(c *data.SessionColumns, idx []int32) error { return each(c, idx) })
	case data.Events:
		rs.stats, err = data.ReadKeyedColumns(ctx, f, opt, b.Index, func(c *data.EventColumns, idx []int32) error { return each(c, idx) })
	case data.Tickets:
		rs.stats, err = data.ReadKeyed(ctx, f, opt, b.Index, func(r []data.Ticket, idx []int32) error { return each(r, idx) })
	case data.Surveys:
		rs.stats, err = data.ReadKeyed(ctx, f, opt, b.Index, func(r []data.Survey, idx []int32) error { return each(r, idx) })
	case data.Orders:
		rs.stats, err = data.ReadKeyed(ctx, f, opt, b.Index, func(r []data.Order, idx []int32) error { return each(r, idx) })
	default:
		return rs, fmt.Errorf("read %s: table %q is not one of the contract's", f.Rel, f.Table)
	}
	return rs, err
}

func optionalFile(cfg *Config, f data.File) bool {
	return slices.Contains(cfg.BadRows.OptionalFiles, f.Rel)
}

// finishCustomers adds the customer files' extra columns to b and freezes
// it, counting duplicate customer ids as skipped rows (an error under the
// fail policy). Every reader of the customers table ends with it.
func (res *loaded) finishCustomers(ctx context.Context, cfg *Config, b *features.Builder, files []data.File, log zerolog.Logger) error {
	if err := readExtras(ctx, cfg, b, files); err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	if dups := b.Freeze(); dups > 0 {
		res.Skipped[string(data.Customers)+"/duplicate_customer_id"] += int64(dups)
		log.Warn().Int("rows", dups).Str("table", string(data.Customers)).Str("reason", "duplicate_customer_id").
			Msg("duplicate customer ids: the first row of each wins")
		if cfg.BadRows.Policy == "fail" {
			return fmt.Errorf("%w: %d duplicate customer ids (bad_rows.policy is fail)", ErrInvalidInput, dups)
		}
	}
	return nil
}

// record adds one file's statistics to the result, and turns a read error
// into the error the run stops with, unless the file is optional and the
// error is about the file itself.
func (res *loaded) record(cfg *Config, i int, f data.File, st data.FileStats, err error, log zerolog.Logger) error {
	in := &res.Inputs[i]
	in.Rows, in.Kept = st.Rows, st.Kept
	res.Rows[f.Table] += st.Rows
	for reason, n := range st.Skipped {
		res.Skipped[string(f.Table)+"/"+reason] += n
	}
	for reason, n := range st.Cleaned {
		res.Cleaned[string(f.Table)+"/"+reason] += n
	}
	if err == nil {
		return nil
	}
	var fe *data.FileError
	if errors.As(err, &fe) && optionalFile(cfg, f) {
		in.Skipped, in.Error = true, err.Error()
		log.Warn().Err(err).Str("file", f.Rel).Msg("optional file unreadable: skipped")
		return nil
	}
	var re *data.RowError
	if errors.As(err, &fe) || errors.As(err, &re) {
		return fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	return err
}

// checkBadFraction fails the run when any table lost more than the allowed
// share of its rows. Rows after the as-of date are not bad: they are counted
// but do not count against the limit.
func (res *loaded) checkBadFraction(cfg *Config) error {
	bad := map[data.Table]int64{}
	for key, n := range res.Skipped {
		t, reason := splitKey(key)
		if reason == "future_timestamp" {
			continue
		}
		bad[t] += n
	}
	var errs []error
	for _, t := range data.Tables {
		rows := res.Rows[t]
		if rows == 0 || bad[t] == 0 {
			continue
		}
		if frac := float64(bad[t]) / float64(rows); frac > cfg.BadRows.MaxFraction {
			errs = append(errs, fmt.Errorf("%w: %s: %d of %d rows (%.2f%%) break the contract, above bad_rows.max_fraction %.2f%%",
				ErrInvalidInput, t, bad[t], rows, 100*frac, 100*cfg.BadRows.MaxFraction))
		}
	}
	return errors.Join(errs...)
}

func splitKey(key string) (data.Table, string) {
	for i := 0; i < len(key); i++ {
		if key[i] == '/' {
			return data.Table(key[:i]), key[i+1:]
		}
	}
	return data.Table(key), ""
}

// badRows applies the bad-row policy: under "fail" the first bad row stops
// the read; under "skip" each is counted by the reader, and the first few of
// each reason are logged so that a person sees examples.
type badRows struct {
	mu     sync.Mutex
	logged map[string]int
	fail   bool
	log    zerolog.Logger
}

const badRowExamples = 3

func newBadRows(cfg *Config, log zerolog.Logger) *badRows {
	return &badRows{logged: map[string]int{}, fail: cfg.BadRows.Policy == "fail", log: log}
}

func (b *badRows) onBad(e *data.RowError) error {
	reason := e.Reason()
	if reason == "future_timestamp" {
		return nil // rows after the as-of date are ignored, not bad
	}
	if b.fail {
		return e
	}
	key := string(e.Table) + "/" + reason
	b.mu.Lock()
	n := b.logged[key]
	b.logged[key] = n + 1
	b.mu.Unlock()
	if n < badRowExamples {
		b.log.Warn().Str("table", string(e.Table)).Str("file", e.File).Int("row_group", e.RowGroup).
			Int64("row", e.Row).Str("column", e.Column).Str("value", e.Value).Str("reason", reason).
			Msg("bad row skipped")
	}
	return nil
}

// progress logs rows read per table, the share of bytes done and the rate,
// at most every few seconds.
type progress struct {
	log        zerolog.Logger
	totalBytes int64
	doneBytes  atomic.Int64
	perTable   [numTables]atomic.Int64
	began      time.Time
	notify     func(Progress)
	once       sync.Once
	stop       chan struct{}
	wg         sync.WaitGroup
}

// progressEvery is how often long reads report progress.
const progressEvery = 3 * time.Second

func newProgress(log zerolog.Logger, totalBytes int64, notify func(Progress)) *progress {
	return &progress{log: log, totalBytes: totalBytes, began: time.Now(), notify: notify, stop: make(chan struct{})}
}

func (p *progress) rows(t data.Table, n int) { p.perTable[tableIndex[t]].Add(int64(n)) }
func (p *progress) fileDone(size int64)      { p.doneBytes.Add(size) }

// start runs the reporter until the returned function is called (which is
// safe to call more than once) or ctx ends.
func (p *progress) start(ctx context.Context) func() {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(progressEvery)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-p.stop:
				return
			case <-t.C:
				p.report()
			}
		}
	}()
	return func() {
		p.once.Do(func() {
			close(p.stop)
			p.wg.Wait()
			if p.notify != nil {
				p.notify(Progress{Rows: p.total(), Fraction: 1, Done: true})
			}
		})
	}
}

func (p *progress) report() {
	ev := p.log.Info()
	var total int64
	names := make([]string, 0, len(tableIndex))
	for t := range tableIndex {
		names = append(names, string(t))
	}
	sort.Strings(names)
	for _, name := range names {
		n := p.perTable[tableIndex[data.Table(name)]].Load()
		total += n
		ev = ev.Int64("rows_read_"+name, n)
	}
	secs := time.Since(p.began).Seconds()
	pct := 100.0
	if p.totalBytes > 0 {
		pct = 100 * float64(p.doneBytes.Load()) / float64(p.totalBytes)
	}
	rate := float64(total) / max(secs, 1e-9)
	ev.Int64("rows_read", total).Float64("percent_files", pct).Float64("rows_per_second", rate).Msg("reading")
	if p.notify != nil {
		p.notify(Progress{Rows: total, Fraction: pct / 100, RowsPerSecond: rate})
	}
}

func (p *progress) total() int64 {
	var n int64
	for i := range p.perTable {
		n += p.perTable[i].Load()
	}
	return n
}

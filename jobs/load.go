package jobs

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
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
	frame, err := buildFrame(ctx, b, res.Present, false, false, cfg.Workers)
	if err != nil {
		return nil, err
	}
	res.Frame = frame
	logBuilt(log, len(res.Inputs), frame.Rows(), frame, start)
	return res, nil
}

// buildFrame is b.Build, or b.BuildLabelled with labelled, on workers
// goroutines that fill the parts of one features.BuildPlan: the same
// frame, bit for bit, for any number of workers. With mapped the matrix
// lies off the heap (features.Builder.PlanBuildMapped), and the caller
// keeps the frame reachable while it uses the matrix.
func buildFrame(ctx context.Context, b *features.Builder, present map[data.Table]bool, labelled, mapped bool, workers int) (*features.Frame, error) {
	plan := b.PlanBuild
	if mapped {
		plan = b.PlanBuildMapped
	}
	p, err := plan(present, labelled)
	if err != nil {
		return nil, fmt.Errorf("build features: %w", err)
	}
	parts := make([]int, p.Parts())
	for j := range parts {
		parts[j] = j
	}
	next := make(chan int) // unbuffered: a part goes to the first idle worker
	g, gctx := errgroup.WithContext(ctx)
	for range min(max(workers, 1), max(len(parts), 1)) {
		g.Go(func() error {
			for j := range next {
				if err := p.Fill(j); err != nil {
					return fmt.Errorf("build features: %w", err)
				}
			}
			return nil
		})
	}
	g.Go(func() error { return ingest.Feed(gctx, next, parts) })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return p.Frame, nil
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
		sums map[string]data.Checksum
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

	prog := ingest.NewReporter(log, totalBytes, env.Progress)
	stopProgress := prog.Start(ctx)
	defer stopProgress()

	bad := ingest.NewBadRows(cfg.BadRows.Policy == "fail", log)
	opt := data.ReadOptions{Mapping: cfg.Mapping, Until: dataEnd, OnBad: bad.OnBad}

	// Customers first: they fix the customer index that every shard shares.
	var unknown [data.NumTables]atomic.Int64 // by data.Table.Index
	i := 0
	for ; i < len(files) && files[i].Table == data.Customers; i++ {
		st, err := data.ReadFile(ctx, files[i], opt, func(rows []data.Customer) error {
			b.AddCustomers(rows)
			prog.Rows(data.Customers, len(rows))
			return nil
		})
		if err := res.record(cfg, i, files[i], st, err, log); err != nil {
			return nil, nil, err
		}
		prog.FileDone(files[i].Size)
	}
	if err := res.finishCustomers(ctx, cfg, b, files[:i], log); err != nil {
		return nil, nil, err
	}

	pending, err := learnCatalog(ctx, cfg, b, files[i:], opt, cfg.catalog, cutoffs[len(cutoffs)-1], true, log)
	if err != nil {
		return nil, nil, err
	}

	// The other tables: cfg.Workers readers decode files and key each row
	// with its customer's index (data.ReadKeyed: once per dictionary entry
	// where the ids are dictionary encoded); cfg.Workers fold goroutines each own a
	// shard of the customers (index % workers) and fold every batch's rows
	// of their customers. The shards together hold one set of
	// accumulators, however many readers there are. A pending catalog
	// splits the pass in two: every table but the events, whose sessions
	// it profiles, then the events, under the catalog learned in between;
	// a sampled one's guess, verified against the profile of every event
	// row the readers take as they read, and the events read again when
	// the catalog learned folds them otherwise (pendingCatalog).
	rest := files[i:]
	offset := i
	workers := max(cfg.Workers, 1)
	shards := b.Shards(workers)
	stats := make([]ingest.ReadStats, len(rest))
	errs := make([]error, len(rest))
	stopped := make([]bool, len(rest))
	jobs := make([]chan ingest.FoldJob, len(shards))
	fg, fctx := errgroup.WithContext(ctx)
	for w, sh := range shards {
		jobs[w] = make(chan ingest.FoldJob) // unbuffered: the reader waits for every shard anyway
		fg.Go(func() error {
			for j := range jobs[w] {
				err := sh.AddResolved(j.Batch, j.Idx)
				j.WG.Done()
				if err != nil {
					return err
				}
			}
			return nil
		})
	}
	// readPhase reads the files rest[k] for k in ks; with profile, reader
	// r also hands its sessions, or its events, to the pending catalog.
	readPhase := func(ks []int, profile profiled, prog *ingest.Reporter) error {
		readers := min(workers, max(len(ks), 1))
		switch profile {
		case profileSessions:
			pending.readers(readers)
		case profileEvents:
			pending.eventReaders(readers)
		}
		next := make(chan int) // unbuffered: a file goes to the first idle reader
		g, gctx := errgroup.WithContext(fctx)
		for r := range readers {
			g.Go(func() error {
				fold := func(batch any, idx []int32) error { return ingest.Dispatch(gctx, jobs, batch, idx) }
				switch profile {
				case profileSessions:
					fold = func(batch any, idx []int32) error {
						if c, ok := batch.(*data.SessionColumns); ok {
							pending.addSessions(r, c, idx)
						}
						return ingest.Dispatch(gctx, jobs, batch, idx)
					}
				case profileEvents:
					fold = func(batch any, idx []int32) error {
						if c, ok := batch.(*data.EventColumns); ok {
							pending.addEvents(r, c, idx)
						}
						return ingest.Dispatch(gctx, jobs, batch, idx)
					}
				}
				for k := range next {
					f := rest[k]
					n, err := ingest.ReadInto(gctx, b, f, opt, prog, fold)
					// A read that fails once gctx is done was stopped: by a
					// sibling's failure or the caller's cancellation, which
					// surface there, not by its own input. Its error is the
					// cancellation, however the reader wrapped it, and must
					// not stand for the cause.
					stopped[k] = err != nil && gctx.Err() != nil
					stats[k], errs[k] = n, err
					if t := f.Table.Index(); t >= 0 {
						unknown[t].Add(n.Unknown)
					}
					prog.FileDone(f.Size)
					if err != nil && !optionalFile(cfg, f) {
						return err
					}
				}
				return nil
			})
		}
		g.Go(func() error { return ingest.Feed(gctx, next, ks) })
		return g.Wait()
	}
	var werr error
	if pending == nil {
		all := make([]int, len(rest))
		for k := range all {
			all[k] = k
		}
		werr = readPhase(all, profileNone, prog)
	} else {
		var others, events []int
		for k, f := range rest {
			if f.Table == data.Events {
				events = append(events, k)
			} else {
				others = append(others, k)
			}
		}
		werr = readPhase(others, profileSessions, prog)
		if werr == nil {
			werr = pending.finish(shards)
		}
		if werr == nil && pending.sampled > 0 {
			werr = readPhase(events, profileEvents, prog)
			refold := false
			if werr == nil {
				refold, werr = pending.verify()
			}
			if werr == nil && refold {
				// The files' statistics and unknown customers are
				// those of this read, which replaces the first; the
				// progress was reported by it.
				unknown[data.Events.Index()].Store(0)
				werr = readPhase(events, profileNone, ingest.NewReporter(log, 0, nil))
			}
		} else if werr == nil {
			werr = readPhase(events, profileNone, prog)
		}
	}
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
		if err := res.record(cfg, offset+k, rest[k], stats[k].Stats, err, log); err != nil {
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
	for k, t := range data.Tables {
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
		res.Inputs[i].SetChecksum(cs.sums[res.Inputs[i].Path])
	}
	stopProgress()
	log.Info().Int("files", len(files)).Int64("bytes", totalBytes).Int64("duration_ms", time.Since(start).Milliseconds()).Msg("inputs read")
	return res, b, nil
}

// profiled says what the readers of a phase of loadBuilder's main pass
// hand to the pending catalog besides the fold.
type profiled int

const (
	profileNone profiled = iota
	profileSessions
	profileEvents
)

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
	return inputError(err)
}

// inputError marks a read's error as invalid input (exit 2) when it is
// about the input: a file that cannot be read as the contract says
// (*data.FileError) or a row that breaks it under the fail policy
// (*data.RowError). Every read of the dataset's files reports its errors
// through it.
func inputError(err error) error {
	var (
		fe *data.FileError
		re *data.RowError
	)
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
		t, reason := ingest.SplitKey(key)
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

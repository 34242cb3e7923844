package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"slices"
	"sync"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/klauspost/compress/zstd"
	"github.com/rs/zerolog"

	"churn/data/store"
	"churn/features"
	"churn/jobs"
)

// The features pipeline, in the shape of `churn features`:
//
//	fold indexes (one element per history file, or per range of row
//	groups of a large one: the plan's Folds)
//	  -> fold: read the file's row groups into a fork of the frozen
//	     customer index,
//	     emit per customer range the fork's partial of that range
//	     (EncodePartial, zstd: the customers the file holds, no others;
//	     spilled to a file of the job's temporary folder when large, so
//	     that the element is its path), then release the fork; and what
//	     the read found
//	  -> GroupByKey(range)
//	  -> write: merge the range's partials one by one into a RangeFork
//	     of the range (MergePartial), build every cutoff's rows of the
//	     range, one Parquet part, then release the RangeFork
//	  -> commit (one element, with the parts and the read results as side
//	     inputs): bad-row limit, spilled partials removed, manifest, then
//	     the folder appears by rename
//
// Elements are encoded partials or their paths, never rows. A fork lives
// while its file is folded and encoded, a range's accumulator while the
// range is merged and written, and each is released (its off-heap pages
// unmapped) when done, not at the garbage collector's pace: a worker
// holds one of each per bundle it runs at once. The merge is a
// GroupByKey and a DoFn, not a lifted combine, whose pre-combine would
// keep every range's accumulator of a bundle live until the bundle ends.
// Every step calls the root module's packages (jobs, features, data): the
// pipeline adds the distribution, no feature or reader code.

func init() {
	register.DoFn4x1[context.Context, int, func(int, []byte), func(string), error](&foldFn{})
	register.Emitter2[int, []byte]()
	register.Emitter1[string]()
	register.Iter1[[]byte]()
	register.DoFn4x1[context.Context, int, func(*[]byte) bool, func(string), error](&writeFn{})
	register.DoFn4x1[context.Context, []byte, func(*string) bool, func(*string) bool, error](&commitFn{})
	register.Iter1[string]()
}

var (
	zenc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest))
	zdec, _ = zstd.NewReader(nil)
)

// A fold's partial of one customer range travels to the range's merge as
// one element of the group by range, in one of two forms, told apart by
// its first byte:
//
//   - partialInline, then the partial compressed with zstd;
//   - partialSpilled, then the path of a file holding those bytes, in the
//     job's spill folder (a folder every worker reaches, as the output).
//
// A fold given a spill folder spills every partial of more than
// spillBytes compressed: the runner then shuffles a path, not the
// megabytes of a range the fold touches, and the merge reads the partials
// one at a time, so that neither the runner nor a worker holds a range's
// partials all at once (runners hold a key's grouped values in memory,
// and Prism, one worker per job, every key's of a bundle). A range the
// fold does not touch is a few hundred bytes and stays inline. Spilled
// files are named for the fold and the range, and written whole by
// rename, so a retried fold rewrites the same file with the same bytes.
const (
	partialInline  = 'i'
	partialSpilled = 'f'
)

// spillBytes is the largest compressed partial a fold with a spill folder
// sends inline (a variable so that tests can spill every partial).
var spillBytes = 32 << 10

// encodeRange returns the element of the partial of customers [lo, hi)
// of b (a fork that folded the plan's k-th fold) for the r-th range:
// compressed with zstd, inline, or spilled under the shared location
// spill (putShared) when it is not empty and the partial is large. raw is
// scratch.
func encodeRange(ctx context.Context, b *features.Builder, k, r, lo, hi int, spill string, raw []byte) ([]byte, []byte, error) {
	raw, err := b.EncodePartial(raw[:0], lo, hi)
	if err != nil {
		return nil, raw, fmt.Errorf("partial of customers %d to %d: %w", lo, hi, err)
	}
	z := zenc.EncodeAll(raw, []byte{partialInline})
	if spill == "" || len(z)-1 <= spillBytes {
		return z, raw, nil
	}
	at, err := putShared(ctx, spill, fmt.Sprintf("fold-%05d-range-%05d.zst", k, r), z[1:])
	if err != nil {
		return nil, raw, fmt.Errorf("spill partial of customers %d to %d: %w", lo, hi, err)
	}
	return append([]byte{partialSpilled}, at...), raw, nil
}

// mergeRange returns a RangeFork of base for the r-th of n customer
// ranges holding every partial parts yields (elements of encodeRange),
// merged one at a time: only one partial is read and decoded at once.
func mergeRange(ctx context.Context, plan *jobs.FeaturesPlan, base *features.Builder, r, n int, parts func(*[]byte) bool) (*features.Builder, int, int, error) {
	lo, hi := plan.Range(r, n)
	acc, err := base.RangeFork(lo, hi)
	if err != nil {
		return nil, 0, 0, err
	}
	fail := func(err error) (*features.Builder, int, int, error) {
		acc.Release()
		return nil, 0, 0, fmt.Errorf("partial of customers %d to %d: %w", lo, hi, err)
	}
	var (
		b, z, raw []byte
		got       int
	)
	for parts(&b) {
		switch {
		case len(b) > 0 && b[0] == partialInline:
			z = b[1:]
		case len(b) > 0 && b[0] == partialSpilled:
			if z, err = getShared(ctx, string(b[1:]), z[:0]); err != nil {
				return fail(err)
			}
		default:
			return fail(fmt.Errorf("an element that is not a partial (%d bytes)", len(b)))
		}
		if raw, err = zdec.DecodeAll(z, raw[:0]); err != nil {
			return fail(err)
		}
		if err := acc.MergePartial(raw); err != nil {
			return fail(err)
		}
		got++
	}
	if got == 0 {
		acc.Release()
		return nil, 0, 0, fmt.Errorf("customers %d to %d: a customer range without any fold", lo, hi)
	}
	return acc, lo, hi, nil
}

// readInto appends the contents of the file at path to dst.
func readInto(path string, dst []byte) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return dst, err
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && int64(cap(dst)-len(dst)) < fi.Size() {
		dst = slices.Grow(dst, int(fi.Size()))
	}
	for {
		if len(dst) == cap(dst) {
			dst = slices.Grow(dst, 4096)
		}
		n, err := f.Read(dst[len(dst):cap(dst)])
		dst = dst[:len(dst)+n]
		if err == io.EOF {
			return dst, nil
		}
		if err != nil {
			return dst, fmt.Errorf("read %s: %w", path, err)
		}
	}
}

// worker is what a worker process derives from a plan once and shares
// between its DoFns: the decoded plan and the frozen customer index, and
// for a run the model it scores with.
type worker struct {
	once sync.Once
	plan *jobs.FeaturesPlan
	base *features.Builder
	err  error

	scorerOnce sync.Once
	scorer     *jobs.Scorer // the plan's model (scorerFor)
	scorerErr  error
}

var workers = struct {
	sync.Mutex
	m map[[32]byte]*worker
}{m: map[[32]byte]*worker{}}

// workerOf returns the process's worker of plan's bytes, made on first use.
func workerOf(plan []byte) *worker {
	key := sha256.Sum256(plan)
	workers.Lock()
	defer workers.Unlock()
	w := workers.m[key]
	if w == nil {
		w = &worker{}
		workers.m[key] = w
	}
	return w
}

// workerFor returns the plan and frozen base builder of plan's bytes,
// reading the customers table the first time a process needs them.
func workerFor(ctx context.Context, plan []byte) (*jobs.FeaturesPlan, *features.Builder, error) {
	w := workerOf(plan)
	w.once.Do(func() {
		w.plan, w.err = jobs.DecodeFeaturesPlan(plan)
		if w.err == nil {
			w.base, w.err = w.plan.Base(ctx)
		}
	})
	return w.plan, w.base, w.err
}

// scorerFor returns the scorer of plan's bytes (the model the plan names),
// loaded from the registry the first time a process needs it.
func scorerFor(ctx context.Context, plan []byte) (*jobs.Scorer, error) {
	w := workerOf(plan)
	w.scorerOnce.Do(func() {
		p, err := jobs.DecodeFeaturesPlan(plan)
		if err != nil {
			w.scorerErr = err
			return
		}
		w.scorer, w.scorerErr = p.Scorer()
	})
	return w.scorer, w.scorerErr
}

// foldFn reads one fold (an index into the plan's Folds: a history file,
// or a range of its row groups; -1 for none, when the dataset has no
// history file) into a fork and emits its partial of every customer range
// (encodeRange), so that every range has an element, and the read's
// result as JSON. The fork is released when the fold's partials are
// emitted. An error about the input is marked (markInput).
type foldFn struct {
	Plan   []byte
	Ranges int
	Spill  string // the folder large partials are spilled to; empty: every partial inline
}

func (fn *foldFn) ProcessElement(ctx context.Context, k int, emit func(int, []byte), result func(string)) (err error) {
	defer func() { err = markInput(err) }()
	plan, base, err := workerFor(ctx, fn.Plan)
	if err != nil {
		return err
	}
	fork := base.Fork()
	defer fork.Release()
	if k >= 0 {
		res, err := plan.FoldFile(ctx, fork, k, zerolog.Nop())
		if err != nil {
			return err
		}
		b, err := json.Marshal(res)
		if err != nil {
			return err
		}
		result(string(b))
	}
	var raw []byte
	for r := range fn.Ranges {
		lo, hi := plan.Range(r, fn.Ranges)
		var b []byte
		if b, raw, err = encodeRange(ctx, fork, k, r, lo, hi, fn.Spill, raw); err != nil {
			return err
		}
		emit(r, b)
	}
	return nil
}

// writeFn builds and writes the rows of one customer range, every cutoff,
// as the part part-RRRRR.parquet in the job's temporary folder, and emits
// the part's JSON. With Staging (the temporary prefix of a table in a
// bucket: store.Pending.Staging), the part is uploaded there whole and its
// file in the temporary folder removed.
type writeFn struct {
	Plan    []byte
	Tmp     string
	Staging string
	Ranges  int
}

// rangeSlots bounds the customer ranges a worker process holds at once
// (merges and writes in a features job; in a run, every step that builds,
// reads, scores or writes a range's rows) to half its CPUs, at least one:
// a runner may hand a worker every range at once (Prism splits a bundle
// whose element takes long into bundles, down to one range each, that
// the SDK runs side by side), and a worker running every range holds
// every customer's accumulators, whatever --ranges says. So a worker
// holds at most that many ranges' accumulators and rows, and --ranges
// sets their size. A step gives its slot back before it emits, so that a
// step fused after it can take one.
var rangeSlots = make(chan struct{}, max(1, runtime.GOMAXPROCS(0)/2))

// holdRange waits for one of rangeSlots, or for ctx to end, and returns
// the function that gives the slot back.
func holdRange(ctx context.Context) (func(), error) {
	select {
	case rangeSlots <- struct{}{}:
		return func() { <-rangeSlots }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// writtenPart is what writeFn tells the commit.
type writtenPart struct {
	Part     jobs.FeaturesPart
	Features []string
	Families []features.FamilyStatus
	// Catalog is the one the range's rows were built with: the plan's,
	// with the session and ticket channels learned from every file's
	// rows, the same in every range.
	Catalog features.Catalog
}

func (fn *writeFn) ProcessElement(ctx context.Context, r int, parts func(*[]byte) bool, emit func(string)) error {
	plan, base, err := workerFor(ctx, fn.Plan)
	if err != nil {
		return err
	}
	release, err := holdRange(ctx)
	if err != nil {
		return err
	}
	defer release()
	acc, lo, hi, err := mergeRange(ctx, plan, base, r, fn.Ranges, parts)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("part-%05d.parquet", r)
	path := filepath.Join(fn.Tmp, name)
	rows, f, err := plan.WriteRange(path, acc, lo, hi)
	acc.Release()
	if err != nil {
		return err
	}
	if fn.Staging != "" {
		err := store.PutStaged(ctx, fn.Staging, name, path)
		os.Remove(path)
		if err != nil {
			return err
		}
	}
	out, err := json.Marshal(writtenPart{Part: jobs.FeaturesPart{File: name, Rows: rows}, Features: f.Names, Families: f.Families, Catalog: *f.Catalog})
	if err != nil {
		return err
	}
	emit(string(out))
	return nil
}

// commitFn runs once, after every part is written: it checks the bad-row
// limit over every file's result (an error marked as invalid input,
// markInput), removes the spilled partials, writes the manifest (with
// the catalogue the parts were built with, channels included, as churn
// features reports it) and makes the table visible at Out. With Shared
// (a table in a bucket), it only leaves the manifest there, under its
// name (jobs.FeaturesManifestName), for the launcher, which commits the
// table.
type commitFn struct {
	Plan        []byte
	Out, Tmp    string
	Shared      string
	Spill       string
	Ranges      int
	CodeVersion string
}

func (fn *commitFn) ProcessElement(ctx context.Context, _ []byte, parts, results func(*string) bool) (err error) {
	defer func() { err = markInput(err) }()
	plan, err := jobs.DecodeFeaturesPlan(fn.Plan)
	if err != nil {
		return err
	}
	var res []jobs.FileResult
	var s string
	for results(&s) {
		var r jobs.FileResult
		if err := json.Unmarshal([]byte(s), &r); err != nil {
			return err
		}
		res = append(res, r)
	}
	m, err := plan.Check(res)
	if err != nil {
		return err
	}
	m.CodeVersion = fn.CodeVersion
	m.Parts = make([]jobs.FeaturesPart, fn.Ranges)
	got := 0
	for parts(&s) {
		var w writtenPart
		if err := json.Unmarshal([]byte(s), &w); err != nil {
			return err
		}
		var r int
		if _, err := fmt.Sscanf(w.Part.File, "part-%05d.parquet", &r); err != nil || r < 0 || r >= fn.Ranges || m.Parts[r].File != "" {
			return fmt.Errorf("unexpected part %q", w.Part.File)
		}
		if got > 0 && !reflect.DeepEqual(w.Catalog, m.Catalog) {
			return fmt.Errorf("part %s was built with another catalogue than the parts before", w.Part.File)
		}
		m.Parts[r] = w.Part
		m.Features, m.Families, m.Catalog = w.Features, w.Families, w.Catalog
		got++
	}
	if got != fn.Ranges {
		return fmt.Errorf("%d of %d parts written", got, fn.Ranges)
	}
	if fn.Spill != "" {
		if err := removeShared(ctx, fn.Spill); err != nil {
			return err
		}
	}
	if fn.Shared != "" {
		body, err := jobs.EncodeFeaturesManifest(m)
		if err != nil {
			return err
		}
		_, err = putShared(ctx, fn.Shared, jobs.FeaturesManifestName, body)
		return err
	}
	return jobs.CommitFeatures(fn.Out, fn.Tmp, m)
}

// foldAndSpill adds the first steps of every pipeline: one element per
// fold of the plan (a history file, or a range of a large one's row
// groups), the folds' partials grouped per customer range. It
// returns the partials of each range (KV<int, iterable of []byte>, for
// mergeRange) and the read results' JSON. Large partials are spilled to
// the folder spill (see encodeRange; empty: every partial inline), which
// every worker must reach and the job removes when the merges are done.
func foldAndSpill(s beam.Scope, plan *jobs.FeaturesPlan, enc []byte, ranges int, spill string) (grouped, results beam.PCollection) {
	idx := make([]int, len(plan.Folds))
	for k := range idx {
		idx[k] = k
	}
	if len(idx) == 0 {
		idx = []int{-1}
	}
	files := beam.Reshuffle(s, beam.CreateList(s, idx))
	parts, results := beam.ParDo2(s, &foldFn{Plan: enc, Ranges: ranges, Spill: spill}, files)
	return beam.GroupByKey(s, parts), results
}

// spillFolder is the folder of the features job's temporary folder that
// its spilled partials go to, removed before the table is committed.
const spillFolder = ".partials"

// tableDest is where a features job writes its table: the folder Out,
// through the temporary folder Tmp beside it, renamed into place by the
// pipeline's last step; or, for a bucket, the parts uploaded into Staging
// (of its store.Pending) from each worker's Tmp, and the manifest left in
// Shared for the launcher, which commits the table. Shared, the job's
// shared location (see putShared), holds the spilled partials too: Tmp,
// or a bucket prefix under --temp_location.
type tableDest struct {
	Out, Tmp, Staging, Shared string
}

// featuresPipeline returns the pipeline that writes the feature table of
// plan to dst, in ranges customer ranges.
func featuresPipeline(plan *jobs.FeaturesPlan, dst tableDest, ranges int, codeVersion string) (*beam.Pipeline, error) {
	enc, err := plan.Encode()
	if err != nil {
		return nil, err
	}
	p, s := beam.NewPipelineWithRoot()
	tmp, shared := dst.Tmp, dst.Shared
	if shared == "" {
		shared = tmp
	}
	spill := subLocation(shared, spillFolder)
	grouped, results := foldAndSpill(s, plan, enc, ranges, spill)
	parts := beam.ParDo(s, &writeFn{Plan: enc, Tmp: tmp, Staging: dst.Staging, Ranges: ranges}, grouped)
	commit := &commitFn{Plan: enc, Out: dst.Out, Tmp: tmp, Spill: spill, Ranges: ranges, CodeVersion: codeVersion}
	if dst.Staging != "" {
		commit.Shared = shared
	}
	beam.ParDo0(s, commit, beam.Impulse(s),
		beam.SideInput{Input: parts}, beam.SideInput{Input: results})
	return p, nil
}

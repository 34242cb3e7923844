package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/klauspost/compress/zstd"
	"github.com/rs/zerolog"

	"churn/features"
	"churn/jobs"
)

// The features pipeline, in the shape of `churn features`:
//
//	history file indexes (one element per file)
//	  -> fold: read the file into a fork of the frozen customer index,
//	     emit per customer range the fork's partial of that range
//	     (EncodePartial, zstd: the customers the file holds, no others),
//	     then drop the fork; and what the read found
//	  -> GroupByKey(range)
//	  -> write: merge the range's partials one by one into a RangeFork
//	     of the range (MergePartial), build every cutoff's rows of the
//	     range, one Parquet part
//	  -> commit (one element, with the parts and the read results as side
//	     inputs): bad-row limit, manifest, then the folder appears by rename
//
// Elements are encoded partials, never rows. A fork lives while its file
// is folded and encoded, a range's accumulator while the range is merged
// and written: the merge is a GroupByKey and a DoFn, not a lifted
// combine, whose pre-combine would keep every range's accumulator of a
// bundle live until the bundle ends. Every step calls
// the root module's packages (jobs, features, data): the pipeline adds
// the distribution, no feature or reader code.

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

// encodeRange returns the partial of customers [lo, hi) of b (a fork
// that folded one file) compressed with zstd, with raw as scratch. The
// accumulators are fixed-size and mostly zero, and a range the file does
// not touch is its flags (zeros) and the channel counts, so they compress
// many times over.
func encodeRange(b *features.Builder, lo, hi int, raw []byte) ([]byte, []byte, error) {
	raw, err := b.EncodePartial(raw[:0], lo, hi)
	if err != nil {
		return nil, raw, fmt.Errorf("partial of customers %d to %d: %w", lo, hi, err)
	}
	return zenc.EncodeAll(raw, nil), raw, nil
}

// mergeRange returns a RangeFork of base for the r-th of n customer
// ranges holding every partial parts yields (from encodeRange), merged
// one at a time: only one partial is decoded at once.
func mergeRange(plan *jobs.FeaturesPlan, base *features.Builder, r, n int, parts func(*[]byte) bool) (*features.Builder, int, int, error) {
	lo, hi := plan.Range(r, n)
	acc, err := base.RangeFork(lo, hi)
	if err != nil {
		return nil, 0, 0, err
	}
	var (
		b, raw []byte
		got    int
	)
	for parts(&b) {
		if raw, err = zdec.DecodeAll(b, raw[:0]); err != nil {
			return nil, 0, 0, fmt.Errorf("partial of customers %d to %d: %w", lo, hi, err)
		}
		if err := acc.MergePartial(raw); err != nil {
			return nil, 0, 0, fmt.Errorf("partial of customers %d to %d: %w", lo, hi, err)
		}
		got++
	}
	if got == 0 {
		return nil, 0, 0, fmt.Errorf("customers %d to %d: a customer range without any fold", lo, hi)
	}
	return acc, lo, hi, nil
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

// foldFn reads one history file (an index into the plan's Files; -1 for
// none, when the dataset has no history file) into a fork and emits its
// partial of every customer range (encodeRange), so that every range has
// an element, and the read's result as JSON. The fork is dropped when
// the file's partials are emitted.
type foldFn struct {
	Plan   []byte
	Ranges int
}

func (fn *foldFn) ProcessElement(ctx context.Context, k int, emit func(int, []byte), result func(string)) error {
	plan, base, err := workerFor(ctx, fn.Plan)
	if err != nil {
		return err
	}
	fork := base.Fork()
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
		if b, raw, err = encodeRange(fork, lo, hi, raw); err != nil {
			return err
		}
		emit(r, b)
	}
	return nil
}

// writeFn builds and writes the rows of one customer range, every cutoff,
// as the part part-RRRRR.parquet in the job's temporary folder, and emits
// the part's JSON.
type writeFn struct {
	Plan   []byte
	Tmp    string
	Ranges int
}

// writtenPart is what writeFn tells the commit.
type writtenPart struct {
	Part     jobs.FeaturesPart
	Features []string
	Families []features.FamilyStatus
}

func (fn *writeFn) ProcessElement(ctx context.Context, r int, parts func(*[]byte) bool, emit func(string)) error {
	plan, base, err := workerFor(ctx, fn.Plan)
	if err != nil {
		return err
	}
	acc, lo, hi, err := mergeRange(plan, base, r, fn.Ranges, parts)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("part-%05d.parquet", r)
	rows, f, err := plan.WriteRange(filepath.Join(fn.Tmp, name), acc, lo, hi)
	if err != nil {
		return err
	}
	out, err := json.Marshal(writtenPart{Part: jobs.FeaturesPart{File: name, Rows: rows}, Features: f.Names, Families: f.Families})
	if err != nil {
		return err
	}
	emit(string(out))
	return nil
}

// commitFn runs once, after every part is written: it checks the bad-row
// limit over every file's result, writes the manifest and makes the table
// visible at Out.
type commitFn struct {
	Plan        []byte
	Out, Tmp    string
	Ranges      int
	CodeVersion string
}

func (fn *commitFn) ProcessElement(ctx context.Context, _ []byte, parts, results func(*string) bool) error {
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
		m.Parts[r] = w.Part
		m.Features, m.Families = w.Features, w.Families
		got++
	}
	if got != fn.Ranges {
		return fmt.Errorf("%d of %d parts written", got, fn.Ranges)
	}
	return jobs.CommitFeatures(fn.Out, fn.Tmp, m)
}

// foldAndGroup adds the first steps of every pipeline: one element per
// history file folded, the files' partials grouped per customer range. It
// returns the partials of each range (KV<int, iterable of []byte>, for
// mergeRange) and the read results' JSON.
func foldAndGroup(s beam.Scope, plan *jobs.FeaturesPlan, enc []byte, ranges int) (grouped, results beam.PCollection) {
	idx := make([]int, len(plan.Files))
	for k := range idx {
		idx[k] = k
	}
	if len(idx) == 0 {
		idx = []int{-1}
	}
	files := beam.Reshuffle(s, beam.CreateList(s, idx))
	parts, results := beam.ParDo2(s, &foldFn{Plan: enc, Ranges: ranges}, files)
	return beam.GroupByKey(s, parts), results
}

// featuresPipeline returns the pipeline that writes the feature table of
// plan to out, in ranges customer ranges, through the temporary folder
// tmp.
func featuresPipeline(plan *jobs.FeaturesPlan, out, tmp string, ranges int, codeVersion string) (*beam.Pipeline, error) {
	enc, err := plan.Encode()
	if err != nil {
		return nil, err
	}
	p, s := beam.NewPipelineWithRoot()
	grouped, results := foldAndGroup(s, plan, enc, ranges)
	parts := beam.ParDo(s, &writeFn{Plan: enc, Tmp: tmp, Ranges: ranges}, grouped)
	beam.ParDo0(s, &commitFn{Plan: enc, Out: out, Tmp: tmp, Ranges: ranges, CodeVersion: codeVersion}, beam.Impulse(s),
		beam.SideInput{Input: parts}, beam.SideInput{Input: results})
	return p, nil
}

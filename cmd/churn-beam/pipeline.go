package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
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
//	     emit the fork once per customer range, and what the read found
//	  -> CombinePerKey(range): a live fork per range accumulates the
//	     folds with Builder.MergeRange, and the accumulators that crossed
//	     a shuffle with Builder.MergePartial
//	  -> write: build every cutoff's rows of the range, one Parquet part
//	  -> commit (one element, with the parts and the read results as side
//	     inputs): bad-row limit, manifest, then the folder appears by rename
//
// Elements are accumulators (part), never rows. Every step calls the root
// module's packages (jobs, features, data): the pipeline adds the
// distribution, no feature or reader code.

func init() {
	register.DoFn4x1[context.Context, int, func(int, part), func(string), error](&foldFn{})
	register.Emitter2[int, part]()
	register.Emitter1[string]()
	register.Combiner1[part](&mergeFn{})
	register.DoFn4x1[context.Context, int, part, func(string), error](&writeFn{})
	register.DoFn4x1[context.Context, []byte, func(*string) bool, func(*string) bool, error](&commitFn{})
	register.Iter1[string]()
	beam.RegisterCoder(reflect.TypeOf((*part)(nil)).Elem(), encodePart, decodePart)
}

// part is the accumulators of customers [lo, hi), in one of two forms: b,
// a live Builder, as the fold emits it (a fork of the worker's base
// builder, whose other customers do not count) and the combine
// accumulates it within a process (a RangeFork of the range, whose memory
// grows with the range's customers, not every customer's); or raw, the
// bytes of features.Builder.EncodePartial compressed with zstd, as the
// coder carries it between processes and stages. The coder encodes a live
// part only when the runner moves it (a shuffle), and a part is decoded
// only into the accumulator it merges into: the combine holds one live
// RangeFork per range, not the bytes of every merge.
type part struct {
	lo, hi int
	b      *features.Builder
	raw    []byte
	owned  bool // b is the combine's own accumulator (a RangeFork), not a fold's fork
}

var (
	zenc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest))
	zdec, _ = zstd.NewReader(nil)
)

// encodePart is the coder's encoder: the range, then the zstd bytes of its
// partial. The accumulators are fixed-size and mostly zero for a customer
// with little history in a file, so they compress many times over.
func encodePart(p part) ([]byte, error) {
	out := binary.AppendVarint(nil, int64(p.lo))
	out = binary.AppendVarint(out, int64(p.hi))
	if p.b == nil || p.lo < 0 {
		return append(out, p.raw...), nil
	}
	raw, err := p.b.EncodePartial(nil, p.lo, p.hi)
	if err != nil {
		return nil, err
	}
	return zenc.EncodeAll(raw, out), nil
}

// decodePart is the coder's decoder; the accumulators stay encoded until
// the combine or the write merges them (they need the worker's base
// builder). A range of -1 is the combine's empty accumulator.
func decodePart(b []byte) (part, error) {
	lo, n := binary.Varint(b)
	if n <= 0 {
		return part{}, errors.New("decode part: no range")
	}
	hi, m := binary.Varint(b[n:])
	if m <= 0 || (lo >= 0 && hi < lo) {
		return part{}, errors.New("decode part: no range")
	}
	return part{lo: int(lo), hi: int(hi), raw: bytes.Clone(b[n+m:])}, nil
}

// mergeInto folds p into acc, a live Builder.
func (p part) mergeInto(acc *features.Builder) error {
	if p.b != nil {
		return acc.MergeRange(p.b, p.lo, p.hi)
	}
	raw, err := zdec.DecodeAll(p.raw, nil)
	if err != nil {
		return fmt.Errorf("partial of customers %d to %d: %w", p.lo, p.hi, err)
	}
	if err := acc.MergePartial(raw); err != nil {
		return fmt.Errorf("partial of customers %d to %d: %w", p.lo, p.hi, err)
	}
	return nil
}

// live returns p as the combine's own live accumulator: p itself when it
// is one, else a RangeFork of base for p's customers holding p's
// accumulators. p must not be the empty accumulator.
func (p part) live(base *features.Builder) (part, error) {
	if p.owned {
		return p, nil
	}
	if p.lo < 0 {
		return part{}, errors.New("a customer range without any fold")
	}
	rf, err := base.RangeFork(p.lo, p.hi)
	if err != nil {
		return part{}, err
	}
	acc := part{lo: p.lo, hi: p.hi, b: rf, owned: true}
	if err := p.mergeInto(acc.b); err != nil {
		return part{}, err
	}
	return acc, nil
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
// accumulators for every customer range, so that every range has an
// element, and the read's result as JSON.
type foldFn struct {
	Plan   []byte
	Ranges int
}

func (fn *foldFn) ProcessElement(ctx context.Context, k int, emit func(int, part), result func(string)) error {
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
	for r := range fn.Ranges {
		lo, hi := plan.Range(r, fn.Ranges)
		emit(r, part{lo: lo, hi: hi, b: fork})
	}
	return nil
}

// mergeFn merges the parts of one customer range into one RangeFork with
// MergeRange and MergePartial: exact in any grouping and order, as the
// runner's combiner lifting needs. Its empty accumulator holds no
// builder: the first part names the range.
type mergeFn struct {
	Plan []byte
}

func (fn *mergeFn) base() (*features.Builder, error) {
	_, base, err := workerFor(context.Background(), fn.Plan)
	return base, err
}

func (fn *mergeFn) CreateAccumulator() part {
	return part{lo: -1}
}

func (fn *mergeFn) AddInput(acc, in part) (part, error) {
	base, err := fn.base()
	if err != nil {
		return part{}, err
	}
	if acc.lo < 0 {
		return in.live(base)
	}
	if acc, err = acc.live(base); err != nil {
		return part{}, err
	}
	if acc.lo != in.lo || acc.hi != in.hi {
		return part{}, fmt.Errorf("merge partials of customers %d to %d and %d to %d", acc.lo, acc.hi, in.lo, in.hi)
	}
	return acc, in.mergeInto(acc.b)
}

func (fn *mergeFn) MergeAccumulators(a, b part) (part, error) {
	switch {
	case b.lo < 0:
		return a, nil
	case a.lo < 0:
		a, b = b, a
		if b.lo < 0 {
			return a, nil
		}
	}
	return fn.AddInput(a, b)
}

func (fn *mergeFn) ExtractOutput(acc part) (part, error) {
	if acc.lo < 0 {
		return part{}, errors.New("a customer range without any fold")
	}
	return acc, nil
}

// writeFn builds and writes the rows of one customer range, every cutoff,
// as the part part-RRRRR.parquet in the job's temporary folder, and emits
// the part's JSON.
type writeFn struct {
	Plan []byte
	Tmp  string
}

// writtenPart is what writeFn tells the commit.
type writtenPart struct {
	Part     jobs.FeaturesPart
	Features []string
	Families []features.FamilyStatus
}

func (fn *writeFn) ProcessElement(ctx context.Context, r int, p part, emit func(string)) error {
	plan, base, err := workerFor(ctx, fn.Plan)
	if err != nil {
		return err
	}
	if p, err = p.live(base); err != nil {
		return err
	}
	name := fmt.Sprintf("part-%05d.parquet", r)
	rows, f, err := plan.WriteRange(filepath.Join(fn.Tmp, name), p.b, p.lo, p.hi)
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

// foldAndMerge adds the first steps of every pipeline: one element per
// history file folded, the folds combined per customer range. It returns
// the merged part per range and the read results' JSON.
func foldAndMerge(s beam.Scope, plan *jobs.FeaturesPlan, enc []byte, ranges int) (merged, results beam.PCollection) {
	idx := make([]int, len(plan.Files))
	for k := range idx {
		idx[k] = k
	}
	if len(idx) == 0 {
		idx = []int{-1}
	}
	files := beam.Reshuffle(s, beam.CreateList(s, idx))
	parts, results := beam.ParDo2(s, &foldFn{Plan: enc, Ranges: ranges}, files)
	return beam.CombinePerKey(s, &mergeFn{Plan: enc}, parts), results
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
	merged, results := foldAndMerge(s, plan, enc, ranges)
	parts := beam.ParDo(s, &writeFn{Plan: enc, Tmp: tmp}, merged)
	beam.ParDo0(s, &commitFn{Plan: enc, Out: out, Tmp: tmp, Ranges: ranges, CodeVersion: codeVersion}, beam.Impulse(s),
		beam.SideInput{Input: parts}, beam.SideInput{Input: results})
	return p, nil
}

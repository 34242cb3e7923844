package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
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
//	     emit its accumulators per customer range, and what the read found
//	  -> CombinePerKey(range): Builder.Merge of the decoded partials
//	  -> write: build every cutoff's rows of the range, one Parquet part
//	  -> commit (one element, with the parts and the read results as side
//	     inputs): bad-row limit, manifest, then the folder appears by rename
//
// Elements are bytes of features.Builder.EncodePartial, never rows. Every
// step calls the root module's packages (jobs, features, data): the
// pipeline adds the distribution, no feature or reader code.

func init() {
	register.DoFn4x1[context.Context, int, func(int, partial), func(string), error](&foldFn{})
	register.Emitter2[int, partial]()
	register.Emitter1[string]()
	register.Combiner1[partial](&mergeFn{})
	register.DoFn4x1[context.Context, int, partial, func(string), error](&writeFn{})
	register.DoFn4x1[context.Context, []byte, func(*string) bool, func(*string) bool, error](&commitFn{})
	register.Iter1[string]()
	beam.RegisterType(reflect.TypeOf((*partial)(nil)).Elem())
}

// partial is the accumulators of customers [Lo, Hi) from some files:
// features.Builder.EncodePartial's bytes, compressed with zstd. The
// accumulators are fixed-size and mostly zero for a customer with little
// history in the file, so they compress many times over, and the runner
// holds and moves the compressed bytes.
type partial struct {
	Lo, Hi int
	Bytes  []byte
}

var (
	zenc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest))
	zdec, _ = zstd.NewReader(nil)
)

// newPartial encodes b's accumulators of customers [lo, hi).
func newPartial(b *features.Builder, lo, hi int) (partial, error) {
	raw, err := b.EncodePartial(nil, lo, hi)
	if err != nil {
		return partial{}, err
	}
	return partial{Lo: lo, Hi: hi, Bytes: zenc.EncodeAll(raw, nil)}, nil
}

// decode returns a fork of base holding p's accumulators.
func (p partial) decode(base *features.Builder) (*features.Builder, error) {
	raw, err := zdec.DecodeAll(p.Bytes, nil)
	if err != nil {
		return nil, fmt.Errorf("partial of customers %d to %d: %w", p.Lo, p.Hi, err)
	}
	return base.DecodePartial(raw)
}

// worker is what a worker process derives from a plan once and shares
// between its DoFns: the decoded plan and the frozen customer index.
type worker struct {
	once sync.Once
	plan *jobs.FeaturesPlan
	base *features.Builder
	err  error
}

var workers = struct {
	sync.Mutex
	m map[[32]byte]*worker
}{m: map[[32]byte]*worker{}}

// workerFor returns the plan and frozen base builder of plan's bytes,
// reading the customers table the first time a process needs them.
func workerFor(ctx context.Context, plan []byte) (*jobs.FeaturesPlan, *features.Builder, error) {
	key := sha256.Sum256(plan)
	workers.Lock()
	w := workers.m[key]
	if w == nil {
		w = &worker{}
		workers.m[key] = w
	}
	workers.Unlock()
	w.once.Do(func() {
		w.plan, w.err = jobs.DecodeFeaturesPlan(plan)
		if w.err == nil {
			w.base, w.err = w.plan.Base(ctx)
		}
	})
	return w.plan, w.base, w.err
}

// foldFn reads one history file (an index into the plan's Files; -1 for
// none, when the dataset has no history file) into a fork and emits its
// accumulators for every customer range, so that every range has an
// element, and the read's result as JSON.
type foldFn struct {
	Plan   []byte
	Ranges int
}

func (fn *foldFn) ProcessElement(ctx context.Context, k int, emit func(int, partial), result func(string)) error {
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
		p, err := newPartial(fork, lo, hi)
		if err != nil {
			return err
		}
		emit(r, p)
	}
	return nil
}

// mergeFn merges the partials of one customer range with Builder.Merge:
// exact in any grouping and order, as the runner's combiner lifting needs.
type mergeFn struct {
	Plan []byte
}

func (fn *mergeFn) MergeAccumulators(a, b partial) (partial, error) {
	_, base, err := workerFor(context.Background(), fn.Plan)
	if err != nil {
		return partial{}, err
	}
	if a.Lo != b.Lo || a.Hi != b.Hi {
		return partial{}, fmt.Errorf("merge partials of customers %d to %d and %d to %d", a.Lo, a.Hi, b.Lo, b.Hi)
	}
	x, err := a.decode(base)
	if err != nil {
		return partial{}, err
	}
	y, err := b.decode(base)
	if err != nil {
		return partial{}, err
	}
	if err := x.Merge(y); err != nil {
		return partial{}, err
	}
	return newPartial(x, a.Lo, a.Hi)
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

func (fn *writeFn) ProcessElement(ctx context.Context, r int, p partial, emit func(string)) error {
	plan, base, err := workerFor(ctx, fn.Plan)
	if err != nil {
		return err
	}
	b, err := p.decode(base)
	if err != nil {
		return err
	}
	name := fmt.Sprintf("part-%05d.parquet", r)
	rows, f, err := plan.WriteRange(filepath.Join(fn.Tmp, name), b, p.Lo, p.Hi)
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

// featuresPipeline returns the pipeline that writes the feature table of
// plan to out, in ranges customer ranges, through the temporary folder
// tmp.
func featuresPipeline(plan *jobs.FeaturesPlan, out, tmp string, ranges int, codeVersion string) (*beam.Pipeline, error) {
	enc, err := plan.Encode()
	if err != nil {
		return nil, err
	}
	p, s := beam.NewPipelineWithRoot()
	idx := make([]int, len(plan.Files))
	for k := range idx {
		idx[k] = k
	}
	if len(idx) == 0 {
		idx = []int{-1}
	}
	files := beam.Reshuffle(s, beam.CreateList(s, idx))
	partials, results := beam.ParDo2(s, &foldFn{Plan: enc, Ranges: ranges}, files)
	merged := beam.CombinePerKey(s, &mergeFn{Plan: enc}, partials)
	parts := beam.ParDo(s, &writeFn{Plan: enc, Tmp: tmp}, merged)
	beam.ParDo0(s, &commitFn{Plan: enc, Out: out, Tmp: tmp, Ranges: ranges, CodeVersion: codeVersion}, beam.Impulse(s),
		beam.SideInput{Input: parts}, beam.SideInput{Input: results})
	return p, nil
}

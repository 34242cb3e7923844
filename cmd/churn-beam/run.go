package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/klauspost/compress/zstd"
	"github.com/rs/zerolog"

	"churn/data/store"
	"churn/features"
	"churn/internal/fsutil"
	"churn/jobs"
	"churn/jobs/segment"
	"churn/jobs/value"
)

func init() {
	register.DoFn6x1[context.Context, int, func(*[]byte) bool, func(int, string), func(string), func([]byte), error](&frameFn{})
	register.Emitter2[int, string]()
	register.DoFn5x1[context.Context, int, string, func(*string) bool, func([]byte), error](&shareFn{})
	register.Emitter1[[]byte]()
	register.Iter1[[]byte]()
	register.DoFn3x1[[]byte, func(*[]byte) bool, func([]byte), error](&peersFn{})
	register.DoFn3x1[[]byte, func(*[]byte) bool, func([]byte), error](&fitFn{})
	register.DoFn8x1[context.Context, int, string, func(*[]byte) bool, func(*[]byte) bool, func(int, string), func([]byte), func([]byte), error](&scoreFn{})
	register.DoFn5x1[context.Context, int, string, func(*[]byte) bool, func([]byte), error](&cutFn{})
	register.DoFn6x1[context.Context, int, string, func(*[]byte) bool, func(*[]byte) bool, func([]byte), error](&partFn{})
	register.DoFn7x1[context.Context, []byte, func(*[]byte) bool, func(*[]byte) bool, func(*[]byte) bool, func(*[]byte) bool, func(*string) bool, error](&finishFn{})
}

// cmdRun is `churn run` (jobs.RunDistributed: the same checks, lock,
// model, manifest, commit of the run folder, metrics and summary) with
// the features built, scored, explained, valued and segmented, and the
// part files written, by the Beam pipeline of runParts: one part file per
// customer range, written by the worker that holds the range. What needs
// the whole population comes from summaries of the ranges that merge
// exactly (see runParts); nothing where the job was launched holds a row
// per customer.
func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c common
	fs, def := newFlags("run", &c), jobs.DefaultConfig()
	dataDir := fs.String("data", "", "dataset `folder` or s3://, gs://, file:// URL; default: the embedded sample")
	out := fs.String("out", def.Out, "output `folder` or s3://, gs://, file:// URL that receives as_of=YYYY-MM-DD/")
	asOf := fs.String("as-of", "", "cutoff `date`; default today (the sample's end on the sample)")
	registry := fs.String("registry", def.Registry, "model registry `folder` or s3://, gs://, file:// URL")
	seed := fs.Uint64("seed", def.Seed, "random seed")
	workers := fs.Int("workers", 0, "goroutines each worker scores and explains with; default the number of CPUs")
	metricsFile := fs.String("metrics-file", "", "write Prometheus text-format metrics to this `file`")
	metricsPush := fs.String("metrics-push", "", "push metrics to this Prometheus Pushgateway `URL`")
	explainOut := fs.String("explain-out", "", "not taken by a distributed run (an error): use churn run --explain-out")
	ranges := fs.Int("ranges", 0, "customer ranges, one merge each; default one per 50,000 customers, at least 1")
	cfg, set, log, err := setup(fs, &c, args, stdout, stderr)
	if err != nil {
		return err
	}
	if *ranges < 0 {
		return fmt.Errorf("%w: --ranges %d: want 0 (automatic) or more", errUsage, *ranges)
	}
	cfg.ExplainOut = *explainOut
	override(set, "data", &cfg.Data, *dataDir)
	override(set, "out", &cfg.Out, *out)
	override(set, "registry", &cfg.Registry, *registry)
	override(set, "seed", &cfg.Seed, *seed)
	override(set, "metrics-file", &cfg.MetricsFile, *metricsFile)
	override(set, "metrics-push", &cfg.MetricsPush, *metricsPush)
	if *workers > 0 {
		cfg.Workers = *workers
	}
	if set["as-of"] {
		t, err := jobs.ParseDate(*asOf)
		if err != nil {
			return fmt.Errorf("%w: --as-of: %w", errUsage, err)
		}
		cfg.AsOf = t
	}
	sum, err := jobs.RunDistributed(ctx, cfg, jobs.Env{Log: log, CodeVersion: codeVersion()}, func(ctx context.Context, plan *jobs.FeaturesPlan, tmp string) (*jobs.RunParts, []jobs.FileResult, error) {
		return runParts(ctx, plan, tmp, *ranges, log)
	})
	if err != nil {
		return err
	}
	if c.json {
		return json.NewEncoder(stdout).Encode(sum)
	}
	fmt.Fprintf(stdout, "churn-beam run: %d customers scored as of %s with model %s (%s).\nWritten to %s (%s, manifest.json).\n",
		sum.Customers, sum.AsOf, sum.ModelVersion, sum.Algo, sum.Output, strings.Join(sum.Parts, ", "))
	for _, seg := range sum.Segments {
		fmt.Fprintf(stdout, "  %-22s %9d customers, value at risk %.2f\n", seg.Segment, seg.Customers, seg.ValueAtRisk)
	}
	return nil
}

func override[T comparable](set map[string]bool, name string, dst *T, v T) {
	if set[name] {
		*dst = v
	}
}

// runParts runs the pipeline of a run on the runner the Beam options
// select (Prism when none): every customer range's part file written into
// the plan's pending run folder, and the run's figures and what reading
// each history file found, handed back through the job's shared location:
// tmp, a folder every worker and this process reach, or a prefix under
// --temp_location when that is a bucket URL, removed once read.
func runParts(ctx context.Context, plan *jobs.FeaturesPlan, tmp string, ranges int, log zerolog.Logger) (*jobs.RunParts, []jobs.FileResult, error) {
	if ranges == 0 {
		ranges = max(1, (plan.Customers+rangeCustomers-1)/rangeCustomers)
	}
	ranges = max(1, min(ranges, plan.Customers))
	shared := tmp
	if t := tempLocation(); t != "" {
		shared = t
		defer removeShared(context.WithoutCancel(ctx), t)
	}
	p, err := runPipeline(plan, shared, ranges)
	if err != nil {
		return nil, nil, err
	}
	log.Info().Int("files", len(plan.Files)+len(plan.CustomerFiles)).Int("customers", plan.Customers).
		Int("ranges", ranges).Str("model_version", plan.Model).Msg("pipeline submitted")
	began := time.Now()
	if err := execute(ctx, p); err != nil {
		return nil, nil, fmt.Errorf("pipeline: %w", err)
	}
	at := subLocation(shared, finishFile)
	b, err := getShared(ctx, at, nil)
	if err != nil {
		return nil, nil, fmt.Errorf("pipeline finished without its results: %w", err)
	}
	var fin finished
	if err := decodeGob(b, &fin); err != nil {
		return nil, nil, fmt.Errorf("read %s: %w", at, err)
	}
	if fin.Parts == nil {
		return nil, nil, fmt.Errorf("read %s: no figures", at)
	}
	log.Info().Int("customers", fin.Parts.Customers).Int("parts", len(fin.Parts.Parts)).
		Int64("duration_ms", time.Since(began).Milliseconds()).Msg("parts of the run written")
	return fin.Parts, fin.Results, nil
}

// The pipeline of a run, per customer range unless said once:
//
//	fold, group per range (foldAndSpill, as for features: large
//	partials travel as files)
//	  -> frameFn: the range's partials merged, its rows at every cutoff
//	     (spilled: see spillRange); its PeerCount; its value models'
//	     inputs (a few numbers a customer)
//	  -> shareFn (every count as a side input): the range's share of the
//	     sample of the typical values
//	  -> peersFn (once, every share as a side input): the typical values
//	  -> fitFn (once, every range's value inputs as a side input, in
//	     customer order): the value models' fits
//	  -> scoreFn (the typical values and the fits as side inputs; the
//	     model loaded once per worker process, in Setup): the range's rows
//	     at the run's cutoff scored, explained and valued (spilled: the
//	     columns of its part file); its Population; its drift bins and
//	     earlier-run pairs
//	  -> cutFn (every Population as a side input): the range's values
//	     that the value tiers' cut points read
//	  -> partFn (every Population and cut count as side inputs): the
//	     range segmented and written as its part file
//	  -> finishFn (once; every part's counts and top list, every range's
//	     statistics, the fits, the populations and the read results as
//	     side inputs): the run's figures, written to tmp
//
// Only summaries cross ranges: counts, the fits' inputs, an exact sum,
// value buckets, bin counts, top lists and the earlier run's
// (probability, label) pairs. A range's rows wait for the steps that need
// every range (the typical values and the fits before scoring, the
// populations and cut values before writing) in a file of the job's
// temporary folder, and the element the runner holds is its path: every
// step that reads or builds a range's rows holds one of the worker's
// rangeSlots while it does, so a worker holds at most that many ranges'
// rows, whatever the runner hands it at once.

// runPipeline returns the pipeline of a run's plan in ranges customer
// ranges, whose partFn writes the part files into plan.Parts and whose
// finishFn writes finishFile under shared, the job's shared location,
// once all are written. The spilled partials and ranges go under shared
// too, which the run removes when it commits or fails (runParts, and
// jobs.RunDistributed for a folder).
func runPipeline(plan *jobs.FeaturesPlan, shared string, ranges int) (*beam.Pipeline, error) {
	enc, err := plan.Encode()
	if err != nil {
		return nil, err
	}
	p, s := beam.NewPipelineWithRoot()
	spill := subLocation(shared, rangesFolder)
	grouped, results := foldAndSpill(s, plan, enc, ranges, subLocation(shared, spillFolder))
	frames, counts, inputs := beam.ParDo3(s, &frameFn{Plan: enc, Ranges: ranges, Spill: spill}, grouped)
	shares := beam.ParDo(s, &shareFn{}, frames, beam.SideInput{Input: counts})
	peers := beam.ParDo(s, &peersFn{}, beam.Impulse(s), beam.SideInput{Input: shares})
	fit := beam.ParDo(s, &fitFn{Plan: enc}, beam.Impulse(s), beam.SideInput{Input: inputs})
	scored, pops, stats := beam.ParDo3(s, &scoreFn{planScorer: planScorer{Plan: enc}, Spill: spill}, frames, beam.SideInput{Input: peers}, beam.SideInput{Input: fit})
	cuts := beam.ParDo(s, &cutFn{Plan: enc}, scored, beam.SideInput{Input: pops})
	written := beam.ParDo(s, &partFn{planScorer{Plan: enc}}, scored, beam.SideInput{Input: pops}, beam.SideInput{Input: cuts})
	beam.ParDo0(s, &finishFn{planScorer: planScorer{Plan: enc}, Shared: shared, Ranges: ranges}, beam.Impulse(s),
		beam.SideInput{Input: written}, beam.SideInput{Input: stats}, beam.SideInput{Input: fit},
		beam.SideInput{Input: pops}, beam.SideInput{Input: results})
	return p, nil
}

// encodeGob returns v gob-encoded and compressed with zstd.
func encodeGob(v any) ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return nil, err
	}
	return zenc.EncodeAll(buf.Bytes(), nil), nil
}

// decodeGob reads the bytes of encodeGob into v.
func decodeGob(b []byte, v any) error {
	raw, err := zdec.DecodeAll(b, nil)
	if err != nil {
		return err
	}
	return gob.NewDecoder(bytes.NewReader(raw)).Decode(v)
}

// rangesFolder is the folder of a run's temporary folder that each
// range's frames and scored rows are spilled to (spillRange).
const rangesFolder = ".ranges"

// spillRange writes v, a range's frames (*rangeFrames) or scored rows
// (*jobs.ScoredRange), compressed with zstd as it is written, as name
// under the job's shared location loc (a folder every worker reaches, or
// a bucket prefix: see putShared), and returns its location: the element
// that stands for the range between the steps that wait for every range,
// so that neither the runner nor a worker holds the rows of the ranges
// waiting. It is a gob message of v with its frames' X set aside, then
// each frame's X in order (features.WriteMatrix), written whole: a file
// by rename (fsutil.Create), an object by one upload. v holds no map
// (gob writes a map's entries in a random order), so a retried step
// rewrites the same bytes.
func spillRange(ctx context.Context, loc, name string, v any) (string, error) {
	at := subLocation(loc, name)
	if store.IsURL(loc) {
		var buf bytes.Buffer
		if err := writeRangeTo(&buf, v); err != nil {
			return "", fmt.Errorf("spill %s: %w", at, err)
		}
		if _, err := putShared(ctx, loc, name, buf.Bytes()); err != nil {
			return "", fmt.Errorf("spill %s: %w", at, err)
		}
		return at, nil
	}
	if err := os.MkdirAll(loc, 0o755); err != nil {
		return "", fmt.Errorf("spill %s: %w", at, err)
	}
	f, err := fsutil.Create(at)
	if err != nil {
		return "", fmt.Errorf("spill %s: %w", at, err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	if err := f.Commit(func() error { return writeRangeTo(bw, v) }, bw.Flush); err != nil {
		return "", fmt.Errorf("spill %s: %w", at, err)
	}
	return at, nil
}

// writeRangeTo writes v to w as spillRange stores it.
func writeRangeTo(w io.Writer, v any) error {
	zw, err := zstd.NewWriter(w, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return err
	}
	frames := framesOf(v)
	xs := make([][]float64, len(frames))
	for i, fr := range frames {
		if fr != nil { // gob refuses a nil frame below
			xs[i], fr.X = fr.X, nil
		}
	}
	err = gob.NewEncoder(zw).Encode(v)
	for i, fr := range frames {
		if fr != nil {
			fr.X = xs[i]
		}
	}
	for i := 0; i < len(xs) && err == nil; i++ {
		err = features.WriteMatrix(zw, xs[i])
	}
	if err != nil {
		zw.Close()
		return err
	}
	return zw.Close()
}

// framesOf returns the frames of a value spillRange writes, whose X it
// writes apart: gob would write and read them value by value.
func framesOf(v any) []*features.Frame {
	switch v := v.(type) {
	case *rangeFrames:
		return v.Frames
	case *jobs.ScoredRange:
		if v.Frame != nil {
			return []*features.Frame{v.Frame}
		}
	}
	return nil
}

// readRange decodes what spillRange wrote at the location at into v,
// decompressing as it decodes. A frame's X holds at most its rows times
// its columns.
func readRange(ctx context.Context, at string, v any) error {
	var r io.Reader
	if store.IsURL(at) {
		b, err := getShared(ctx, at, nil)
		if err != nil {
			return err
		}
		r = bytes.NewReader(b)
	} else {
		f, err := os.Open(at)
		if err != nil {
			return err
		}
		defer f.Close()
		r = bufio.NewReader(f)
	}
	zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
	if err != nil {
		return err
	}
	defer zr.Close()
	// A gob.Decoder reads a bufio.Reader (an io.ByteReader) no further
	// than its message, so the matrices follow from where it stopped.
	br := bufio.NewReaderSize(zr, 1<<20)
	if err := gob.NewDecoder(br).Decode(v); err != nil {
		return fmt.Errorf("read %s: %w", at, err)
	}
	for _, fr := range framesOf(v) {
		if fr == nil {
			return fmt.Errorf("read %s: a frame missing", at)
		}
		if fr.X, err = features.ReadMatrix(br, fr.Rows()*len(fr.Names)); err != nil {
			return fmt.Errorf("read %s: range of %d rows: %w", at, fr.Rows(), err)
		}
	}
	return nil
}

// rangeFrames is one range's rows at every cutoff of the plan
// (jobs.FeaturesPlan.RunFrames).
type rangeFrames struct {
	Range  int
	Frames []*features.Frame
}

// last returns the rows at the run's cutoff.
func (rf *rangeFrames) last() *features.Frame { return rf.Frames[len(rf.Frames)-1] }

// frameFn builds the rows of one customer range at every cutoff of the
// plan (jobs.FeaturesPlan.RunFrames), spills them (spillRange of a
// rangeFrames, frames-RRRRR.gob.zst in Spill) and emits the file's path
// keyed by range, the PeerCount of the rows at the run's cutoff as JSON,
// and their value inputs (encodeGob of jobs.ValueInputs). It holds a
// range slot while it merges, builds and spills, and emits once the slot
// and the rows are let go.
type frameFn struct {
	Plan   []byte
	Ranges int
	Spill  string
}

func (fn *frameFn) ProcessElement(ctx context.Context, r int, parts func(*[]byte) bool, emit func(int, string), count func(string), inputs func([]byte)) error {
	path, c, in, err := fn.build(ctx, r, parts)
	if err != nil {
		return err
	}
	emit(r, path)
	count(string(c))
	inputs(in)
	return nil
}

// build is ProcessElement's work under a range slot: the spilled frames'
// path, the count's JSON and the value inputs' bytes.
func (fn *frameFn) build(ctx context.Context, r int, parts func(*[]byte) bool) (string, []byte, []byte, error) {
	plan, base, err := workerFor(ctx, fn.Plan)
	if err != nil {
		return "", nil, nil, err
	}
	release, err := holdRange(ctx)
	if err != nil {
		return "", nil, nil, err
	}
	defer release()
	acc, lo, hi, err := mergeRange(ctx, plan, base, r, fn.Ranges, parts)
	if err != nil {
		return "", nil, nil, err
	}
	rf := &rangeFrames{Range: r}
	rf.Frames, err = plan.RunFrames(acc, lo, hi)
	acc.Release()
	if err != nil {
		return "", nil, nil, err
	}
	c, err := json.Marshal(jobs.PeerCountOf(r, rf.last()))
	if err != nil {
		return "", nil, nil, err
	}
	in, err := encodeGob(plan.ValueInputsOf(r, rf.last()))
	if err != nil {
		return "", nil, nil, fmt.Errorf("encode value inputs of customers %d to %d: %w", lo, hi, err)
	}
	path, err := spillRange(ctx, fn.Spill, fmt.Sprintf("frames-%05d.gob.zst", r), rf)
	if err != nil {
		return "", nil, nil, fmt.Errorf("frames of customers %d to %d: %w", lo, hi, err)
	}
	return path, c, in, nil
}

// readFrames reads a range's frames as frameFn spills them.
func readFrames(ctx context.Context, path string) (*rangeFrames, error) {
	rf := &rangeFrames{}
	if err := readRange(ctx, path, rf); err != nil {
		return nil, fmt.Errorf("decode frames: %w", err)
	}
	if len(rf.Frames) == 0 {
		return nil, fmt.Errorf("decode frames: range %d has no frames", rf.Range)
	}
	return rf, nil
}

// peerShare is one range's share of the sample of the typical values.
type peerShare struct {
	Names []string
	X     []float64
}

// shareFn emits the range's share of the sample (jobs.PeerShare), given
// every range's PeerCount; it reads the range's frames under a range
// slot.
type shareFn struct{}

func (fn *shareFn) ProcessElement(ctx context.Context, r int, path string, counts func(*string) bool, emit func([]byte)) error {
	var all []jobs.PeerCount
	var s string
	for counts(&s) {
		var c jobs.PeerCount
		if err := json.Unmarshal([]byte(s), &c); err != nil {
			return err
		}
		all = append(all, c)
	}
	out, err := fn.share(ctx, r, path, all)
	if err != nil {
		return err
	}
	emit(out)
	return nil
}

// share is ProcessElement's work under a range slot.
func (fn *shareFn) share(ctx context.Context, r int, path string, counts []jobs.PeerCount) ([]byte, error) {
	release, err := holdRange(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	rf, err := readFrames(ctx, path)
	if err != nil {
		return nil, err
	}
	x, err := jobs.PeerShare(r, rf.last(), counts)
	if err != nil {
		return nil, err
	}
	return encodeGob(peerShare{Names: rf.last().Names, X: x})
}

// peersFn runs once, with every range's share: it emits the typical
// values (jobs.Peers), encodeGob of []float64.
type peersFn struct{}

func (fn *peersFn) ProcessElement(_ []byte, shares func(*[]byte) bool, emit func([]byte)) error {
	var names []string
	var xs [][]float64
	var b []byte
	for shares(&b) {
		var sh peerShare
		if err := decodeGob(b, &sh); err != nil {
			return fmt.Errorf("decode a share of the typical values: %w", err)
		}
		if names != nil && !slices.Equal(names, sh.Names) {
			return errors.New("the ranges' frames have different columns")
		}
		names = sh.Names
		xs = append(xs, sh.X)
	}
	out, err := encodeGob(jobs.Peers(names, xs))
	if err != nil {
		return err
	}
	emit(out)
	return nil
}

// fitFn runs once, with every range's value inputs: it emits the value
// models' fits (jobs.FeaturesPlan.FitValues), encodeGob of value.Fit.
type fitFn struct {
	Plan []byte
}

func (fn *fitFn) ProcessElement(_ []byte, inputs func(*[]byte) bool, emit func([]byte)) error {
	plan, err := jobs.DecodeFeaturesPlan(fn.Plan)
	if err != nil {
		return err
	}
	var all []jobs.ValueInputs
	var b []byte
	for inputs(&b) {
		var in jobs.ValueInputs
		if err := decodeGob(b, &in); err != nil {
			return fmt.Errorf("decode value inputs: %w", err)
		}
		all = append(all, in)
	}
	fit, err := plan.FitValues(all)
	if err != nil {
		return err
	}
	out, err := encodeGob(fit)
	if err != nil {
		return err
	}
	emit(out)
	return nil
}

// sideOne decodes the one element of a singleton side input into v.
func sideOne(it func(*[]byte) bool, what string, v any) error {
	var b []byte
	if !it(&b) {
		return fmt.Errorf("no %s", what)
	}
	if err := decodeGob(b, v); err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	return nil
}

// sideAll decodes every element of a side input.
func sideAll[T any](it func(*[]byte) bool, what string) ([]T, error) {
	var out []T
	var b []byte
	for it(&b) {
		var v T
		if err := decodeGob(b, &v); err != nil {
			return nil, fmt.Errorf("decode %s: %w", what, err)
		}
		out = append(out, v)
	}
	return out, nil
}

// scoreFn scores, explains and values the rows of one range at the run's
// cutoff (jobs.Scorer.ScoreRange) with the typical values and the value
// fits, spills the scored range (spillRange of a jobs.ScoredRange, its
// Population left out, scored-RRRRR.gob.zst in Spill) and emits its path
// keyed by range, its Population and its statistics (jobs.RangeStats).
// It reads, scores and spills under a range slot. Setup loads the model,
// once per worker process.
type scoreFn struct {
	planScorer
	Spill string
}

// planScorer is what the run's steps that score, write or sum up share:
// the plan's bytes and its scorer, which Setup loads once per worker
// process (scorerFor).
type planScorer struct {
	Plan []byte

	scorer *jobs.Scorer
}

func (ps *planScorer) Setup(ctx context.Context) error {
	var err error
	ps.scorer, err = scorerFor(ctx, ps.Plan)
	return err
}

func (fn *scoreFn) ProcessElement(ctx context.Context, r int, path string, peers, fits func(*[]byte) bool, emit func(int, string), pop, stats func([]byte)) error {
	var peer []float64
	if err := sideOne(peers, "typical values", &peer); err != nil {
		return err
	}
	var fit value.Fit
	if err := sideOne(fits, "value fits", &fit); err != nil {
		return err
	}
	out, pb, sb, err := fn.score(ctx, r, path, peer, fit)
	if err != nil {
		return err
	}
	emit(r, out)
	pop(pb)
	stats(sb)
	return nil
}

// score is ProcessElement's work under a range slot: the spilled scored
// range's path, its Population's bytes and its statistics' bytes.
func (fn *scoreFn) score(ctx context.Context, r int, path string, peer []float64, fit value.Fit) (string, []byte, []byte, error) {
	release, err := holdRange(ctx)
	if err != nil {
		return "", nil, nil, err
	}
	defer release()
	rf, err := readFrames(ctx, path)
	if err != nil {
		return "", nil, nil, err
	}
	sr, st, err := fn.scorer.ScoreRange(ctx, r, rf.Frames, peer, fit)
	if err != nil {
		return "", nil, nil, err
	}
	pb, err := encodeGob(sr.Population)
	if err != nil {
		return "", nil, nil, fmt.Errorf("encode range %d: %w", r, err)
	}
	sb, err := encodeGob(st)
	if err != nil {
		return "", nil, nil, fmt.Errorf("encode range %d: %w", r, err)
	}
	sr.Population = segment.Population{} // sent on its own; its map would make the file's bytes vary
	out, err := spillRange(ctx, fn.Spill, fmt.Sprintf("scored-%05d.gob.zst", r), sr)
	if err != nil {
		return "", nil, nil, fmt.Errorf("range %d: %w", r, err)
	}
	return out, pb, sb, nil
}

// readScored reads a scored range as scoreFn spills it (without its
// Population), under a range slot it returns the release of.
func readScored(ctx context.Context, path string) (*jobs.ScoredRange, func(), error) {
	release, err := holdRange(ctx)
	if err != nil {
		return nil, nil, err
	}
	sr := &jobs.ScoredRange{}
	if err := readRange(ctx, path, sr); err != nil {
		release()
		return nil, nil, fmt.Errorf("decode a scored range: %w", err)
	}
	if sr.Frame == nil || sr.Scores == nil {
		release()
		return nil, nil, fmt.Errorf("decode a scored range: range %d has no rows or scores", sr.Range)
	}
	return sr, release, nil
}

// cutFn emits the range's values that the value tiers' cut points read
// (jobs.FeaturesPlan.CutValuesOf), given every range's Population; it
// reads the scored range under a range slot.
type cutFn struct {
	Plan []byte
}

func (fn *cutFn) ProcessElement(ctx context.Context, _ int, path string, pops func(*[]byte) bool, emit func([]byte)) error {
	plan, err := jobs.DecodeFeaturesPlan(fn.Plan)
	if err != nil {
		return err
	}
	all, err := sideAll[segment.Population](pops, "a population")
	if err != nil {
		return err
	}
	pop := jobs.MergePopulations(all)
	sr, release, err := readScored(ctx, path)
	if err != nil {
		return err
	}
	cv := plan.CutValuesOf(sr, &pop)
	release()
	out, err := encodeGob(cv)
	if err != nil {
		return err
	}
	emit(out)
	return nil
}

// partFn segments the range with the population's thresholds and value
// tiers and writes its part file into the plan's pending run folder
// (jobs.Scorer.WriteRange), under a range slot; it emits what the part
// adds to the run's figures (encodeGob of jobs.RangeWritten).
type partFn struct{ planScorer }

func (fn *partFn) ProcessElement(ctx context.Context, _ int, path string, pops, cuts func(*[]byte) bool, emit func([]byte)) error {
	all, err := sideAll[segment.Population](pops, "a population")
	if err != nil {
		return err
	}
	pop := jobs.MergePopulations(all)
	cv, err := sideAll[segment.CutValues](cuts, "cut values")
	if err != nil {
		return err
	}
	sr, release, err := readScored(ctx, path)
	if err != nil {
		return err
	}
	w, err := fn.scorer.WriteRange(sr, &pop, cv)
	release()
	if err != nil {
		return err
	}
	out, err := encodeGob(w)
	if err != nil {
		return err
	}
	emit(out)
	return nil
}

// finished is what finishFn hands back: the run's figures and the read
// result of every history file.
type finished struct {
	Parts   *jobs.RunParts
	Results []jobs.FileResult
}

// finishFile holds what finishFn hands back, in the job's shared
// location.
const finishFile = "finished.gob"

// finishFn runs once, after every range's part is written: it merges the
// parts' counts and top lists and the ranges' statistics into the run's
// figures (jobs.Scorer.FinishRun) and writes them, with the read results
// of every history file, as finishFile under Shared (putShared).
type finishFn struct {
	planScorer
	Shared string
	Ranges int
}

func (fn *finishFn) ProcessElement(ctx context.Context, _ []byte, written, stats, fits, pops func(*[]byte) bool, results func(*string) bool) error {
	ws, err := sideAll[jobs.RangeWritten](written, "a written part")
	if err != nil {
		return err
	}
	if len(ws) != fn.Ranges {
		return fmt.Errorf("%d of %d parts written", len(ws), fn.Ranges)
	}
	sts, err := sideAll[jobs.RangeStats](stats, "a range's statistics")
	if err != nil {
		return err
	}
	var fit value.Fit
	if err := sideOne(fits, "value fits", &fit); err != nil {
		return err
	}
	all, err := sideAll[segment.Population](pops, "a population")
	if err != nil {
		return err
	}
	pop := jobs.MergePopulations(all)
	rp, err := fn.scorer.FinishRun(ws, sts, fit, &pop)
	if err != nil {
		return err
	}
	fin := finished{Parts: rp}
	var s string
	for results(&s) {
		var r jobs.FileResult
		if err := json.Unmarshal([]byte(s), &r); err != nil {
			return fmt.Errorf("decode a read result: %w", err)
		}
		fin.Results = append(fin.Results, r)
	}
	b, err := encodeGob(fin)
	if err != nil {
		return err
	}
	_, err = putShared(ctx, fn.Shared, finishFile, b)
	return err
}

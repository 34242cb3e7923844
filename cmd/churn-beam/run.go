package main

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/rs/zerolog"

	"churn/features"
	"churn/jobs"
)

func init() {
	register.DoFn5x1[context.Context, int, func(*[]byte) bool, func(int, []byte), func(string), error](&frameFn{})
	register.Emitter2[int, []byte]()
	register.DoFn4x1[int, []byte, func(*string) bool, func([]byte), error](&shareFn{})
	register.Emitter1[[]byte]()
	register.Iter1[[]byte]()
	register.DoFn3x1[[]byte, func(*[]byte) bool, func([]byte), error](&peersFn{})
	register.DoFn5x1[context.Context, int, []byte, func(*[]byte) bool, func(string), error](&scoreFn{})
	register.DoFn4x1[context.Context, []byte, func(*string) bool, func(*string) bool, error](&resultsFn{})
}

// cmdRun is `churn run` (jobs.RunDistributed: the same checks, lock,
// model, value, run folder, metrics and summary) with the features built,
// scored and explained by the Beam pipeline of runFrames. The steps that
// need every customer's row at once (the value models' fits, such as
// BG/NBD over all non-contractual customers; the risk thresholds and value
// tiers, which are quantiles and means over the population; drift; the
// earlier run's evaluation; the one part file, in customer order) run
// where the job was launched, on the assembled frame and scores, with
// churn run's own code: the frame of every customer is held there, as
// churn run holds it.
func cmdRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var c common
	fs, def := newFlags("run", &c), jobs.DefaultConfig()
	dataDir := fs.String("data", "", "dataset `folder`; default: the embedded sample")
	out := fs.String("out", def.Out, "output `folder` that receives as_of=YYYY-MM-DD/")
	asOf := fs.String("as-of", "", "cutoff `date`; default today (the sample's end on the sample)")
	registry := fs.String("registry", def.Registry, "model registry `folder`")
	seed := fs.Uint64("seed", def.Seed, "random seed")
	workers := fs.Int("workers", 0, "goroutines scoring where the job is launched; default the number of CPUs")
	metricsFile := fs.String("metrics-file", "", "write Prometheus text-format metrics to this `file`")
	metricsPush := fs.String("metrics-push", "", "push metrics to this Prometheus Pushgateway `URL`")
	explainOut := fs.String("explain-out", "", "also write every customer's SHAP values to this Parquet `file`")
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
	sum, err := jobs.RunDistributed(ctx, cfg, jobs.Env{Log: log, CodeVersion: codeVersion()}, func(ctx context.Context, plan *jobs.FeaturesPlan, tmp string) (*features.Frame, *jobs.Scores, []jobs.FileResult, error) {
		return runFrames(ctx, plan, tmp, *ranges, log)
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

// runFrames runs the pipeline of a run on the runner the Beam options
// select (Prism when none) and returns the frame of every customer at the
// plan's cutoffs, the scores and reasons of the rows at the run's cutoff,
// and what reading each history file found. The ranges' frames and scores
// pass through tmp, a folder every worker and this process reach.
func runFrames(ctx context.Context, plan *jobs.FeaturesPlan, tmp string, ranges int, log zerolog.Logger) (*features.Frame, *jobs.Scores, []jobs.FileResult, error) {
	if ranges == 0 {
		ranges = max(1, (plan.Customers+rangeCustomers-1)/rangeCustomers)
	}
	ranges = max(1, min(ranges, plan.Customers))
	p, err := framesPipeline(plan, tmp, ranges)
	if err != nil {
		return nil, nil, nil, err
	}
	log.Info().Int("files", len(plan.Files)+len(plan.CustomerFiles)).Int("customers", plan.Customers).
		Int("ranges", ranges).Str("model_version", plan.Model).Msg("pipeline submitted")
	began := time.Now()
	if err := execute(ctx, p); err != nil {
		return nil, nil, nil, fmt.Errorf("pipeline: %w", err)
	}
	results, err := readResults(tmp)
	if err != nil {
		return nil, nil, nil, err
	}
	perRange := make([][]*features.Frame, ranges)
	scores := make([]*jobs.Scores, ranges)
	for r := range perRange {
		sc, err := readScored(filepath.Join(tmp, frameFile(r)))
		if err != nil {
			return nil, nil, nil, err
		}
		perRange[r], scores[r] = sc.Frames, sc.Scores
	}
	f, err := plan.Assemble(perRange)
	if err != nil {
		return nil, nil, nil, err
	}
	all, err := jobs.ConcatScores(scores)
	if err != nil {
		return nil, nil, nil, err
	}
	log.Info().Int("rows", f.Rows()).Int64("duration_ms", time.Since(began).Milliseconds()).Msg("features of the run built and scored")
	return f, all, results, nil
}

// The pipeline of a run:
//
//	fold, group per range (foldAndGroup, as for features)
//	  -> frameFn: the range's partials merged, its rows at every cutoff,
//	     and its PeerCount
//	  -> shareFn (every count as a side input): the range's share of the
//	     sample of the typical values
//	  -> peersFn (once, every share as a side input): the typical values
//	  -> scoreFn (the typical values as a side input; the model loaded
//	     once per worker process, in Setup): the range's rows at the run's
//	     cutoff scored and explained, written with its frames to tmp
//	  -> resultsFn (once, every written range and read result as side
//	     inputs): results.json

// framesPipeline returns the pipeline of a run's plan, in ranges customer
// ranges, that writes into the folder tmp frame-RRRRR per range (scoreFn)
// and, once all are written, results.json.
func framesPipeline(plan *jobs.FeaturesPlan, tmp string, ranges int) (*beam.Pipeline, error) {
	enc, err := plan.Encode()
	if err != nil {
		return nil, err
	}
	p, s := beam.NewPipelineWithRoot()
	grouped, results := foldAndGroup(s, plan, enc, ranges)
	frames, counts := beam.ParDo2(s, &frameFn{Plan: enc, Ranges: ranges}, grouped)
	shares := beam.ParDo(s, &shareFn{}, frames, beam.SideInput{Input: counts})
	peers := beam.ParDo(s, &peersFn{}, beam.Impulse(s), beam.SideInput{Input: shares})
	written := beam.ParDo(s, &scoreFn{Plan: enc, Tmp: tmp}, frames, beam.SideInput{Input: peers})
	beam.ParDo0(s, &resultsFn{Tmp: tmp, Ranges: ranges}, beam.Impulse(s),
		beam.SideInput{Input: written}, beam.SideInput{Input: results})
	return p, nil
}

// frameFile is the file of the r-th range's frames and scores.
func frameFile(r int) string { return fmt.Sprintf("frame-%05d", r) }

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

// rangeFrames is one range's rows at every cutoff of the plan.
type rangeFrames struct {
	Range  int
	Frames []*features.Frame
}

// last returns the rows at the run's cutoff.
func (rf *rangeFrames) last() *features.Frame { return rf.Frames[len(rf.Frames)-1] }

// frameFn builds the rows of one customer range at every cutoff of the
// plan (jobs.FeaturesPlan.BuildRange) and emits them (encodeGob of a
// rangeFrames) keyed by range, with the PeerCount of the rows at the
// run's cutoff as JSON.
type frameFn struct {
	Plan   []byte
	Ranges int
}

func (fn *frameFn) ProcessElement(ctx context.Context, r int, parts func(*[]byte) bool, emit func(int, []byte), count func(string)) error {
	plan, base, err := workerFor(ctx, fn.Plan)
	if err != nil {
		return err
	}
	acc, lo, hi, err := mergeRange(plan, base, r, fn.Ranges, parts)
	if err != nil {
		return err
	}
	rf := &rangeFrames{Range: r}
	if rf.Frames, err = plan.BuildRange(acc, lo, hi); err != nil {
		return err
	}
	b, err := encodeGob(rf)
	if err != nil {
		return fmt.Errorf("encode frames of customers %d to %d: %w", lo, hi, err)
	}
	c, err := json.Marshal(jobs.PeerCountOf(r, rf.last()))
	if err != nil {
		return err
	}
	emit(r, b)
	count(string(c))
	return nil
}

// readFrames decodes a range's frames as frameFn emits them.
func readFrames(b []byte) (*rangeFrames, error) {
	rf := &rangeFrames{}
	if err := decodeGob(b, rf); err != nil {
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
// every range's PeerCount.
type shareFn struct{}

func (fn *shareFn) ProcessElement(r int, b []byte, counts func(*string) bool, emit func([]byte)) error {
	rf, err := readFrames(b)
	if err != nil {
		return err
	}
	var all []jobs.PeerCount
	var s string
	for counts(&s) {
		var c jobs.PeerCount
		if err := json.Unmarshal([]byte(s), &c); err != nil {
			return err
		}
		all = append(all, c)
	}
	x, err := jobs.PeerShare(r, rf.last(), all)
	if err != nil {
		return err
	}
	out, err := encodeGob(peerShare{Names: rf.last().Names, X: x})
	if err != nil {
		return err
	}
	emit(out)
	return nil
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

// scored is what scoreFn writes for a range: its frames and the scores of
// its rows at the run's cutoff.
type scored struct {
	Frames []*features.Frame
	Scores *jobs.Scores
}

// scoreFn scores and explains the rows of one range at the run's cutoff
// with the plan's model and the typical values, and writes the range's
// frames and scores (encodeGob of scored) to the folder Tmp as
// frameFile(r), whole or not at all; it emits the file's name. Setup
// loads the model, once per worker process.
type scoreFn struct {
	Plan []byte
	Tmp  string

	scorer *jobs.Scorer
}

func (fn *scoreFn) Setup(ctx context.Context) error {
	var err error
	fn.scorer, err = scorerFor(ctx, fn.Plan)
	return err
}

func (fn *scoreFn) ProcessElement(ctx context.Context, r int, b []byte, peers func(*[]byte) bool, emit func(string)) error {
	rf, err := readFrames(b)
	if err != nil {
		return err
	}
	var pb []byte
	if !peers(&pb) {
		return errors.New("no typical values")
	}
	var peer []float64
	if err := decodeGob(pb, &peer); err != nil {
		return fmt.Errorf("decode the typical values: %w", err)
	}
	sc, err := fn.scorer.Score(ctx, rf.last(), peer)
	if err != nil {
		return fmt.Errorf("score range %d: %w", r, err)
	}
	out, err := encodeGob(scored{Frames: rf.Frames, Scores: sc})
	if err != nil {
		return fmt.Errorf("encode range %d: %w", r, err)
	}
	name := frameFile(r)
	if err := writeWhole(filepath.Join(fn.Tmp, name), out); err != nil {
		return err
	}
	emit(name)
	return nil
}

// resultsFn runs once, after every range is written: it checks that every
// range wrote its file and writes the read results of every history file
// to results.json in Tmp.
type resultsFn struct {
	Tmp    string
	Ranges int
}

func (fn *resultsFn) ProcessElement(ctx context.Context, _ []byte, frames, results func(*string) bool) error {
	seen := make([]bool, fn.Ranges)
	var s string
	for frames(&s) {
		var r int
		if _, err := fmt.Sscanf(s, "frame-%05d", &r); err != nil || r < 0 || r >= fn.Ranges || seen[r] {
			return fmt.Errorf("unexpected frames %q", s)
		}
		seen[r] = true
	}
	for r, ok := range seen {
		if !ok {
			return fmt.Errorf("no frames of range %d", r)
		}
	}
	var res []json.RawMessage
	for results(&s) {
		res = append(res, json.RawMessage(s))
	}
	b, err := json.Marshal(res)
	if err != nil {
		return err
	}
	return writeWhole(filepath.Join(fn.Tmp, resultsFile), b)
}

// resultsFile holds the read results of a run's pipeline.
const resultsFile = "results.json"

// writeWhole writes b to path through a temporary file renamed into
// place, so that a reader finds the whole file or none.
func writeWhole(path string, b []byte) error {
	tmp := path + ".tmp-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// readResults reads results.json of tmp.
func readResults(tmp string) ([]jobs.FileResult, error) {
	b, err := os.ReadFile(filepath.Join(tmp, resultsFile))
	if err != nil {
		return nil, fmt.Errorf("pipeline finished without its results: %w", err)
	}
	var res []jobs.FileResult
	if err := json.Unmarshal(b, &res); err != nil {
		return nil, fmt.Errorf("read %s: %w", filepath.Join(tmp, resultsFile), err)
	}
	return res, nil
}

// readScored reads what scoreFn wrote to path.
func readScored(path string) (*scored, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("pipeline finished without its frames: %w", err)
	}
	sc := &scored{}
	if err := decodeGob(b, sc); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return sc, nil
}

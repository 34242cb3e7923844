package main

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"
	"github.com/rs/zerolog"

	"churn/features"
	"churn/jobs"
)

func init() {
	register.DoFn4x1[context.Context, int, part, func(string), error](&frameFn{})
	register.DoFn4x1[context.Context, []byte, func(*string) bool, func(*string) bool, error](&resultsFn{})
}

// cmdRun is `churn run` (jobs.RunDistributed: the same checks, lock,
// model, scoring, value, run folder, metrics and summary) with the
// features built by the Beam pipeline of runFrames. The steps that need
// every customer at once (the value models' fits, such as BG/NBD over all
// non-contractual customers; the risk thresholds and value tiers, which
// are quantiles and means over the population; the reasons' typical
// values; drift; the earlier run's evaluation) run where the job was
// launched, on the assembled frame, with churn run's own code: the frame
// of every customer is held there, as churn run holds it.
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
	sum, err := jobs.RunDistributed(ctx, cfg, jobs.Env{Log: log, CodeVersion: codeVersion()}, func(ctx context.Context, plan *jobs.FeaturesPlan, tmp string) (*features.Frame, []jobs.FileResult, error) {
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

// runFrames runs the features pipeline of a run on the runner the Beam
// options select (Prism when none) and returns the frame of every
// customer at the plan's cutoffs, with what reading each history file
// found. The ranges' frames pass through tmp, a folder every worker and
// this process reach.
func runFrames(ctx context.Context, plan *jobs.FeaturesPlan, tmp string, ranges int, log zerolog.Logger) (*features.Frame, []jobs.FileResult, error) {
	if ranges == 0 {
		ranges = max(1, (plan.Customers+rangeCustomers-1)/rangeCustomers)
	}
	ranges = max(1, min(ranges, plan.Customers))
	p, err := framesPipeline(plan, tmp, ranges)
	if err != nil {
		return nil, nil, err
	}
	log.Info().Int("files", len(plan.Files)+len(plan.CustomerFiles)).Int("customers", plan.Customers).
		Int("ranges", ranges).Msg("pipeline submitted")
	if *runners.Runner == "" {
		*runners.Runner = "prism"
	}
	began := time.Now()
	if _, err := beamx.RunWithMetrics(ctx, p); err != nil {
		return nil, nil, fmt.Errorf("pipeline: %w", err)
	}
	results, err := readResults(tmp)
	if err != nil {
		return nil, nil, err
	}
	perRange := make([][]*features.Frame, ranges)
	for r := range perRange {
		if perRange[r], err = readFrames(filepath.Join(tmp, frameFile(r))); err != nil {
			return nil, nil, err
		}
	}
	f, err := plan.Assemble(perRange)
	if err != nil {
		return nil, nil, err
	}
	log.Info().Int("rows", f.Rows()).Int64("duration_ms", time.Since(began).Milliseconds()).Msg("features of the run built")
	return f, results, nil
}

// framesPipeline returns the pipeline that builds the frames of a run's
// plan, in ranges customer ranges, into the folder tmp: frame-RRRRR per
// range (frameFn) and, once all are written, results.json.
func framesPipeline(plan *jobs.FeaturesPlan, tmp string, ranges int) (*beam.Pipeline, error) {
	enc, err := plan.Encode()
	if err != nil {
		return nil, err
	}
	p, s := beam.NewPipelineWithRoot()
	merged, results := foldAndMerge(s, plan, enc, ranges)
	frames := beam.ParDo(s, &frameFn{Plan: enc, Tmp: tmp}, merged)
	beam.ParDo0(s, &resultsFn{Tmp: tmp, Ranges: ranges}, beam.Impulse(s),
		beam.SideInput{Input: frames}, beam.SideInput{Input: results})
	return p, nil
}

// frameFile is the file of the r-th range's frames.
func frameFile(r int) string { return fmt.Sprintf("frame-%05d", r) }

// frameFn builds the rows of one customer range at every cutoff of the
// plan (jobs.FeaturesPlan.BuildRange) and writes them to the folder Tmp,
// gob-encoded and compressed with zstd, as frameFile(r), whole or not at
// all; it emits the file's name.
type frameFn struct {
	Plan []byte
	Tmp  string
}

func (fn *frameFn) ProcessElement(ctx context.Context, r int, p part, emit func(string)) error {
	plan, base, err := workerFor(ctx, fn.Plan)
	if err != nil {
		return err
	}
	if p, err = p.live(base); err != nil {
		return err
	}
	frames, err := plan.BuildRange(p.b, p.lo, p.hi)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(frames); err != nil {
		return fmt.Errorf("encode frames of customers %d to %d: %w", p.lo, p.hi, err)
	}
	name := frameFile(r)
	if err := writeWhole(filepath.Join(fn.Tmp, name), zenc.EncodeAll(buf.Bytes(), nil)); err != nil {
		return err
	}
	emit(name)
	return nil
}

// resultsFn runs once, after every range's frames are written: it checks
// that every range wrote its file and writes the read results of every
// history file to results.json in Tmp.
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

// readFrames reads the frames frameFn wrote to path.
func readFrames(path string) ([]*features.Frame, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("pipeline finished without its frames: %w", err)
	}
	raw, err := zdec.DecodeAll(b, nil)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var frames []*features.Frame
	if err := gob.NewDecoder(bytes.NewReader(raw)).Decode(&frames); err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return frames, nil
}

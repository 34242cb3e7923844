package jobs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/rs/zerolog"

	"churn/data"
	"churn/data/runs"
	"churn/data/sample"
	"churn/data/store"
	"churn/features"
	"churn/internal/fsutil"
	"churn/jobs/ingest"
	"churn/jobs/lock"
	"churn/jobs/metrics"
	"churn/jobs/output"
	"churn/jobs/record"
	"churn/jobs/segment"
	"churn/jobs/trainset"
	"churn/jobs/value"
	"churn/model"
)

// RunSummary is what `churn run` reports, and prints with --json.
type RunSummary struct {
	AsOf          string           `json:"as_of"`
	Output        string           `json:"output"`
	Parts         []string         `json:"parts"`
	Manifest      string           `json:"manifest"`
	ModelVersion  string           `json:"model_version"`
	Algo          string           `json:"algo"`
	TrainedFirst  bool             `json:"trained_first"`
	Sample        bool             `json:"sample_data"`
	Customers     int              `json:"customers_scored"`
	Segments      []runs.Segment   `json:"segments"`
	Top           []TopCustomer    `json:"top_by_value_at_risk"`
	RowsSkipped   map[string]int64 `json:"rows_skipped"`
	DriftWarnings []string         `json:"drift_warnings,omitempty"`
	Explanations  string           `json:"explanations,omitempty"`
	DurationMS    int64            `json:"duration_ms"`
}

// TopCustomer is one line of the summary's top list.
type TopCustomer struct {
	CustomerID  string  `json:"customer_id"`
	Segment     string  `json:"segment"`
	Probability float64 `json:"churn_probability"`
	Value       float64 `json:"predicted_value"`
	ValueAtRisk float64 `json:"value_at_risk"`
	Reason      string  `json:"reason"`
}

// topN is how many customers the summary lists.
const topN = 10

// Env is what a pipeline takes from its surroundings: the logger, the
// clock and the code version. Tests inject all three.
type Env struct {
	Log         zerolog.Logger
	Now         func() time.Time
	CodeVersion string
	// SampleCache is where the embedded sample is written out to be read;
	// default the user cache folder.
	SampleCache string
	// Progress, when set, receives the progress of long reads at most
	// every few seconds, beside the log line: a terminal draws a bar.
	Progress func(Progress)
}

// Progress is how far a long read has come.
type Progress = ingest.Progress

func (e *Env) now() time.Time {
	if e.Now == nil {
		return time.Now().UTC()
	}
	return e.Now().UTC()
}

// resolveDataset resolves cfg.Data (the embedded sample when empty) and the as-of
// instant (today at midnight UTC, or the sample's end).
func resolveDataset(cfg *Config, env *Env) (root string, asOf time.Time, isSample bool, err error) {
	asOf = cfg.AsOf
	root = cfg.Data
	if root == "" {
		isSample = true
		dir := env.SampleCache
		if dir == "" {
			base, err := os.UserCacheDir()
			if err != nil {
				base = os.TempDir()
			}
			dir = filepath.Join(base, "churn", "sample")
		}
		root, err = sample.Materialize(dir)
		if err != nil {
			return "", time.Time{}, true, fmt.Errorf("embedded sample: %w", err)
		}
		if asOf.IsZero() {
			asOf, _ = data.ParseDate(sample.End)
		}
	}
	if asOf.IsZero() {
		asOf = env.now().Truncate(24 * time.Hour)
	}
	return root, asOf.UTC(), isSample, nil
}

// openDataset validates the config, resolves the dataset and the as-of
// instant, and finds the dataset's files: the start of every pipeline that
// reads histories.
func openDataset(cfg *Config, env *Env) (root string, asOf time.Time, ds *data.Dataset, err error) {
	if err := cfg.Validate(); err != nil {
		return "", time.Time{}, nil, fmt.Errorf("%w: config: %w", ErrInvalidInput, err)
	}
	root, asOf, _, err = resolveDataset(cfg, env)
	if err != nil {
		return "", time.Time{}, nil, err
	}
	ds, err = discover(root)
	return root, asOf, ds, err
}

// discover finds the dataset's files; a missing or malformed dataset is
// invalid input.
func discover(root string) (*data.Dataset, error) {
	ds, err := data.Discover(root)
	if errors.Is(err, store.ErrUnavailable) {
		return nil, err // a retry may succeed
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	return ds, nil
}

// Run is the nightly job: features as of the cutoff, scores with the
// registry's promoted model, value, segments and reasons, written to
// OUT/as_of=DATE/ atomically with a manifest.
func Run(ctx context.Context, cfg Config, env Env) (*RunSummary, error) {
	return run(ctx, cfg, env, nil)
}

// run is Run, with the features, scores, values and part files made by
// build when it is not nil (RunDistributed).
func run(ctx context.Context, cfg Config, env Env, build BuildRun) (_ *RunSummary, err error) {
	began := time.Now()
	startedAt := env.now()
	log := env.Log.With().Str("command", "run").Logger()
	rm := &metrics.Run{}
	defer func() {
		if err == nil || errors.Is(err, ErrLocked) {
			// A run that found the lock taken did nothing: the run that
			// holds it reports.
			return
		}
		// A failed run still tells the monitoring that it failed, without
		// erasing the last success's results.
		rm.Duration, rm.Finished = time.Since(began), env.now()
		if perr := metrics.Publish(context.WithoutCancel(ctx), metricsTarget(&cfg), rm); perr != nil {
			log.Error().Err(perr).Msg("metrics not published")
		}
	}()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%w: config: %w", ErrInvalidInput, err)
	}
	if err := checkExplainOut(cfg.ExplainOut); err != nil {
		return nil, err
	}
	if err := preflightRun(&cfg, cfg.Data == ""); err != nil {
		return nil, err
	}
	root, asOf, isSample, err := resolveDataset(&cfg, &env)
	if err != nil {
		return nil, err
	}
	day := runs.Day(asOf)
	log = log.With().Str("as_of", day).Logger()

	held, err := lock.Acquire(cfg.Out, "churn run", startedAt, log)
	if err != nil {
		return nil, err
	}
	defer held.Release()
	if store.IsURL(cfg.Out) {
		// A bucket's unfinished runs lack _SUCCESS; the next commit of their date replaces them.
	} else if stale, err := fsutil.RemoveStale(cfg.Out); err != nil {
		return nil, fmt.Errorf("clean %s: %w", cfg.Out, err)
	} else if len(stale) > 0 {
		log.Warn().Strs("removed", stale).Msg("removed temporary folders left by an earlier run that did not finish")
	}

	ds, err := discover(root)
	if err != nil {
		return nil, err
	}
	log.Info().Str("data", root).Bool("sample", isSample).Msg("run started")

	reg, err := openRegistry(cfg.Registry)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", cfg.Registry, err)
	}
	defer reg.Close()
	trainedFirst := false
	version, err := reg.Promoted()
	if errors.Is(err, model.ErrNoModel) && isSample {
		log.Info().Str("registry", cfg.Registry).Msg("the registry has no model yet: training one on the sample first")
		tcfg := cfg
		tcfg.AsOf = asOf
		tcfg.Data = root
		if _, err := Train(ctx, tcfg, env); err != nil {
			return nil, fmt.Errorf("train first: %w", err)
		}
		trainedFirst = true
		version, err = reg.Promoted()
	}
	if err != nil {
		if errors.Is(err, model.ErrNoModel) {
			return nil, invalid(fmt.Errorf("%w in registry %s: run `churn train --registry %s` first", ErrNoModel, cfg.Registry, cfg.Registry))
		}
		return nil, fmt.Errorf("registry %s: %w", cfg.Registry, err)
	}
	clf, meta, err := reg.Load(version)
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", version, err)
	}
	log = log.With().Str("model_version", version).Logger()
	if cat, ok, err := catalogOf(meta.Extra); err != nil {
		return nil, fmt.Errorf("load model %s: %w", version, err)
	} else if ok {
		cfg.catalog = catalogSource{fixed: cat}
	} else {
		log.Warn().Msg("the model has no features catalog: learning one from the data, retrain to score with the training one")
	}

	cutoff := asOf.UnixNano()
	cutoffs := []int64{cutoff}
	// An earlier run whose horizon has passed is checked against what
	// happened; its cutoff's labels come from the same pass over the data.
	var notEvaluated string // why no earlier run was evaluated, for the manifest
	prevDay, prevCut, evaluate, err := record.EarlierRun(cfg.Out, asOf, cfg.Features.LabelSpan())
	if err != nil {
		// The evaluation is a by-product of the run: a listing that fails
		// is reported, and the scores are still made and written.
		log.Warn().Err(err).Msg("earlier runs not listed: no earlier run evaluated")
		notEvaluated = err.Error()
	}
	if evaluate {
		cutoffs = []int64{prevCut.UnixNano(), cutoff}
	}
	rs := &runScored{}
	if build == nil {
		rs, err = scoreRun(ctx, &cfg, &env, ds, clf, meta, version, cutoffs, prevDay, evaluate, log)
	} else {
		rs, err = scoreDistributed(ctx, &cfg, &env, ds, build, version, cutoffs, day, prevDay, evaluate, log)
	}
	if err != nil {
		return nil, err
	}
	if rs.pending != nil {
		defer rs.pending.Abort() // after a commit, nothing
	}
	ld := rs.ld
	if rs.notEvaluated != "" {
		notEvaluated = rs.notEvaluated
	}
	for _, ev := range rs.evaluations {
		log.Info().Str("earlier_run", prevDay).Int("customers", ev.Customers).Float64("realised_roc_auc", ev.ROCAUC).
			Float64("realised_lift_top_decile", ev.Lift10).Float64("realised_brier", ev.Brier).Float64("realised_ece", ev.ECE).
			Msg("earlier run evaluated against what happened")
	}
	rm.RowsRead, rm.RowsSkipped, rm.ModelVersion = ld.Rows, ld.Skipped, version
	drift := rs.drift
	log.Info().Float64("base_rate", rs.thresholds.BaseRate).Float64("high_risk", rs.thresholds.High).
		Float64("medium_risk", rs.thresholds.Medium).Msg("risk thresholds")
	for _, name := range drift.Drifted {
		log.Warn().Str("feature", name).Float64("psi", drift.PSI[name]).Float64("threshold", cfg.DriftThreshold).
			Msg("feature drifted from its training distribution")
	}
	if drift.Score > cfg.DriftThreshold {
		log.Warn().Float64("psi", drift.Score).Msg("score distribution drifted from training")
	}

	step := time.Now()
	timings := rs.timings
	inputs, err := runs.Raw(ld.Inputs)
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	man := &runs.Manifest{
		Command:      "run",
		CodeVersion:  env.CodeVersion,
		AsOf:         day,
		Cutoff:       asOf.Format(time.RFC3339),
		Data:         root,
		Sample:       isSample,
		Inputs:       inputs,
		RowsRead:     ld.Rows,
		RowsSkipped:  ld.Skipped,
		ValuesFixed:  ld.Cleaned,
		Families:     rs.families,
		Catalog:      rs.catalog,
		ModelVersion: version,
		Algo:         clf.Algo(),
		Customers:    rs.customers,
		Segments:     rs.segments,
		SegmentNames: runs.Names(cfg.Segments.Names).All(),
		Thresholds:   rs.thresholds,
		Passthrough:  cfg.Lists.Passthrough,
		Value:        rs.value,
		Drift:        drift,
		Evaluations:  rs.evaluations,
		NotEvaluated: notEvaluated,
		Config:       configRecord(&cfg),
	}
	finish := func() {
		man.Timings = timings
		man.StartedAt = startedAt.Format(time.RFC3339Nano)
		man.FinishedAt = env.now().Format(time.RFC3339Nano)
		timings["write_ms"] = time.Since(step).Milliseconds()
		timings["total_ms"] = time.Since(began).Milliseconds()
	}
	switch {
	case rs.pending != nil:
		err = runs.CommitParts(rs.pending, rs.parts, man, finish)
	case store.IsURL(cfg.Out):
		err = output.WriteToStore(cfg.Out, rs.cols, man, finish)
	default:
		err = runs.Write(cfg.Out, rs.cols, man, finish)
	}
	if err != nil {
		return nil, err
	}

	sum := &RunSummary{
		AsOf:          day,
		Output:        output.Path(cfg.Out, runs.Folder(day)),
		Parts:         man.Parts,
		Manifest:      output.Path(cfg.Out, runs.Folder(day), runs.ManifestFile),
		ModelVersion:  version,
		Algo:          clf.Algo(),
		TrainedFirst:  trainedFirst,
		Sample:        isSample,
		Customers:     rs.customers,
		Segments:      man.Segments,
		Top:           rs.top,
		RowsSkipped:   ld.Skipped,
		DriftWarnings: drift.Drifted,
		Explanations:  cfg.ExplainOut,
		DurationMS:    time.Since(began).Milliseconds(),
	}
	log.Info().Int("customers_scored", sum.Customers).Str("output", sum.Output).
		Int64("duration_ms", sum.DurationMS).Msg("run finished")
	rm.Success, rm.Duration, rm.Finished = true, time.Since(began), env.now()
	rm.Customers, rm.Segments, rm.FeaturePSI, rm.ScorePSI = sum.Customers, sum.Segments, drift.Max, drift.Score
	if err := metrics.Write(ctx, metricsTarget(&cfg), rm, log); err != nil {
		return nil, err
	}
	return sum, nil
}

// topByValueAtRisk lists the n customers with the most value at risk,
// ties broken by customer id.
func topByValueAtRisk(f *features.Frame, sc *scored, n int) []TopCustomer {
	idx := make([]int, f.Rows())
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		va, vb := sc.ValueAtRisk[idx[a]], sc.ValueAtRisk[idx[b]]
		if va != vb {
			return va > vb
		}
		return f.CustomerID[idx[a]] < f.CustomerID[idx[b]]
	})
	var out []TopCustomer
	for _, i := range idx[:min(n, len(idx))] {
		if sc.ValueAtRisk[i] <= 0 {
			break
		}
		out = append(out, TopCustomer{
			CustomerID: f.CustomerID[i], Segment: sc.Segment[i], Probability: sc.Prob[i],
			Value: sc.Value[i], ValueAtRisk: sc.ValueAtRisk[i], Reason: firstReason(sc.Reasons[i]),
		})
	}
	return out
}

func firstReason(s string) string {
	for i := 0; i+1 < len(s); i++ {
		if s[i] == ';' && s[i+1] == ' ' {
			return s[:i]
		}
	}
	return s
}

// runScored is what a run found and made before its folder is committed:
// the manifest's figures, and either the columns of its one part file
// (cols) or, for a distributed run, the part files already written into
// pending (parts, in customer order).
type runScored struct {
	ld           *loaded // Inputs, Rows, Skipped, Cleaned (no frame)
	customers    int
	families     json.RawMessage
	catalog      json.RawMessage
	value        json.RawMessage // the value fits
	thresholds   runs.RiskThresholds
	segments     []runs.Segment
	drift        runs.Drift
	evaluations  []runs.Evaluation
	notEvaluated string
	top          []TopCustomer
	timings      map[string]int64
	cols         []data.OutColumn
	pending      runs.Pending
	parts        []string
}

// scoreRun reads the features at the cutoffs (the run's, and the earlier
// run's when evaluate), evaluates the earlier run, and scores, explains,
// values and segments every customer in this process.
func scoreRun(ctx context.Context, cfg *Config, env *Env, ds *data.Dataset, clf *model.Trained, meta model.Meta, version string,
	cutoffs []int64, prevDay string, evaluate bool, log zerolog.Logger) (*runScored, error) {
	rs := &runScored{timings: map[string]int64{}}
	timings := rs.timings
	step := time.Now()
	cutoff := cutoffs[len(cutoffs)-1]
	ld, err := loadFrame(ctx, cfg, env, ds, cutoffs, cutoff, log)
	if err != nil {
		return nil, err
	}
	f := ld.Frame
	if evaluate {
		f = ld.Frame.Select(trainset.RowsAt(ld.Frame, cutoff))
		ev, err := record.EvaluateEarlier(cfg.Out, prevDay, ld.Frame.Select(trainset.RowsAt(ld.Frame, cutoffs[0])))
		if err != nil {
			log.Warn().Err(err).Str("earlier_run", prevDay).Msg("earlier run not evaluated")
			rs.notEvaluated = err.Error()
		} else {
			rs.evaluations = append(rs.evaluations, ev)
		}
	}
	timings["features_ms"] = time.Since(step).Milliseconds()

	step = time.Now()
	prob, err := predict(clf, f)
	if err != nil {
		return nil, err
	}
	// The explanations file takes its SHAP values from the pass that
	// gives the reasons.
	var shap *explanations
	var keep func(lo int, eff []float64)
	if cfg.ExplainOut != "" {
		if shap, err = newExplanations(clf, f); err != nil {
			return nil, fmt.Errorf("write %s: %w", cfg.ExplainOut, err)
		}
		keep = shap.keep
	}
	// The customers' values and the drift need no reasons: they are
	// worked out beside the workers that explain, rather than on one core
	// after them, and logged after them.
	var (
		fit     value.Fit
		val     segment.Valued
		valueMS int64
	)
	side := make(chan struct{})
	go func() {
		defer close(side)
		t0 := time.Now()
		fit = value.FitFrame(f, cfg.Value, log)
		val = value.Values(f, fit, cfg.Value)
		valueMS = time.Since(t0).Milliseconds()
		rs.drift = record.Drift(f, prob, meta, cfg.DriftThreshold)
	}()
	reasons, codes, err := explain(ctx, clf, f, cfg, keep)
	<-side
	if err != nil {
		return nil, err
	}
	timings["score_ms"], timings["value_ms"] = time.Since(step).Milliseconds(), valueMS
	if shap != nil {
		step = time.Now()
		if err := shap.write(cfg.ExplainOut, f); err != nil {
			return nil, fmt.Errorf("write %s: %w", cfg.ExplainOut, err)
		}
		timings["explain_out_ms"] = time.Since(step).Milliseconds()
		log.Info().Str("explanations", cfg.ExplainOut).Int("customers", f.Rows()).Msg("SHAP values written")
	}

	sc := segment.Assemble(cfg.Segments, f, prob, val, reasons)
	sc.ReasonCodes = codes
	if rs.cols, err = partColumns(ds, cfg, f, sc, version, clf); err != nil {
		return nil, err
	}
	if rs.families, err = runs.Raw(f.Families); err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	if rs.catalog, err = runs.Raw(f.Catalog); err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	if rs.value, err = runs.Raw(fit); err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	ld.Frame = nil
	rs.ld, rs.customers, rs.thresholds = ld, f.Rows(), sc.Thresholds
	rs.segments = segment.Count(cfg.Segments, sc)
	rs.top = topByValueAtRisk(f, sc, topN)
	return rs, nil
}

// partColumns are the columns of the part file of f's customers: the
// scores, values and segments of sc, the main features, and the
// passthrough columns of the customers table after region.
func partColumns(ds *data.Dataset, cfg *Config, f *features.Frame, sc *scored, version string, clf *model.Trained) ([]data.OutColumn, error) {
	cols := outputColumns(f, sc, version, clf)
	if len(cfg.Lists.Passthrough) == 0 {
		return cols, nil
	}
	pass, err := output.PassthroughColumns(ds, cfg.Mapping, cfg.Lists.Passthrough, f.CustomerID)
	if err != nil {
		return nil, err
	}
	return output.InsertAfter(cols, "region", pass)
}

// mergeTop merges the top lists of customer ranges (topByValueAtRisk of
// each) into the n customers with the most value at risk, ties broken by
// customer id: the list of all the ranges' customers at once.
func mergeTop(lists [][]TopCustomer, n int) []TopCustomer {
	var all []TopCustomer
	for _, l := range lists {
		all = append(all, l...)
	}
	sort.SliceStable(all, func(a, b int) bool {
		if all[a].ValueAtRisk != all[b].ValueAtRisk {
			return all[a].ValueAtRisk > all[b].ValueAtRisk
		}
		return all[a].CustomerID < all[b].CustomerID
	})
	return all[:min(n, len(all))]
}

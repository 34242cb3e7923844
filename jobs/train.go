package jobs

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"time"

	"churn/data"
	"churn/data/store"
	"churn/features"
	"churn/jobs/output"
	"churn/jobs/record"
	"churn/jobs/trainset"
	"churn/model"
	"churn/model/eval"
	"churn/model/gbt"
)

// TrainSummary is what `churn train` reports, and prints with --json.
type TrainSummary struct {
	AsOf        string                 `json:"as_of"`
	Version     string                 `json:"version"`
	Promoted    bool                   `json:"promoted"`
	PromoteNote string                 `json:"promote_note,omitempty"`
	Algo        string                 `json:"algo"`
	Choice      string                 `json:"choice"`
	Cutoffs     []CutoffSummary        `json:"cutoffs"`
	Split       map[string]string      `json:"split"`
	Holdout     eval.Report            `json:"holdout"`
	Baseline    eval.Report            `json:"baseline_days_since_activity"`
	ByPlan      map[string]eval.Report `json:"holdout_by_plan"`
	ByRegion    map[string]eval.Report `json:"holdout_by_region"`
	Features    int                    `json:"features"`
	Catalog     *features.Catalog      `json:"feature_catalog,omitempty"`
	TrainRows   int                    `json:"train_rows"` // rows the saved model was fitted on
	Refit       *RefitSummary          `json:"refit,omitempty"`
	GBT         map[string]any         `json:"gbt_params"`
	Search      []model.SearchTrial    `json:"gbt_search,omitempty"`
	Phases      []PhaseTime            `json:"phases"`
	Report      string                 `json:"report,omitempty"`
	ModelCard   string                 `json:"model_card"`
	Fingerprint string                 `json:"data_fingerprint"`
	RowsSkipped map[string]int64       `json:"rows_skipped"`
	CachedCuts  int                    `json:"cutoffs_from_cache"`
	DurationMS  int64                  `json:"duration_ms"`
	trained     *model.Trained
	scores      *holdoutScores
}

// CutoffSummary describes one training cutoff.
type CutoffSummary = trainset.CutoffSummary

// PhaseTime is the wall time of one phase of churn train, and the CPU
// time (user and system, all goroutines) the process used from the end of
// the previous phase to the end of this one: on a shared machine the CPU
// time says what a phase costs when its wall time mostly says how busy
// the machine was. CPUMS is 0 where the platform does not report CPU time.
type PhaseTime struct {
	Name       string `json:"name"`
	DurationMS int64  `json:"duration_ms"`
	CPUMS      int64  `json:"cpu_ms"`
}

// RefitSummary says what the saved model was refitted on.
type RefitSummary struct {
	model.RefitReport
	// Calibration is the kept calibration of the refitted model on the
	// held-back half of the latest complete cutoff.
	Calibration string `json:"calibration"`
	// HeldBrier is the refitted model's Brier score on that half, after
	// calibration (in sample for the calibration).
	HeldBrier float64 `json:"held_brier"`
}

// Train builds a labelled training set from cfg.Train.Cutoffs monthly
// cutoffs, selects and calibrates a model on the time split (trainset.ByTime),
// measures it on the latest cutoff whose horizon is complete, then, with
// cfg.Train.Refit, refits the chosen model on every labelled cutoff up to
// that one less a held-back half that recalibrates it, and saves the
// final model in the registry with the selection's holdout figures.
func Train(ctx context.Context, cfg Config, env Env) (*TrainSummary, error) {
	began := time.Now()
	log := env.Log.With().Str("command", "train").Logger()
	lowGC := func() {} // from the build of the frame on, see trainGCPercent
	if os.Getenv("GOGC") == "" {
		prev, lowered := 0, false
		lowGC = func() {
			if !lowered {
				prev, lowered = debug.SetGCPercent(trainGCPercent), true
			}
		}
		defer func() {
			if lowered {
				debug.SetGCPercent(prev)
			}
		}()
	}
	var phases []PhaseTime
	lastCPU, _ := processCPU()
	phase := func(name string, d time.Duration) {
		p := PhaseTime{Name: name, DurationMS: d.Milliseconds()}
		if cpu, ok := processCPU(); ok {
			p.CPUMS = (cpu - lastCPU).Milliseconds()
			lastCPU = cpu
		}
		phases = append(phases, p)
		log.Info().Str("phase", name).Int64("duration_ms", p.DurationMS).Int64("cpu_ms", p.CPUMS).Msg("phase done")
	}
	root, asOf, ds, err := openDataset(&cfg, &env)
	if err != nil {
		return nil, err
	}
	if err := checkRegistryWritable(cfg.Registry); errors.Is(err, store.ErrUnavailable) {
		return nil, fmt.Errorf("registry: %w", err) // a retry may succeed
	} else if err != nil {
		return nil, invalid(fmt.Errorf("registry: %w", err))
	}
	window := cfg.Features.LabelSpan()
	cutoffs := cfg.Features.MonthlyCutoffs(asOf, cfg.Train.Cutoffs)
	if len(cutoffs) < 3 {
		return nil, fmt.Errorf("%w: %d cutoffs, want at least 3", ErrInvalidInput, len(cutoffs))
	}
	log.Info().Str("data", root).Str("as_of", data.FormatDate(asOf)).Int("cutoffs", len(cutoffs)).
		Str("first_cutoff", day(cutoffs[0])).Str("last_cutoff", day(cutoffs[len(cutoffs)-1])).Msg("train started")
	step := time.Now()
	cache, err := trainset.NewCache(registryCacheDir(cfg.Registry), env.CodeVersion, ds, asOf.UnixNano(), struct {
		Features features.Config
		Mapping  data.Mapping
		BadRows  BadRowOptions
	}{cfg.Features, cfg.Mapping, cfg.BadRows})
	if err != nil {
		return nil, err
	}
	if err := cache.Prune(env.now()); err != nil {
		log.Warn().Err(err).Msg("feature cache not pruned")
	}
	// The catalog is learned from the rows before the latest cutoff, the
	// same whichever cutoffs the cache already holds.
	cfg.catalog = catalogSource{until: cutoffs[len(cutoffs)-1]}
	ld, built, cached, err := trainingFrame(func(missing []int64) (*loaded, []int, error) {
		return loadLabelled(ctx, &cfg, &env, ds, missing, asOf.UnixNano(), log, lowGC)
	}, cache, cutoffs)
	if err != nil {
		return nil, err
	}
	lowGC()
	if cached > 0 {
		log.Info().Int("cutoffs_cached", cached).Int("cutoffs", len(cutoffs)).Str("cache", cache.Dir()).
			Msg("features of earlier cutoffs reused from the cache")
	}
	phase("read and build features", time.Since(step))
	step = time.Now()
	f := ld.Frame
	// The split's matrices share the frame's, which may lie off the heap
	// (loadLabelled): the frame stays reachable until Train returns.
	defer runtime.KeepAlive(f)
	sp, summaries, err := trainset.ByTime(f, built, cutoffs, window, cfg.Seed)
	if err != nil {
		return nil, err
	}
	// The split's matrix is the frame's, its rows reordered in place; the
	// frame's X no longer matches its other columns.
	f.X = nil
	for _, s := range summaries {
		log.Info().Str("cutoff", s.Cutoff).Str("role", s.Role).Int("rows", s.Rows).Int("labelled", s.Labelled).
			Float64("churn_rate", s.ChurnRate).Msg("training cutoff")
	}
	phase("split", time.Since(step))
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	tcfg := model.DefaultTrainConfig()
	tcfg.Algo, tcfg.Calibration, tcfg.Seed = cfg.Train.Algo, cfg.Train.Calibration, cfg.Seed
	tcfg.GBT = cfg.Train.GBT.Params()
	tcfg.Workers = cfg.Workers
	tcfg.Phase = phase
	train, valid, calib, test := sp.Span(trainset.RoleStop, trainset.RoleTrain), sp.Role(trainset.RoleValid), sp.Role(trainset.RoleCalib), sp.Span(trainset.RoleFit, trainset.RoleHeld)
	tcfg.StopRows = len(sp.Role(trainset.RoleStop).Rows)
	var search []model.SearchTrial
	if cfg.Train.Search && (tcfg.Algo == model.AlgoAuto || tcfg.Algo == model.AlgoGBT) {
		best, trials, err := model.SearchGBT(tcfg, model.SearchGrid(tcfg.GBT), train.M, valid.M, train.Y, valid.Y)
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		search = trials
		tcfg.GBT = best
		log.Info().Int("depth", best.MaxDepth).Float64("learning_rate", best.LearningRate).Int("trials", len(trials)).Msg("gbt parameters searched")
		if err := ctx.Err(); err != nil {
			return nil, err
		}
	}
	step = time.Now()
	tr, err := model.Train(tcfg, train.M, valid.M, calib.M, train.Y, valid.Y, calib.Y)
	if err != nil {
		if errors.Is(err, model.ErrTooFewRows) || errors.Is(err, model.ErrSingleClass) {
			return nil, fmt.Errorf("%w: %w", ErrInvalidInput, err)
		}
		return nil, fmt.Errorf("train: %w", err)
	}
	log.Info().Str("algo", tr.Algo()).Str("choice", tr.Choice).Int64("duration_ms", time.Since(step).Milliseconds()).Msg("model trained")

	step = time.Now()
	p := make([]float64, test.M.Rows)
	if err := tr.PredictProba(p, test.M); err != nil {
		return nil, fmt.Errorf("score holdout: %w", err)
	}
	margins := make([]float64, test.M.Rows)
	if err := tr.Margins(margins, test.M); err != nil {
		return nil, fmt.Errorf("score holdout: %w", err)
	}
	for i, m := range margins {
		margins[i] = sigmoid(m)
	}
	base := trainset.Baseline(test.M)
	holdout := eval.Evaluate(p, test.Y)
	baseline := eval.Evaluate(base, test.Y)
	plans, regions := make([]string, len(test.Rows)), make([]string, len(test.Rows))
	for k, i := range test.Rows {
		plans[k], regions[k] = f.Plan[i], f.Region[i]
	}
	log.Info().Float64("roc_auc", holdout.ROCAUC).Float64("pr_auc", holdout.PRAUC).Float64("brier", holdout.Brier).
		Float64("ece", holdout.ECE).Float64("lift_top_decile", holdout.LiftTopDecile).
		Float64("baseline_roc_auc", baseline.ROCAUC).Msg("holdout evaluated")
	phase("holdout", time.Since(step))
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	byPlan, byRegion := eval.EvaluateBy(p, test.Y, plans), eval.EvaluateBy(p, test.Y, regions)

	// The final model: refitted on everything up to the latest complete
	// cutoff, less the held-back half that calibrates it.
	final, fitSet := tr, train
	var refit *RefitSummary
	held := sp.Role(trainset.RoleHeld)
	heldProb := p // without a refit the saved model's scores are the holdout's
	if cfg.Train.Refit {
		fitSet = sp.Span(trainset.RoleStop, trainset.RoleFit)
		final, err = model.Refit(tcfg, tr, train.M.Rows, fitSet.M, fitSet.Y, held.M, held.Y)
		if err != nil {
			return nil, fmt.Errorf("refit: %w", err)
		}
		heldProb = make([]float64, held.M.Rows)
		if err := final.PredictProba(heldProb, held.M); err != nil {
			return nil, fmt.Errorf("score held-back rows: %w", err)
		}
		refit = &RefitSummary{RefitReport: *final.Refit, Calibration: final.Calibration.Method, HeldBrier: eval.Brier(heldProb, held.Y)}
		log.Info().Int("rows", refit.Rows).Int("trees", refit.Trees).Int("selected_trees", refit.SelectedTrees).
			Int("calibration_rows", refit.CalibrationRows).Str("calibration", refit.Calibration).Msg("final model refitted")
	}

	step = time.Now()
	// The record, the card and the SHAP importance describe the saved model.
	shap, err := record.ExplainHoldout(final, test.M)
	if err != nil {
		return nil, err
	}
	fingerprint := trainset.Fingerprint(ld.Inputs, configRecord(&cfg))
	reg, err := openRegistry(cfg.Registry)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", cfg.Registry, err)
	}
	defer reg.Close()
	profile := model.Profile(fitSet.M, profileBins)
	rec := model.NewRecord(final, tcfg)
	rec.Window = record.DataWindow(cfg.Features, asOf, summaries, root, fingerprint)
	rec.ByPlan, rec.ByRegion = byPlan, byRegion
	rec.Drift = record.HoldoutDrift(profile, test.M)
	if shap != nil {
		rec.SHAPImportance = shap.MeanAbs
	}
	extra := map[string]any{
		"as_of":      data.FormatDate(asOf),
		"cutoffs":    summaries,
		"data":       root,
		"gbt_params": gbtRecord(tcfg.GBT),
		"holdout_of": holdoutOf(refit != nil),
		catalogKey:   f.Catalog,
	}
	if refit != nil {
		extra["refit"] = refit
	}
	if search != nil {
		extra["gbt_search"] = search
	}
	meta := model.Meta{
		CreatedAt:       env.now(),
		DataFingerprint: fingerprint,
		CodeVersion:     env.CodeVersion,
		Config:          configRecord(&cfg),
		Holdout:         holdout,
		Baseline:        baseline,
		Profile:         profile,
		ScoreProfile:    model.Profile(&model.Matrix{Cols: []string{"score"}, Rows: len(heldProb), X: heldProb}, profileBins)["score"],
		Extra:           extra,
		Record:          rec,
	}
	version, promoted, err := reg.Save(final, meta, record.ModelCardFile(&meta, final, summaries, cfg.DriftThreshold))
	if err != nil {
		return nil, fmt.Errorf("save model: %w", err)
	}
	sum := &TrainSummary{
		AsOf:     data.FormatDate(asOf),
		Version:  version,
		Promoted: promoted,
		Algo:     final.Algo(),
		Choice:   final.Choice,
		Cutoffs:  summaries,
		Split: map[string]string{
			"train": "older cutoffs whose label windows end before the test cutoff; those whose windows also end by the validation cutoff (train+stop) fit the early-stopping run that sets the tree count",
			"gap":   "cutoffs whose label windows reach into the test horizon: left out of selection, used by the refit",
			"valid": "latest cutoff before the gap, half of customers (early stopping, model choice)",
			"calib": "same cutoff, other half (calibration)",
			"test":  "latest complete cutoff; " + holdoutOf(refit != nil),
		},
		Holdout:     holdout,
		Baseline:    baseline,
		ByPlan:      byPlan,
		ByRegion:    byRegion,
		Features:    len(f.Names),
		Catalog:     f.Catalog,
		TrainRows:   fitSet.M.Rows,
		Refit:       refit,
		GBT:         gbtRecord(tcfg.GBT),
		Search:      search,
		Fingerprint: fingerprint,
		RowsSkipped: ld.Skipped,
		CachedCuts:  cached,
		ModelCard:   output.Path(cfg.Registry, version, record.ModelCardName),
		trained:     final,
		scores:      &holdoutScores{prob: p, uncal: margins, label: test.Y, baseline: base, shap: shap},
	}
	if !promoted && cfg.Train.Promote {
		if err := reg.Promote(version, false); err != nil {
			sum.PromoteNote = err.Error()
			log.Warn().Err(err).Str("version", version).Msg("not promoted")
		} else {
			sum.Promoted = true
		}
	}
	log.Info().Str("version", version).Bool("promoted", sum.Promoted).Msg("model saved")
	phase("save", time.Since(step))
	sum.Phases = phases
	sum.DurationMS = time.Since(began).Milliseconds()
	return sum, nil
}

// trainGCPercent is the heap growth, in percent of the live heap, at which
// the collector runs during Train from the build of the feature frame on
// (Go's default is 100). From then on, training's heap is mostly a few
// large matrices without pointers (features, bin codes, the logistic
// design), which the collector does not scan, so collecting sooner costs
// little CPU and keeps the peak near 1.25 times the live heap instead of
// twice it. The fold of the histories before it keeps Go's default: its
// live heap is small and its garbage (decoded pages) large, so a lower
// percent would only collect more often. A GOGC set in the environment is
// left alone.
const trainGCPercent = 25

// holdoutOf says which model the holdout figures measure.
func holdoutOf(refit bool) string {
	if refit {
		return "the holdout measures the selected model, fitted on the train cutoffs only; the saved model is that model refitted on every cutoff up to the test cutoff less a held-back half of it"
	}
	return "the holdout measures the saved model"
}

// gbtRecord is the tree parameters as recorded with a registry version.
func gbtRecord(p gbt.Params) map[string]any {
	return map[string]any{
		"trees": p.Trees, "depth": p.MaxDepth, "learning_rate": p.LearningRate, "leaves": p.MaxLeaves,
		"min_child_weight": p.MinChildWeight, "subsample": p.Subsample, "colsample": p.ColSample, "l2": p.L2,
		"max_bins": p.MaxBins, "early_stopping": p.EarlyStopping,
	}
}

// profileBins is the number of quantile bins kept per feature for drift.
const profileBins = 10

func day(ns int64) string { return data.FormatDate(time.Unix(0, ns)) }

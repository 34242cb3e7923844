package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"path/filepath"
	"sort"
	"time"

	"churn/features"
	"churn/model"
	"churn/model/eval"
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
	TrainRows   int                    `json:"train_rows"`
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
type CutoffSummary struct {
	Cutoff    string  `json:"cutoff"`
	Role      string  `json:"role"`
	Rows      int     `json:"rows"`
	Labelled  int     `json:"labelled"`
	ChurnRate float64 `json:"churn_rate"`
}

// splitSet is the rows of a frame that one role (train, valid, calib,
// test) uses.
type splitSet struct {
	Rows []int
	M    *model.Matrix
	Y    []float64
}

// Train builds a labelled training set from cfg.Train.Cutoffs monthly
// cutoffs, trains on the older ones, validates and calibrates on the next,
// tests on the latest cutoff whose horizon is complete, and saves a new
// version in the registry.
func Train(ctx context.Context, cfg Config, env Env) (*TrainSummary, error) {
	began := time.Now()
	log := env.Log.With().Str("command", "train").Logger()
	root, asOf, ds, err := openDataset(&cfg, &env)
	if err != nil {
		return nil, err
	}
	if err := checkWritableDir(cfg.Registry, true); err != nil {
		return nil, invalid(fmt.Errorf("registry: %w", err))
	}
	cutoffs := features.MonthlyCutoffs(asOf, cfg.Train.Cutoffs, cfg.Features.Horizon+cfg.Features.Gap)
	if len(cutoffs) < 3 {
		return nil, fmt.Errorf("%w: %d cutoffs, want at least 3", ErrInvalidInput, len(cutoffs))
	}
	log.Info().Str("data", root).Str("as_of", asOf.Format("2006-01-02")).Int("cutoffs", len(cutoffs)).
		Str("first_cutoff", day(cutoffs[0])).Str("last_cutoff", day(cutoffs[len(cutoffs)-1])).Msg("train started")
	cache, err := newFeatureCache(filepath.Join(cfg.Registry, "cache"), &cfg, &env, ds, asOf.UnixNano())
	if err != nil {
		return nil, err
	}
	if err := cache.prune(env.now()); err != nil {
		log.Warn().Err(err).Msg("feature cache not pruned")
	}
	ld, cached, err := trainingFrame(func(missing []int64) (*loaded, error) {
		return loadFrame(ctx, &cfg, &env, ds, missing, asOf.UnixNano(), log)
	}, cache, cutoffs)
	if err != nil {
		return nil, err
	}
	if cached > 0 {
		log.Info().Int("cutoffs_cached", cached).Int("cutoffs", len(cutoffs)).Str("cache", cache.dir).
			Msg("features of earlier cutoffs reused from the cache")
	}
	f := ld.Frame
	sets, summaries, err := splitByTime(f, cutoffs, cfg.Seed)
	if err != nil {
		return nil, err
	}
	// The sets hold copies of their rows; the whole matrix is not read
	// again, so let it go before training needs the memory.
	f.X = nil
	for _, s := range summaries {
		log.Info().Str("cutoff", s.Cutoff).Str("role", s.Role).Int("rows", s.Rows).Int("labelled", s.Labelled).
			Float64("churn_rate", s.ChurnRate).Msg("training cutoff")
	}

	tcfg := model.DefaultTrainConfig()
	tcfg.Algo, tcfg.Calibration, tcfg.Seed = cfg.Train.Algo, cfg.Train.Calibration, cfg.Seed
	tcfg.GBT.Workers = cfg.Workers
	step := time.Now()
	tr, err := model.Train(tcfg, sets["train"].M, sets["valid"].M, sets["calib"].M, sets["train"].Y, sets["valid"].Y, sets["calib"].Y)
	if err != nil {
		if errors.Is(err, model.ErrTooFewRows) || errors.Is(err, model.ErrSingleClass) {
			return nil, fmt.Errorf("%w: %w", ErrInvalidInput, err)
		}
		return nil, fmt.Errorf("train: %w", err)
	}
	log.Info().Str("algo", tr.Algo()).Str("choice", tr.Choice).Int64("duration_ms", time.Since(step).Milliseconds()).Msg("model trained")

	test := sets["test"]
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
	base := baselineScore(test.M)
	holdout := eval.Evaluate(p, test.Y)
	baseline := eval.Evaluate(base, test.Y)
	plans, regions := make([]string, len(test.Rows)), make([]string, len(test.Rows))
	for k, i := range test.Rows {
		plans[k], regions[k] = f.Plan[i], f.Region[i]
	}
	log.Info().Float64("roc_auc", holdout.ROCAUC).Float64("pr_auc", holdout.PRAUC).Float64("brier", holdout.Brier).
		Float64("ece", holdout.ECE).Float64("lift_top_decile", holdout.LiftTopDecile).
		Float64("baseline_roc_auc", baseline.ROCAUC).Msg("holdout evaluated")

	byPlan, byRegion := eval.EvaluateBy(p, test.Y, plans), eval.EvaluateBy(p, test.Y, regions)
	shap, err := explainHoldout(tr, test.M)
	if err != nil {
		return nil, err
	}
	fingerprint := fingerprintInputs(ld.Inputs, configRecord(&cfg))
	reg, err := model.OpenRegistry(cfg.Registry)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", cfg.Registry, err)
	}
	profile := model.Profile(sets["train"].M, profileBins)
	rec := model.NewRecord(tr, tcfg)
	rec.Window = dataWindow(&cfg, asOf, summaries, root, fingerprint)
	rec.ByPlan, rec.ByRegion = byPlan, byRegion
	rec.Drift = holdoutDrift(profile, test.M)
	if shap != nil {
		rec.SHAPImportance = shap.meanAbs
	}
	meta := model.Meta{
		CreatedAt:       env.now(),
		DataFingerprint: fingerprint,
		CodeVersion:     env.CodeVersion,
		Config:          configRecord(&cfg),
		Holdout:         holdout,
		Baseline:        baseline,
		Profile:         profile,
		ScoreProfile:    model.Profile(&model.Matrix{Cols: []string{"score"}, Rows: len(p), X: p}, profileBins)["score"],
		Extra: map[string]any{
			"as_of":   asOf.Format("2006-01-02"),
			"cutoffs": summaries,
			"data":    root,
		},
		Record: rec,
	}
	version, promoted, err := reg.Save(tr, meta, modelCardFile(&meta, tr, summaries, cfg.DriftThreshold))
	if err != nil {
		return nil, fmt.Errorf("save model: %w", err)
	}
	sum := &TrainSummary{
		AsOf:        asOf.Format("2006-01-02"),
		Version:     version,
		Promoted:    promoted,
		Algo:        tr.Algo(),
		Choice:      tr.Choice,
		Cutoffs:     summaries,
		Split:       map[string]string{"train": "older cutoffs", "valid": "second-latest cutoff, half of customers (early stopping, model choice)", "calib": "second-latest cutoff, other half (calibration)", "test": "latest complete cutoff"},
		Holdout:     holdout,
		Baseline:    baseline,
		ByPlan:      byPlan,
		ByRegion:    byRegion,
		Features:    len(f.Names),
		TrainRows:   sets["train"].M.Rows,
		Fingerprint: fingerprint,
		RowsSkipped: ld.Skipped,
		CachedCuts:  cached,
		ModelCard:   filepath.Join(cfg.Registry, version, modelCardName),
		trained:     tr,
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
	sum.DurationMS = time.Since(began).Milliseconds()
	return sum, nil
}

// profileBins is the number of quantile bins kept per feature for drift.
const profileBins = 10

func day(ns int64) string { return time.Unix(0, ns).UTC().Format("2006-01-02") }

// splitByTime assigns labelled rows to roles by cutoff: the latest cutoff
// is the test set; the one before it is split by customer into validation
// (early stopping, model choice) and calibration halves; all older cutoffs
// train. No role sees a later cutoff than the one after it.
func splitByTime(f *features.Frame, cutoffs []int64, seed uint64) (map[string]*splitSet, []CutoffSummary, error) {
	last, prev := cutoffs[len(cutoffs)-1], cutoffs[len(cutoffs)-2]
	idx := map[string][]int{}
	per := map[int64]*CutoffSummary{}
	for _, c := range cutoffs {
		per[c] = &CutoffSummary{Cutoff: day(c), Role: "train"}
	}
	per[last].Role, per[prev].Role = "test", "valid+calib"
	churned := map[int64]int{}
	for i := range f.Rows() {
		c := f.Cutoff[i]
		s := per[c]
		if s == nil {
			continue
		}
		s.Rows++
		if math.IsNaN(f.Label[i]) {
			continue
		}
		s.Labelled++
		if f.Label[i] == 1 {
			churned[c]++
		}
		switch c {
		case last:
			idx["test"] = append(idx["test"], i)
		case prev:
			if half(f.CustomerID[i], seed) {
				idx["valid"] = append(idx["valid"], i)
			} else {
				idx["calib"] = append(idx["calib"], i)
			}
		default:
			idx["train"] = append(idx["train"], i)
		}
	}
	var sums []CutoffSummary
	for _, c := range cutoffs {
		s := per[c]
		if s.Labelled > 0 {
			s.ChurnRate = math.Round(1e4*float64(churned[c])/float64(s.Labelled)) / 1e4
		}
		sums = append(sums, *s)
	}
	sets := map[string]*splitSet{}
	var errs []error
	for _, role := range []string{"train", "valid", "calib", "test"} {
		if len(idx[role]) == 0 {
			errs = append(errs, fmt.Errorf("%w: no labelled rows for the %s set: the data may not span enough cutoffs with complete horizons", ErrInvalidInput, role))
			continue
		}
		sets[role] = subset(f, idx[role])
	}
	return sets, sums, errors.Join(errs...)
}

// half puts a customer in the validation half or the calibration half, by
// a seeded hash of the id, so the split is stable across runs.
func half(id string, seed uint64) bool {
	h := fnv.New64a()
	var b [8]byte
	for i := range b {
		b[i] = byte(seed >> (8 * i))
	}
	h.Write(b[:])
	h.Write([]byte(id))
	return h.Sum64()%2 == 0
}

func subset(f *features.Frame, rows []int) *splitSet {
	cols := len(f.Names)
	m := &model.Matrix{Cols: f.Names, Rows: len(rows), X: make([]float64, 0, len(rows)*cols)}
	y := make([]float64, len(rows))
	for k, i := range rows {
		m.X = append(m.X, f.X[i*cols:(i+1)*cols]...)
		y[k] = f.Label[i]
	}
	return &splitSet{Rows: rows, M: m, Y: y}
}

// recencyColumns are the features whose minimum is the days since a
// customer's last activity of any kind.
var recencyColumns = []string{"days_since_core", "days_since_session", "days_since_order"}

// baselineScore is the naive model the real one must beat: the longer since
// a customer's last activity, the likelier they leave. A customer with no
// recorded activity ranks as the riskiest.
func baselineScore(m *model.Matrix) []float64 {
	var cols []int
	for _, name := range recencyColumns {
		if j := m.Col(name); j >= 0 {
			cols = append(cols, j)
		}
	}
	out := make([]float64, m.Rows)
	for i := range out {
		v := math.Inf(1)
		for _, j := range cols {
			if x := m.X[i*len(m.Cols)+j]; !math.IsNaN(x) {
				v = math.Min(v, x)
			}
		}
		// Squash into [0, 1] so probability metrics stay defined; ranking
		// metrics are what the baseline is for.
		out[i] = 1 - math.Exp(-v/30)
	}
	return out
}

// fingerprintInputs hashes the inputs' checksums and the config: the same
// fingerprint means the same training data.
func fingerprintInputs(inputs []InputFile, config map[string]any) string {
	h := sha256.New()
	keys := make([]string, 0, len(inputs))
	byPath := map[string]string{}
	for _, in := range inputs {
		keys = append(keys, in.Path)
		byPath[in.Path] = in.SHA256
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(h, "%s %s\n", k, byPath[k])
	}
	b, _ := json.Marshal(config)
	h.Write(b)
	return hex.EncodeToString(h.Sum(nil))
}

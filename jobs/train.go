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
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"time"

	"churn/data"
	"churn/features"
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

// PhaseTime is the wall time of one phase of churn train.
type PhaseTime struct {
	Name       string `json:"name"`
	DurationMS int64  `json:"duration_ms"`
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
// cutoffs, selects and calibrates a model on the time split (splitByTime),
// measures it on the latest cutoff whose horizon is complete, then, with
// cfg.Train.Refit, refits the chosen model on every labelled cutoff up to
// that one less a held-back half that recalibrates it, and saves the
// final model in the registry with the selection's holdout figures.
func Train(ctx context.Context, cfg Config, env Env) (*TrainSummary, error) {
	began := time.Now()
	log := env.Log.With().Str("command", "train").Logger()
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(trainGCPercent))
	}
	var phases []PhaseTime
	phase := func(name string, d time.Duration) {
		phases = append(phases, PhaseTime{Name: name, DurationMS: d.Milliseconds()})
		log.Info().Str("phase", name).Int64("duration_ms", d.Milliseconds()).Msg("phase done")
	}
	root, asOf, ds, err := openDataset(&cfg, &env)
	if err != nil {
		return nil, err
	}
	if err := checkWritableDir(cfg.Registry, true); err != nil {
		return nil, invalid(fmt.Errorf("registry: %w", err))
	}
	window := cfg.Features.LabelSpan()
	cutoffs := features.MonthlyCutoffs(asOf, cfg.Train.Cutoffs, window)
	if len(cutoffs) < 3 {
		return nil, fmt.Errorf("%w: %d cutoffs, want at least 3", ErrInvalidInput, len(cutoffs))
	}
	log.Info().Str("data", root).Str("as_of", data.FormatDate(asOf)).Int("cutoffs", len(cutoffs)).
		Str("first_cutoff", day(cutoffs[0])).Str("last_cutoff", day(cutoffs[len(cutoffs)-1])).Msg("train started")
	step := time.Now()
	cache, err := newFeatureCache(filepath.Join(cfg.Registry, "cache"), &cfg, &env, ds, asOf.UnixNano())
	if err != nil {
		return nil, err
	}
	if err := cache.prune(env.now()); err != nil {
		log.Warn().Err(err).Msg("feature cache not pruned")
	}
	// The catalog is learned from the rows before the latest cutoff, the
	// same whichever cutoffs the cache already holds.
	cfg.catalog = catalogSource{until: cutoffs[len(cutoffs)-1]}
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
	phase("read and build features", time.Since(step))
	step = time.Now()
	f := ld.Frame
	sp, summaries, err := splitByTime(f, cutoffs, window, cfg.Seed)
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
	train, valid, calib, test := sp.set(roleTrain), sp.set(roleValid), sp.set(roleCalib), sp.rng(roleFit, roleHeld)
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
	phase("holdout", time.Since(step))
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	byPlan, byRegion := eval.EvaluateBy(p, test.Y, plans), eval.EvaluateBy(p, test.Y, regions)

	// The final model: refitted on everything up to the latest complete
	// cutoff, less the held-back half that calibrates it.
	final, fitSet := tr, train
	var refit *RefitSummary
	held := sp.set(roleHeld)
	heldProb := p // without a refit the saved model's scores are the holdout's
	if cfg.Train.Refit {
		fitSet = sp.rng(roleTrain, roleFit)
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
	shap, err := explainHoldout(final, test.M)
	if err != nil {
		return nil, err
	}
	fingerprint := fingerprintInputs(ld.Inputs, configRecord(&cfg))
	reg, err := model.OpenRegistry(cfg.Registry)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", cfg.Registry, err)
	}
	profile := model.Profile(fitSet.M, profileBins)
	rec := model.NewRecord(final, tcfg)
	rec.Window = dataWindow(&cfg, asOf, summaries, root, fingerprint)
	rec.ByPlan, rec.ByRegion = byPlan, byRegion
	rec.Drift = holdoutDrift(profile, test.M)
	if shap != nil {
		rec.SHAPImportance = shap.meanAbs
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
	version, promoted, err := reg.Save(final, meta, modelCardFile(&meta, final, summaries, cfg.DriftThreshold))
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
			"train": "older cutoffs whose label windows end before the test cutoff",
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
		ModelCard:   filepath.Join(cfg.Registry, version, modelCardName),
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
// the collector runs during Train (Go's default is 100). Training's heap is
// mostly a few large matrices without pointers (features, bin codes, the
// logistic design), which the collector does not scan, so collecting
// sooner costs little CPU and keeps the peak near 1.25 times the live heap
// instead of twice it. A GOGC set in the environment is left alone.
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

// Roles of the time split. Rows of the training matrix come in this order,
// the latest cutoff's refit half before its held-back half, so that every
// role, the whole test cutoff and the refit set are each one range of rows.
const (
	roleTrain = "train" // older cutoffs: fit the candidates
	roleGap   = "gap"   // label window overlaps the test horizon: refit only
	roleValid = "valid" // early stopping, model choice
	roleCalib = "calib" // calibration of the selected model
	roleFit   = "test"  // latest complete cutoff, refit half
	roleHeld  = "held"  // latest complete cutoff, held back to calibrate the refit
)

var roleOrder = []string{roleTrain, roleGap, roleValid, roleCalib, roleFit, roleHeld}

// timeSplit is every labelled row of the training cutoffs in one matrix,
// ordered by role, with the range of rows of each role. The matrix shares
// the frame's memory: splitByTime reorders the frame's rows in place.
type timeSplit struct {
	all   *model.Matrix
	y     []float64
	rows  []int // frame row of each matrix row
	start map[string]int
	end   map[string]int
}

// rng returns the rows from the first of roles to the last, which must be
// adjacent in roleOrder, as one matrix sharing memory with s.all.
func (s *timeSplit) rng(first, last string) *splitSet {
	lo, hi := s.start[first], s.end[last]
	c := len(s.all.Cols)
	return &splitSet{
		Rows: s.rows[lo:hi],
		M:    &model.Matrix{Cols: s.all.Cols, Rows: hi - lo, X: s.all.X[lo*c : hi*c : hi*c]},
		Y:    s.y[lo:hi:hi],
	}
}

func (s *timeSplit) set(role string) *splitSet { return s.rng(role, role) }

// splitByTime assigns labelled rows to roles by cutoff. The latest cutoff
// is the test set. No training or validation row may have a label window
// that reaches into the test horizon (window = horizon plus gap), so the
// cutoffs whose window would are set aside (role gap); the latest cutoff
// left is split by customer into validation (early stopping, model
// choice) and calibration halves, and all older cutoffs train. The test
// cutoff is split by customer too: one half joins the refit, the other is
// held back to calibrate it; the holdout is the whole cutoff.
func splitByTime(f *features.Frame, cutoffs []int64, window time.Duration, seed uint64) (*timeSplit, []CutoffSummary, error) {
	last := cutoffs[len(cutoffs)-1]
	var valid int64
	found, gaps := false, 0
	for _, c := range cutoffs[:len(cutoffs)-1] {
		if c+window.Nanoseconds() <= last {
			valid, found = c, true
		} else {
			gaps++
		}
	}
	if !found || valid == cutoffs[0] {
		return nil, nil, fmt.Errorf("%w: %d cutoffs: the label windows of the %d before the test cutoff %s reach into its horizon, which leaves no cutoffs to train and validate on: want at least %d",
			ErrInvalidInput, len(cutoffs), gaps, day(last), gaps+3)
	}
	per := map[int64]*CutoffSummary{}
	role := map[int64]string{}
	for _, c := range cutoffs {
		r := roleTrain
		switch {
		case c == last:
			r = "test"
		case c == valid:
			r = "valid+calib"
		case c > valid:
			r = roleGap
		}
		per[c] = &CutoffSummary{Cutoff: day(c), Role: r}
		role[c] = r
	}
	idx := map[string][]int{}
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
		switch r := role[c]; r {
		case "test":
			if half(f.CustomerID[i], seed) {
				idx[roleFit] = append(idx[roleFit], i)
			} else {
				idx[roleHeld] = append(idx[roleHeld], i)
			}
		case "valid+calib":
			if half(f.CustomerID[i], seed) {
				idx[roleValid] = append(idx[roleValid], i)
			} else {
				idx[roleCalib] = append(idx[roleCalib], i)
			}
		default:
			idx[r] = append(idx[r], i)
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
	var errs []error
	for _, r := range []string{roleTrain, roleValid, roleCalib, roleFit, roleHeld} {
		if len(idx[r]) == 0 {
			name := r
			if r == roleFit || r == roleHeld {
				name = "test"
			}
			errs = append(errs, fmt.Errorf("%w: no labelled rows for the %s set: the data may not span enough cutoffs with complete horizons", ErrInvalidInput, name))
		}
	}
	if len(errs) > 0 {
		return nil, sums, errors.Join(errs...)
	}
	var order []int
	sp := &timeSplit{start: map[string]int{}, end: map[string]int{}}
	for _, r := range roleOrder {
		sp.start[r] = len(order)
		order = append(order, idx[r]...)
		sp.end[r] = len(order)
	}
	cols := len(f.Names)
	sp.y = make([]float64, len(order))
	for k, i := range order {
		sp.y[k] = f.Label[i]
	}
	sp.rows = order
	moveRowsToFront(f.X, cols, order)
	sp.all = &model.Matrix{Cols: f.Names, Rows: len(order), X: f.X[: len(order)*cols : len(order)*cols]}
	return sp, sums, nil
}

// moveRowsToFront permutes the rows of x (cols values each) in place so
// that row k holds what row order[k] held; the rows order leaves out end up
// after them in no promised order. It follows the permutation's cycles with
// two rows of scratch, so the training matrix needs no second copy of the
// frame.
func moveRowsToFront(x []float64, cols int, order []int) {
	rows := len(x) / cols
	pos := make([]int, rows)
	for i := range pos {
		pos[i] = -1
	}
	for k, i := range order {
		pos[i] = k
	}
	next := len(order)
	for i := range pos {
		if pos[i] < 0 {
			pos[i], next = next, next+1
		}
	}
	done := make([]bool, rows)
	cur, nxt := make([]float64, cols), make([]float64, cols)
	for s := range rows {
		if done[s] || pos[s] == s {
			done[s] = true
			continue
		}
		copy(cur, x[s*cols:(s+1)*cols])
		for j := s; !done[j]; {
			done[j] = true
			t := pos[j]
			copy(nxt, x[t*cols:(t+1)*cols])
			copy(x[t*cols:(t+1)*cols], cur)
			cur, nxt = nxt, cur
			j = t
		}
	}
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

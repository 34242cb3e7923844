package jobs

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"

	"churn/data"
	"churn/features"
	"churn/model"
)

// manifestName is the manifest file inside a run folder.
const manifestName = "manifest.json"

// partName is the one part file a run writes. Scores are one row per
// customer, so one file holds even a few million customers comfortably.
const partName = "part-00000.parquet"

// mainFeatures is how many of the model's most important features the
// output carries beside the scores, for lists and for people.
const mainFeatures = 12

// Manifest describes one run folder. Every field is a pure function of the
// inputs, config, model and code, except StartedAt, FinishedAt and Timings,
// which are the run's own timestamps and durations.
type Manifest struct {
	Command     string                  `json:"command"`
	CodeVersion string                  `json:"code_version"`
	AsOf        string                  `json:"as_of"`
	Cutoff      string                  `json:"cutoff"`
	Data        string                  `json:"data"`
	Sample      bool                    `json:"sample_data"`
	Inputs      []InputFile             `json:"inputs"`
	RowsRead    map[data.Table]int64    `json:"rows_read"`
	RowsSkipped map[string]int64        `json:"rows_skipped"`
	ValuesFixed map[string]int64        `json:"values_fixed"`
	Families    []features.FamilyStatus `json:"feature_families"`
	// Catalog is what the event mix ranks, the automated event names left
	// out of engagement, and the attributes, as the model was trained.
	Catalog      *features.Catalog `json:"feature_catalog,omitempty"`
	ModelVersion string            `json:"model_version"`
	Algo         string            `json:"algo"`
	Customers    int               `json:"customers_scored"`
	Segments     []SegmentSummary  `json:"segments"`
	SegmentNames map[string]string `json:"segment_names"`
	Thresholds   RiskThresholds    `json:"risk_thresholds"`
	Passthrough  []string          `json:"passthrough,omitempty"`
	Value        ValueFit          `json:"value_models"`
	Drift        Drift             `json:"drift"`
	Evaluations  []Evaluation      `json:"earlier_runs_evaluated,omitempty"`
	Config       map[string]any    `json:"config"`
	Parts        []string          `json:"parts"`
	StartedAt    string            `json:"started_at"`
	FinishedAt   string            `json:"finished_at"`
	Timings      map[string]int64  `json:"timings_ms"`
}

// Drift is the population stability index of every feature and of the
// score against the model's training distributions.
type Drift struct {
	Threshold float64            `json:"threshold"`
	PSI       map[string]float64 `json:"psi"`
	Score     float64            `json:"score_psi"`
	Max       float64            `json:"max_feature_psi"`
	MaxName   string             `json:"max_feature"`
	Drifted   []string           `json:"drifted,omitempty"`
}

// Evaluation is how an earlier run's scores did once its horizon passed.
type Evaluation struct {
	AsOf      string  `json:"as_of"`
	Customers int     `json:"customers"`
	ROCAUC    float64 `json:"roc_auc"`
	Lift10    float64 `json:"lift_top_decile"`
	Brier     float64 `json:"brier"`
	ECE       float64 `json:"ece"`
}

// measureDrift compares the customers a model can score (not already
// churned: the population it was trained on) with the training profile.
func measureDrift(f *features.Frame, prob []float64, meta model.Meta, threshold float64) Drift {
	d := Drift{Threshold: threshold, PSI: map[string]float64{}}
	var rows []int
	for i, s := range f.Status {
		if s != features.Churned {
			rows = append(rows, i)
		}
	}
	col := make([]float64, len(rows))
	for j, name := range f.Names {
		dist, ok := meta.Profile[name]
		if !ok {
			continue
		}
		for k, i := range rows {
			col[k] = f.X[i*len(f.Names)+j]
		}
		psi := round4(dist.PSI(col))
		d.PSI[name] = psi
		if psi > d.Max || d.MaxName == "" {
			d.Max, d.MaxName = psi, name
		}
		if psi > threshold {
			d.Drifted = append(d.Drifted, name)
		}
	}
	if len(meta.ScoreProfile.Edges) > 0 {
		for k, i := range rows {
			col[k] = prob[i]
		}
		d.Score = round4(meta.ScoreProfile.PSI(col))
	}
	sort.Strings(d.Drifted)
	return d
}

func round4(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return -1
	}
	return math.Round(v*1e4) / 1e4
}

// outputColumns lays out the scored rows in the contract's column names,
// then the model's main features. as_of is not among them: it is the run
// folder's Hive key (as_of=YYYY-MM-DD), and, as with Spark's partitionBy
// and pyarrow's write_dataset, a partition column lives in the path only,
// so that readers that merge the two never see it twice, typed twice.
func outputColumns(f *features.Frame, sc *scored, version string, clf *model.Trained) []data.OutColumn {
	n := f.Rows()
	versions := make([]string, n)
	status := make([]string, n)
	for i := range n {
		versions[i] = version
		status[i] = string(f.Status[i])
	}
	cols := []data.OutColumn{
		{Name: "customer_id", Kind: data.String, Strings: f.CustomerID},
		{Name: "churn_probability", Kind: data.Float, Floats: sc.Prob},
		{Name: "churn_risk", Kind: data.String, Strings: sc.Risk},
		{Name: "predicted_value", Kind: data.Float, Floats: sc.Value},
		{Name: "predicted_value_low", Kind: data.Float, Floats: sc.ValueLow},
		{Name: "predicted_value_high", Kind: data.Float, Floats: sc.ValueHigh},
		{Name: "value_tier", Kind: data.String, Strings: sc.Tier},
		{Name: "value_at_risk", Kind: data.Float, Floats: sc.ValueAtRisk},
		{Name: "p_alive", Kind: data.Float, Floats: sc.PAlive},
		{Name: "engagement_score", Kind: data.Float, Floats: sc.Engagement},
		{Name: "segment", Kind: data.String, Strings: sc.Segment},
		{Name: "reasons", Kind: data.String, Strings: sc.Reasons},
		{Name: "reason_codes", Kind: data.String, Strings: sc.ReasonCodes},
		{Name: "model_version", Kind: data.String, Strings: versions},
		{Name: "status", Kind: data.String, Strings: status},
		{Name: "plan", Kind: data.String, Strings: f.Plan},
		{Name: "region", Kind: data.String, Strings: f.Region},
	}
	taken := map[string]bool{}
	for _, c := range cols {
		taken[c.Name] = true
	}
	for _, name := range topFeatures(clf, mainFeatures) {
		j := f.Col(name)
		if j < 0 || taken[name] {
			continue
		}
		taken[name] = true
		v := make([]float64, n)
		for i := range n {
			v[i] = f.X[i*len(f.Names)+j]
		}
		cols = append(cols, data.OutColumn{Name: name, Kind: data.Float, Floats: v})
	}
	return cols
}

// topFeatures lists the k features of largest importance, ties by name.
func topFeatures(clf *model.Trained, k int) []string {
	imp := clf.Importance()
	names := make([]string, 0, len(imp))
	for name := range imp {
		names = append(names, name)
	}
	sort.Slice(names, func(a, b int) bool {
		if imp[names[a]] != imp[names[b]] {
			return imp[names[a]] > imp[names[b]]
		}
		return names[a] < names[b]
	})
	return names[:min(k, len(names))]
}

// writeRun writes the part file and the manifest into a temporary folder
// beside OUT/name and makes it appear whole, replacing an earlier run of the
// same name atomically. finish is called just before the manifest is
// written, to stamp the run's timings. On any error the temporary folder is
// removed and OUT/name is left as it was.
func writeRun(out, name string, cols []data.OutColumn, man *Manifest, finish func()) (parts []string, err error) {
	pending, err := data.CreatePending(out, name)
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", name, err)
	}
	defer func() {
		if err != nil {
			pending.Abort()
		}
	}()
	if err := data.WriteParquet(filepath.Join(pending.Dir(), partName), cols, data.WriteOptions{}); err != nil {
		return nil, fmt.Errorf("write %s: %w", partName, err)
	}
	man.Parts = []string{partName}
	finish()
	b, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	if err := os.WriteFile(filepath.Join(pending.Dir(), manifestName), append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("write manifest: %w", err)
	}
	if err := pending.Commit(); err != nil {
		return nil, fmt.Errorf("commit %s: %w", name, err)
	}
	return man.Parts, nil
}

// configRecord is the config as the manifest and the registry record it.
func configRecord(cfg *Config) map[string]any {
	windows := make([]string, len(cfg.Features.Windows))
	for i, w := range cfg.Features.Windows {
		windows[i] = w.String()
	}
	return map[string]any{
		"seed":            cfg.Seed,
		"features":        cfg.Features,
		"windows":         windows,
		"horizon":         cfg.Features.Horizon.String(),
		"train":           cfg.Train,
		"segments":        cfg.Segments,
		"value":           cfg.Value,
		"bad_rows":        cfg.BadRows,
		"reasons":         cfg.Reasons,
		"drift_threshold": cfg.DriftThreshold,
		"columns":         cfg.Mapping,
	}
}

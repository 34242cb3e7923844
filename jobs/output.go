package jobs

import (
	"sort"

	"churn/data"
	"churn/data/runs"
	"churn/features"
	"churn/model"
)

// mainFeatures is how many of the model's most important features the
// output carries beside the scores, for lists and for people.
const mainFeatures = 12

// outputColumns lays out the scored rows as runs.Columns, then the
// model's main features.
func outputColumns(f *features.Frame, sc *scored, version string, clf *model.Trained) []data.OutColumn {
	n := f.Rows()
	versions := make([]string, n)
	status := make([]string, n)
	for i := range n {
		versions[i] = version
		status[i] = string(f.Status[i])
	}
	cols := []data.OutColumn{
		runs.CustomerID.Strings(f.CustomerID),
		runs.ChurnProbability.Floats(sc.Prob),
		runs.ChurnRisk.Strings(sc.Risk),
		runs.PredictedValue.Floats(sc.Value),
		runs.PredictedValueLow.Floats(sc.ValueLow),
		runs.PredictedValueHigh.Floats(sc.ValueHigh),
		runs.ValueTier.Strings(sc.Tier),
		runs.ValueAtRisk.Floats(sc.ValueAtRisk),
		runs.PAlive.Floats(sc.PAlive),
		runs.EngagementScore.Floats(sc.Engagement),
		runs.SegmentColumn.Strings(sc.Segment),
		runs.Reasons.Strings(sc.Reasons),
		runs.ReasonCodes.Strings(sc.ReasonCodes),
		runs.ModelVersion.Strings(versions),
		runs.Status.Strings(status),
		runs.Plan.Strings(f.Plan),
		runs.Region.Strings(f.Region),
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

package record

import (
	"churn/data/runs"
	"churn/features"
	"churn/model"
	"math"
	"sort"
)

// Drift compares the customers a model can score (not already
// churned: the population it was trained on) with the training profile.
func Drift(f *features.Frame, prob []float64, meta model.Meta, threshold float64) runs.Drift {
	d := runs.Drift{Threshold: threshold, PSI: map[string]float64{}}
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

// round4 rounds a PSI to four decimals for the manifest and the registry;
// a PSI that is not a number is recorded as -1.
func round4(v float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return -1
	}
	return math.Round(v*1e4) / 1e4
}

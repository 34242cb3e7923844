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
// It is DriftOf the DriftCounts of every customer.
func Drift(f *features.Frame, prob []float64, meta model.Meta, threshold float64) runs.Drift {
	return DriftOf(DriftCounts(f, prob, meta), meta, threshold)
}

// DriftBins are the bin counts, against the model's training profile, of
// the customers not churned: per profiled feature, and of the score. They
// add up over any split of the customers (Merge), and DriftOf reads the
// same figures from the merged counts as from one pass over everyone.
type DriftBins struct {
	// Names are the profiled features in the frame's column order, which
	// breaks a tie for the largest PSI as one pass over the frame does.
	Names    []string
	Features map[string]model.Counts
	Score    model.Counts
}

// Merge adds o's customers.
func (b *DriftBins) Merge(o *DriftBins) {
	if b.Features == nil {
		b.Features = map[string]model.Counts{}
	}
	if b.Names == nil {
		b.Names = o.Names
	}
	for name, c := range o.Features {
		m := b.Features[name]
		m.Merge(c)
		b.Features[name] = m
	}
	b.Score.Merge(o.Score)
}

// DriftCounts counts the rows of f not churned, and their probabilities
// prob, into the bins of meta's profiles.
func DriftCounts(f *features.Frame, prob []float64, meta model.Meta) *DriftBins {
	b := &DriftBins{Features: map[string]model.Counts{}}
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
		b.Names = append(b.Names, name)
		b.Features[name] = dist.Count(col)
	}
	if len(meta.ScoreProfile.Edges) > 0 {
		for k, i := range rows {
			col[k] = prob[i]
		}
		b.Score = meta.ScoreProfile.Count(col)
	}
	return b
}

// DriftOf returns the drift figures of the counted customers: each
// feature's PSI against its training distribution, the score's, the
// largest, and the features past threshold.
func DriftOf(b *DriftBins, meta model.Meta, threshold float64) runs.Drift {
	d := runs.Drift{Threshold: threshold, PSI: map[string]float64{}}
	for _, name := range b.Names {
		psi := round4(meta.Profile[name].PSICounts(b.Features[name]))
		d.PSI[name] = psi
		if psi > d.Max || d.MaxName == "" {
			d.Max, d.MaxName = psi, name
		}
		if psi > threshold {
			d.Drifted = append(d.Drifted, name)
		}
	}
	if len(meta.ScoreProfile.Edges) > 0 {
		d.Score = round4(meta.ScoreProfile.PSICounts(b.Score))
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

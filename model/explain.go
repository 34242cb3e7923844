package model

import (
	"fmt"
	"sort"
)

// Contribution is one feature's effect on a score: Value is the feature's
// value in the row, Effect its contribution in margin (log-odds) space;
// positive pushed the risk up.
type Contribution struct {
	Feature string  `json:"feature"`
	Value   float64 `json:"value"`
	Effect  float64 `json:"effect"`
}

// TopContributions returns the k contributions of row with the largest
// effect, sorted by effect descending and then by feature name. k <= 0 or
// beyond the feature count returns them all.
func TopContributions(c Classifier, row []float64, k int) ([]Contribution, error) {
	feats := c.Features()
	if len(row) != len(feats) {
		return nil, fmt.Errorf("row of %d values for %d features: %w", len(row), len(feats), ErrLengthMismatch)
	}
	eff := make([]float64, len(feats))
	if err := c.Contributions(eff, row); err != nil {
		return nil, err
	}
	return TopEffects(feats, row, eff, k), nil
}

// TopEffects returns the k features of row with the largest effects (as
// Contributions or ContributionsRows write them), sorted by effect
// descending and then by feature name; k <= 0 or beyond the feature count
// returns them all. features, row and effects have equal lengths.
func TopEffects(features []string, row, effects []float64, k int) []Contribution {
	out := make([]Contribution, len(features))
	for j, f := range features {
		out[j] = Contribution{Feature: f, Value: row[j], Effect: effects[j]}
	}
	sort.Slice(out, func(a, b int) bool {
		if out[a].Effect != out[b].Effect {
			return out[a].Effect > out[b].Effect
		}
		return out[a].Feature < out[b].Feature
	})
	if k > 0 && k < len(out) {
		out = out[:k]
	}
	return out
}

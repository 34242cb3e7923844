package segment

import (
	"math"
	"strings"

	"churn/data/runs"
	"churn/features"
)

// Valued is every customer's value with its interval, and P(alive) where
// the BG/NBD applies.
type Valued struct {
	Value, Low, High, PAlive []float64
}

// Assemble derives tiers, value at risk and segments from probabilities and
// values.
func Assemble(cfg Options, f *features.Frame, prob []float64, val Valued, reasons []string) *Scored {
	n := f.Rows()
	value := val.Value
	sc := &Scored{
		Prob: prob, Value: value, ValueLow: val.Low, ValueHigh: val.High, PAlive: val.PAlive, Reasons: reasons,
		Risk: make([]string, n), ValueAtRisk: make([]float64, n), Segment: make([]string, n),
		Engagement: make([]float64, n),
	}
	sc.Tier = ValueTiers(value, cfg)
	sc.Thresholds = RiskThresholds(cfg, prob, f.Status)
	eng := engagementCol(f)
	for i := range n {
		sc.Risk[i] = sc.Thresholds.Tier(prob[i])
		sc.ValueAtRisk[i] = prob[i] * value[i]
		sc.Segment[i] = Of(cfg, f.Status[i], sc.Risk[i], sc.Tier[i])
		sc.Engagement[i] = math.NaN()
		if eng >= 0 {
			sc.Engagement[i] = f.X[i*len(f.Names)+eng]
		}
	}
	return sc
}

// Count is the customers and value at risk of every segment, in the
// order of runs.Segments, by display name.
func Count(cfg Options, sc *Scored) []runs.Segment {
	idx := map[string]int{}
	var out []runs.Segment
	for _, s := range runs.Segments {
		idx[cfg.Name(s)] = len(out)
		out = append(out, runs.Segment{Segment: cfg.Name(s)})
	}
	for i, s := range sc.Segment {
		k := idx[s]
		out[k].Customers++
		out[k].ValueAtRisk += sc.ValueAtRisk[i]
	}
	for i := range out {
		out[i].ValueAtRisk = math.Round(out[i].ValueAtRisk*100) / 100
	}
	return out
}

// engagementCol is the frame's column of the engagement score over the
// middle window (engagement_score_30d by default), or -1.
func engagementCol(f *features.Frame) int {
	for j, name := range f.Names {
		if strings.HasPrefix(name, "engagement_score_") {
			return j
		}
	}
	return -1
}

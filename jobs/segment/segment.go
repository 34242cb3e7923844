package segment

import (
	"math"
	"sort"

	"churn/data/runs"
	"churn/features"
)

// Options holds the thresholds and names of the output segments.
type Options struct {
	// HighRisk and MediumRisk are absolute churn probabilities: at or
	// above HighRisk a customer is high risk, at or above MediumRisk
	// medium, else low. Zero (the default) means relative to the base
	// rate: HighRiskLift and MediumRiskLift times the mean churn
	// probability of the customers not churned, at most 1. Each tier is
	// set on its own; the medium threshold never exceeds the high one.
	HighRisk, MediumRisk float64
	// HighRiskLift and MediumRiskLift are the relative thresholds, as
	// multiples of the base rate. Defaults 3 and 2.
	HighRiskLift, MediumRiskLift float64
	// HighValueQuantile and MediumValueQuantile split predicted value into
	// tiers by quantile among scored customers. Defaults 0.8 and 0.5.
	HighValueQuantile, MediumValueQuantile float64
	// Names of the six segments, keyed by their ids (runs.Segments).
	Names map[string]string
}

// Name is the display name of the segment id: its configured name, or the
// id.
func (o Options) Name(id string) string { return runs.Names(o.Names).Of(id) }

// Scored is one scoring pass over a frame: a row per customer of the frame.
type Scored struct {
	Prob        []float64
	Risk        []string
	Value       []float64
	ValueLow    []float64
	ValueHigh   []float64
	PAlive      []float64
	Tier        []string
	ValueAtRisk []float64
	Segment     []string
	Reasons     []string
	ReasonCodes []string
	Engagement  []float64
	Thresholds  runs.RiskThresholds
}

// RiskThresholds resolves the configured thresholds against the scored
// population. A relative threshold is the lift times the base rate, at
// most 1; with no base rate (nobody scored, or every probability 0) it is
// 1, so that nobody is called at risk on no evidence.
func RiskThresholds(s Options, prob []float64, status []features.Status) runs.RiskThresholds {
	var sum float64
	n := 0
	for i, p := range prob {
		if status[i] != features.Churned && !math.IsNaN(p) {
			sum += p
			n++
		}
	}
	t := runs.RiskThresholds{High: s.HighRisk, Medium: s.MediumRisk}
	if n > 0 {
		t.BaseRate = sum / float64(n)
	}
	rel := func(lift float64) float64 {
		if t.BaseRate <= 0 {
			return 1
		}
		return min(lift*t.BaseRate, 1)
	}
	if t.High == 0 {
		t.High, t.HighRelative = rel(s.HighRiskLift), true
	}
	if t.Medium == 0 {
		t.Medium, t.MediumRelative = rel(s.MediumRiskLift), true
	}
	t.Medium = min(t.Medium, t.High)
	return t
}

// ValueTiers splits values into high, medium and low by quantiles among the
// customers who have a value (a positive one), whatever their status: the
// churned status of a quiet customer without a contract is a label, not a
// value of 0. Customers without a value are low.
func ValueTiers(value []float64, s Options) []string {
	var have []float64
	for _, v := range value {
		if v > 0 {
			have = append(have, v)
		}
	}
	sort.Float64s(have)
	hi, med := quantile(have, s.HighValueQuantile), quantile(have, s.MediumValueQuantile)
	tiers := make([]string, len(value))
	for i, v := range value {
		switch {
		case !(v > 0):
			tiers[i] = runs.Low
		case v >= hi:
			tiers[i] = runs.High
		case v >= med:
			tiers[i] = runs.Medium
		default:
			tiers[i] = runs.Low
		}
	}
	return tiers
}

// quantile of sorted values, by linear interpolation; 0 when empty.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	pos := q * float64(len(sorted)-1)
	lo := int(math.Floor(pos))
	hi := min(lo+1, len(sorted)-1)
	return sorted[lo] + (pos-float64(lo))*(sorted[hi]-sorted[lo])
}

// Of places a customer in one of the six segments of SPEC.md.
func Of(cfg Options, status features.Status, risk, tier string) string {
	switch {
	case status == features.Churned:
		return cfg.Name(runs.Churned)
	case status == features.New:
		return cfg.Name(runs.New)
	case risk == runs.High && tier == runs.High:
		return cfg.Name(runs.AtRiskHighValue)
	case risk == runs.High:
		return cfg.Name(runs.AtRisk)
	case tier == runs.High:
		return cfg.Name(runs.HighValue)
	}
	return cfg.Name(runs.Healthy)
}

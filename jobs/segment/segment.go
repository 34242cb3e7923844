package segment

import (
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
// population (Population.Thresholds over every customer): a relative
// threshold is the lift times the base rate, the exactly summed mean
// probability of the customers not churned, at most 1; with no base rate
// (nobody scored, or every probability 0) it is 1, so that nobody is
// called at risk on no evidence.
func RiskThresholds(s Options, prob []float64, status []features.Status) runs.RiskThresholds {
	var p Population
	p.Add(prob, status, nil)
	return p.Thresholds(s)
}

// ValueTiers splits values into high, medium and low by quantiles among the
// customers who have a value (a positive one), whatever their status: the
// churned status of a quiet customer without a contract is a label, not a
// value of 0. Customers without a value are low. The cut points are those
// of Population.Cuts over every customer.
func ValueTiers(value []float64, s Options) []string {
	var p Population
	p.Add(nil, nil, value)
	c := CutValues{}
	c.Add(value, p.Wanted(s))
	hi, med, err := p.Cuts(s, c)
	if err != nil {
		// Every value was counted: the summaries of one slice agree.
		panic(err)
	}
	return TiersAt(value, hi, med)
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

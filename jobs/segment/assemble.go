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
// values, with the risk thresholds and value tiers of f's customers
// (RiskThresholds, ValueTiers): AssembleAt with the cut points of the
// whole population.
func Assemble(cfg Options, f *features.Frame, prob []float64, val Valued, reasons []string) *Scored {
	var p Population
	p.Add(prob, f.Status, val.Value)
	c := CutValues{}
	c.Add(val.Value, p.Wanted(cfg))
	hi, med, err := p.Cuts(cfg, c)
	if err != nil {
		// Every value was counted: the summaries of one slice agree.
		panic(err)
	}
	return AssembleAt(cfg, f, prob, val, reasons, p.Thresholds(cfg), hi, med)
}

// AssembleAt derives tiers, value at risk and segments of f's customers,
// a range of the population, with the population's risk thresholds th
// and value cut points hi and med (Population.Thresholds, Cuts).
func AssembleAt(cfg Options, f *features.Frame, prob []float64, val Valued, reasons []string, th runs.RiskThresholds, hi, med float64) *Scored {
	n := f.Rows()
	value := val.Value
	sc := &Scored{
		Prob: prob, Value: value, ValueLow: val.Low, ValueHigh: val.High, PAlive: val.PAlive, Reasons: reasons,
		Risk: make([]string, n), ValueAtRisk: make([]float64, n), Segment: make([]string, n),
		Engagement: make([]float64, n),
	}
	sc.Tier = TiersAt(value, hi, med)
	sc.Thresholds = th
	eng := EngagementCol(f)
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
// order of runs.Segments, by display name: the Counts of sc's customers.
func Count(cfg Options, sc *Scored) []runs.Segment {
	return CountsOf(cfg, sc).Segments(cfg)
}

// Counts are the customers and the exactly summed value at risk of each
// segment (in the order of runs.Segments): they add up over any split of
// the customers (Merge) to the figures of one pass over everyone.
type Counts struct {
	Customers   []int
	ValueAtRisk []ExactSum
}

// CountsOf counts sc's customers by segment.
func CountsOf(cfg Options, sc *Scored) Counts {
	idx := map[string]int{}
	c := Counts{Customers: make([]int, len(runs.Segments)), ValueAtRisk: make([]ExactSum, len(runs.Segments))}
	for k, s := range runs.Segments {
		idx[cfg.Name(s)] = k
	}
	for i, s := range sc.Segment {
		k := idx[s]
		c.Customers[k]++
		if v := sc.ValueAtRisk[i]; !math.IsNaN(v) && !math.IsInf(v, 0) {
			c.ValueAtRisk[k].Add(v)
		}
	}
	return c
}

// Merge adds o's customers.
func (c *Counts) Merge(o Counts) {
	for len(c.Customers) < len(o.Customers) {
		c.Customers = append(c.Customers, 0)
		c.ValueAtRisk = append(c.ValueAtRisk, ExactSum{})
	}
	for k := range o.Customers {
		c.Customers[k] += o.Customers[k]
		c.ValueAtRisk[k].Merge(&o.ValueAtRisk[k])
	}
}

// Segments returns the counts by display name, each value at risk
// rounded to the cent.
func (c Counts) Segments(cfg Options) []runs.Segment {
	out := make([]runs.Segment, len(runs.Segments))
	for k, s := range runs.Segments {
		out[k].Segment = cfg.Name(s)
		if k < len(c.Customers) {
			out[k].Customers = c.Customers[k]
			out[k].ValueAtRisk = math.Round(c.ValueAtRisk[k].Value()*100) / 100
		}
	}
	return out
}

// EngagementCol is the frame's column of the engagement score over the
// middle window (engagement_score_30d by default), or -1.
func EngagementCol(f *features.Frame) int {
	for j, name := range f.Names {
		if strings.HasPrefix(name, "engagement_score_") {
			return j
		}
	}
	return -1
}

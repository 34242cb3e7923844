package jobs

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"churn/data/runs"
	"churn/features"
	"churn/model"
)

// scored is one scoring pass over a frame: a row per customer of the frame.
type scored struct {
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

// matrixOf views a frame as the model's matrix, without copying.
func matrixOf(f *features.Frame) *model.Matrix {
	return &model.Matrix{Cols: f.Names, Rows: f.Rows(), X: f.X}
}

// predict scores every row of the frame with the classifier. Probabilities
// are clamped into [0, 1]; a NaN would be a defect of the model, and is
// reported as an error rather than written.
func predict(c model.Classifier, f *features.Frame) ([]float64, error) {
	p := make([]float64, f.Rows())
	if err := c.PredictProba(p, matrixOf(f)); err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	for i, v := range p {
		if math.IsNaN(v) {
			return nil, fmt.Errorf("score: model %s gave NaN for customer %s", c.Algo(), f.CustomerID[i])
		}
	}
	return p, nil
}

// riskThresholds resolves the configured thresholds against the scored
// population. A relative threshold is the lift times the base rate, at
// most 1; with no base rate (nobody scored, or every probability 0) it is
// 1, so that nobody is called at risk on no evidence.
func riskThresholds(s SegmentOptions, prob []float64, status []features.Status) runs.RiskThresholds {
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

// valueTiers splits values into high, medium and low by quantiles among the
// customers who have a value (a positive one), whatever their status: the
// churned status of a quiet customer without a contract is a label, not a
// value of 0. Customers without a value are low.
func valueTiers(value []float64, s SegmentOptions) []string {
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

// segmentOf places a customer in one of the six segments of SPEC.md.
func segmentOf(cfg *Config, status features.Status, risk, tier string) string {
	switch {
	case status == features.Churned:
		return cfg.SegmentName(runs.Churned)
	case status == features.New:
		return cfg.SegmentName(runs.New)
	case risk == runs.High && tier == runs.High:
		return cfg.SegmentName(runs.AtRiskHighValue)
	case risk == runs.High:
		return cfg.SegmentName(runs.AtRisk)
	case tier == runs.High:
		return cfg.SegmentName(runs.HighValue)
	}
	return cfg.SegmentName(runs.Healthy)
}

// reasonsPerRow is how many reasons each customer gets at most.
const reasonsPerRow = 3

// explainBlock is how many rows one worker explains at a time: the
// contributions of a block are held at once, so it bounds that memory.
const explainBlock = 4096

// contributor explains many rows at once; *model.Trained is one.
type contributor interface {
	Features() []string
	ContributionsRows(dst []float64, x *model.Matrix) error
}

// explain writes, for every row, the reasons in plain words ("; "-joined)
// and their codes (";"-joined, in the same order): the behaviour families
// whose contributions raised the score, as features.Explainer reads them.
// Blocks of rows go to the workers; each row's text depends on that row
// and the frame's typical values alone, so the result does not depend on
// the number of workers.
func explain(ctx context.Context, c contributor, f *features.Frame, cfg *Config) (reasons, codes []string, err error) {
	ex, err := features.NewExplainer(f, features.ExplainConfig{
		Language:          features.Language(cfg.Reasons.Language),
		NegativeSentiment: cfg.Features.NegativeSentiment,
	})
	if err != nil {
		return nil, nil, err
	}
	reasons, codes = make([]string, f.Rows()), make([]string, f.Rows())
	cols := len(f.Names)
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(max(cfg.Workers, 1))
	for lo := 0; lo < f.Rows(); lo += explainBlock {
		hi := min(lo+explainBlock, f.Rows())
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			block := &model.Matrix{Cols: f.Names, Rows: hi - lo, X: f.X[lo*cols : hi*cols]}
			eff := make([]float64, block.Rows*cols)
			if err := c.ContributionsRows(eff, block); err != nil {
				return fmt.Errorf("explain customers %s to %s: %w", f.CustomerID[lo], f.CustomerID[hi-1], err)
			}
			for i := lo; i < hi; i++ {
				k := i - lo
				rs, raised := ex.Reasons(i, eff[k*cols:(k+1)*cols], reasonsPerRow)
				reasons[i], codes[i] = reasonText(rs, raised, features.Language(cfg.Reasons.Language))
			}
			return nil
		})
	}
	return reasons, codes, g.Wait()
}

// reasonText joins reasons into the output's two columns; with none, the
// text says so and the codes are empty.
func reasonText(rs []features.Reason, raised bool, lang features.Language) (text, codes string) {
	if len(rs) == 0 {
		return features.NoReason(lang, raised), ""
	}
	t, c := make([]string, len(rs)), make([]string, len(rs))
	for i, r := range rs {
		t[i], c[i] = r.Text, r.Code
	}
	return strings.Join(t, "; "), strings.Join(c, ";")
}

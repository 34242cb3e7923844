package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"

	"github.com/rs/zerolog"

	"churn/data"
	"churn/data/runs"
	"churn/features"
	"churn/jobs/output"
	"churn/jobs/record"
	"churn/jobs/segment"
	"churn/jobs/value"
)

// RunFrames builds the rows of customers [lo, hi) at every cutoff of the
// plan from b, which holds the merged accumulators of those customers: one
// frame per cutoff, as ScoreRange takes them. The last, at the run's
// cutoff, has every column; an earlier one (the earlier run's cutoff,
// which the run evaluates) only the customers and their labels, what the
// evaluation reads (record.Realised), so that a range holds one full
// frame at a time.
func (p *FeaturesPlan) RunFrames(b *features.Builder, lo, hi int) ([]*features.Frame, error) {
	out := make([]*features.Frame, len(p.Cutoffs))
	for k := range p.Cutoffs {
		f, err := b.BuildRange(p.Present, k, lo, hi)
		if err != nil {
			return nil, fmt.Errorf("build features: %w", err)
		}
		if k < len(p.Cutoffs)-1 {
			f = &features.Frame{CustomerID: f.CustomerID, Label: f.Label}
		}
		out[k] = f
	}
	return out, nil
}

// ValueInputs are one customer range's inputs of the value models.
type ValueInputs struct {
	Range int
	In    *value.Inputs
}

// ValueInputsOf returns the value models' inputs of f, the r-th range's
// rows at the run's cutoff.
func (p *FeaturesPlan) ValueInputsOf(r int, f *features.Frame) ValueInputs {
	return ValueInputs{Range: r, In: value.InputsOf(f, p.Config.Value)}
}

// FitValues fits the value models on every range's inputs (in any order;
// one per range): the fits Run makes over every customer, bit for bit, as
// the inputs are joined in customer order.
func (p *FeaturesPlan) FitValues(in []ValueInputs) (value.Fit, error) {
	in = append([]ValueInputs(nil), in...)
	sort.Slice(in, func(a, b int) bool { return in[a].Range < in[b].Range })
	all := &value.Inputs{}
	for k, v := range in {
		if v.Range != k || v.In == nil {
			return value.Fit{}, fmt.Errorf("value inputs: range %d at %d of %d", v.Range, k, len(in))
		}
		all.Merge(v.In)
	}
	return value.FitInputs(all, p.Config.Value, zerolog.Nop()), nil
}

// ScoredRange is one customer range of a distributed run scored, explained
// and valued: its rows at the run's cutoff, and its share of the
// population that the risk thresholds and value tiers read.
type ScoredRange struct {
	Range int
	// Frame holds the columns of the range's rows that its part file
	// takes (the customers, status, plan, region, the model's main
	// features and the engagement score), not every feature.
	Frame      *features.Frame
	Scores     *Scores
	Valued     segment.Valued
	Population segment.Population
}

// RangeStats is what one range adds to the run's drift and to the
// earlier run's evaluation: the drift's bin counts, and the earlier run's
// probability and the realised label of each of its customers that has
// both, in customer order (or why the earlier run's scores could not be
// read).
type RangeStats struct {
	Range      int
	Drift      *record.DriftBins
	EvalP      []float64
	EvalY      []float64
	EvalFailed string
}

// ScoreRange scores and explains the r-th range's rows at the run's
// cutoff (the last of frames, the range's frames at every cutoff of the
// plan: RunFrames) with the typical values peer, and values them with fit.
// With an earlier run to evaluate (the plan's first cutoff), it joins that
// run's scores, read once per Scorer, with the range's labels there (of
// frames[0], only the customers and labels are read).
func (s *Scorer) ScoreRange(ctx context.Context, r int, frames []*features.Frame, peer []float64, fit value.Fit) (*ScoredRange, *RangeStats, error) {
	if len(frames) != len(s.plan.Cutoffs) {
		return nil, nil, fmt.Errorf("range %d: frames of %d cutoffs, the plan has %d", r, len(frames), len(s.plan.Cutoffs))
	}
	f := frames[len(frames)-1]
	sc, err := s.Score(ctx, f, peer)
	if err != nil {
		return nil, nil, fmt.Errorf("score range %d: %w", r, err)
	}
	sr := &ScoredRange{Range: r, Scores: sc, Valued: value.Values(f, fit, s.cfg.Value)}
	sr.Population.Add(sc.Prob, f.Status, sr.Valued.Value)
	st := &RangeStats{Range: r, Drift: record.DriftCounts(f, sc.Prob, s.meta)}
	sr.Frame = s.partFrame(f)
	if s.plan.Earlier != "" {
		s.earlierOnce.Do(func() { s.earlier, s.earlierErr = record.EarlierScores(s.plan.Out, s.plan.Earlier) })
		if s.earlierErr != nil {
			st.EvalFailed = s.earlierErr.Error()
		} else {
			st.EvalP, st.EvalY = record.Realised(s.earlier, frames[0])
		}
	}
	return sr, st, nil
}

// partFrame returns the columns of f that WriteRange reads: the
// customers, their status, plan and region, and of the features the
// model's main ones and the engagement score, in f's column order. A
// scored range carries it to the step that writes the part, rather than
// every feature of every customer.
func (s *Scorer) partFrame(f *features.Frame) *features.Frame {
	keep := map[string]bool{}
	for _, name := range topFeatures(s.clf, mainFeatures) {
		keep[name] = true
	}
	if j := segment.EngagementCol(f); j >= 0 {
		keep[f.Names[j]] = true
	}
	var cols []int
	out := &features.Frame{CustomerID: f.CustomerID, Status: f.Status, Plan: f.Plan, Region: f.Region,
		Families: f.Families, Catalog: f.Catalog}
	for j, name := range f.Names {
		if keep[name] {
			cols = append(cols, j)
			out.Names = append(out.Names, name)
		}
	}
	out.X = make([]float64, 0, f.Rows()*len(cols))
	for i := range f.Rows() {
		for _, j := range cols {
			out.X = append(out.X, f.X[i*len(f.Names)+j])
		}
	}
	return out
}

// MergePopulations merges every range's ScoredRange.Population.
func MergePopulations(pops []segment.Population) segment.Population {
	var all segment.Population
	for i := range pops {
		all.Merge(&pops[i])
	}
	return all
}

// CutValuesOf counts the values of sr that the value tiers' cut points
// read, given the whole population pop.
func (p *FeaturesPlan) CutValuesOf(sr *ScoredRange, pop *segment.Population) segment.CutValues {
	c := segment.CutValues{}
	c.Add(sr.Valued.Value, pop.Wanted(p.Config.Segments))
	return c
}

// RangeWritten is one range's part file and what it adds to the run's
// figures.
type RangeWritten struct {
	Range    int
	Part     string // the part file's name in the run folder
	Rows     int
	Counts   segment.Counts
	Top      []TopCustomer // the range's topByValueAtRisk
	Families json.RawMessage
	Catalog  json.RawMessage
}

// WriteRange segments sr with the population's risk thresholds and value
// cut points (pop, and cuts: CutValuesOf of every range, in any order)
// and writes its rows, as Run writes every customer's, to its part file
// runs.PartName(sr.Range) in the plan's pending run folder, whole or not
// at all.
func (s *Scorer) WriteRange(sr *ScoredRange, pop *segment.Population, cuts []segment.CutValues) (*RangeWritten, error) {
	opt := s.cfg.Segments
	all := segment.CutValues{}
	for _, c := range cuts {
		all.Merge(c)
	}
	hi, med, err := pop.Cuts(opt, all)
	if err != nil {
		return nil, fmt.Errorf("range %d: %w", sr.Range, err)
	}
	f := sr.Frame
	sc := segment.AssembleAt(opt, f, sr.Scores.Prob, sr.Valued, sr.Scores.Reasons, pop.Thresholds(opt), hi, med)
	sc.ReasonCodes = sr.Scores.Codes
	ds := &data.Dataset{Root: s.plan.Root, Files: map[data.Table][]data.File{data.Customers: s.plan.CustomerFiles}}
	cols, err := partColumns(ds, &s.cfg, f, sc, s.model, s.clf)
	if err != nil {
		return nil, err
	}
	w := &RangeWritten{Range: sr.Range, Part: runs.PartName(sr.Range), Rows: f.Rows(),
		Counts: segment.CountsOf(opt, sc), Top: topByValueAtRisk(f, sc, topN)}
	if w.Families, err = runs.Raw(f.Families); err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	if w.Catalog, err = runs.Raw(f.Catalog); err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	if err := output.WritePart(s.plan.Parts, w.Part, cols); err != nil {
		return nil, err
	}
	return w, nil
}

// RunParts is what a distributed run's pipeline hands back for the
// manifest: its part files, in customer order, and the figures Run
// reports, from the ranges' merged summaries.
type RunParts struct {
	Model        string
	Parts        []string
	Customers    int
	Segments     []runs.Segment
	Thresholds   runs.RiskThresholds
	Value        json.RawMessage // the value fits
	Drift        runs.Drift
	Evaluation   *runs.Evaluation // nil when none
	NotEvaluated string
	Top          []TopCustomer
	Families     json.RawMessage
	Catalog      json.RawMessage
}

// FinishRun merges every range's part (written) and statistics (stats),
// one each, in any order, with the value fits and the population, into
// the run's figures.
func (s *Scorer) FinishRun(written []RangeWritten, stats []RangeStats, fit value.Fit, pop *segment.Population) (*RunParts, error) {
	if len(written) == 0 || len(stats) != len(written) {
		return nil, fmt.Errorf("%d ranges written, %d with statistics", len(written), len(stats))
	}
	written = append([]RangeWritten(nil), written...)
	stats = append([]RangeStats(nil), stats...)
	sort.Slice(written, func(a, b int) bool { return written[a].Range < written[b].Range })
	sort.Slice(stats, func(a, b int) bool { return stats[a].Range < stats[b].Range })
	opt := s.cfg.Segments
	rp := &RunParts{Model: s.model, Thresholds: pop.Thresholds(opt), Families: written[0].Families, Catalog: written[0].Catalog}
	var counts segment.Counts
	var tops [][]TopCustomer
	drift := &record.DriftBins{}
	var p, y []float64
	for k := range written {
		w, st := &written[k], &stats[k]
		if w.Range != k || st.Range != k {
			return nil, fmt.Errorf("range %d written at %d, its statistics at %d", k, w.Range, st.Range)
		}
		rp.Parts = append(rp.Parts, w.Part)
		rp.Customers += w.Rows
		counts.Merge(w.Counts)
		tops = append(tops, w.Top)
		drift.Merge(st.Drift)
		if st.EvalFailed != "" && rp.NotEvaluated == "" {
			rp.NotEvaluated = st.EvalFailed
		}
		p, y = append(p, st.EvalP...), append(y, st.EvalY...)
	}
	rp.Segments = counts.Segments(opt)
	rp.Top = mergeTop(tops, topN)
	rp.Drift = record.DriftOf(drift, s.meta, s.cfg.DriftThreshold)
	if s.plan.Earlier != "" && rp.NotEvaluated == "" {
		if ev, err := record.Measure(s.plan.Earlier, p, y); err != nil {
			rp.NotEvaluated = err.Error()
		} else {
			rp.Evaluation = &ev
		}
	}
	var err error
	if rp.Value, err = runs.Raw(fit); err != nil {
		return nil, fmt.Errorf("encode manifest: %w", err)
	}
	return rp, nil
}

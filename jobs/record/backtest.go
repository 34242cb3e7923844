package record

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"time"

	"churn/data/runs"
	"churn/features"
	"churn/model/eval"
)

// MinEvaluated is the fewest labelled customers, of both outcomes, with
// which an earlier run's realised metrics mean anything.
const MinEvaluated = 50

// EarlierRun finds the latest finished run under out whose label span
// (features.Config.LabelSpan) has fully passed by asOf: its scores can now
// be checked against what happened. ok is false when there is none: no
// such run, or out does not exist yet (a first run). Any other failure to
// list out (an unreachable bucket, a denied listing) is returned, so that
// the caller can say why the evaluation did not happen.
func EarlierRun(out string, asOf time.Time, span time.Duration) (day string, cutoff time.Time, ok bool, err error) {
	day, err = runs.AtOrBefore(out, asOf.Add(-span))
	if errors.Is(err, runs.ErrNoRun) || errors.Is(err, fs.ErrNotExist) {
		return "", time.Time{}, false, nil
	}
	if err != nil {
		return "", time.Time{}, false, fmt.Errorf("find the earlier run to evaluate under %s: %w", out, err)
	}
	if cutoff, err = runs.Cutoff(day); err != nil {
		return "", time.Time{}, false, fmt.Errorf("find the earlier run to evaluate under %s: %w", out, err)
	}
	return day, cutoff, true, nil
}

// EvaluateEarlier reads an earlier run's scores and measures them against
// the labels the current data gives its cutoff: realised ROC AUC, lift in
// the top decile, Brier and calibration error. It is Measure of the
// Realised pairs of EarlierScores, which a run that labels its customers
// in ranges takes one range at a time.
func EvaluateEarlier(out, day string, labelled *features.Frame) (runs.Evaluation, error) {
	scores, err := EarlierScores(out, day)
	if err != nil {
		return runs.Evaluation{AsOf: day}, err
	}
	p, y := Realised(scores, labelled)
	return Measure(day, p, y)
}

// EarlierScores reads the churn probability of every customer of the
// earlier run of day under out, from all its parts.
func EarlierScores(out, day string) (map[string]float64, error) {
	run, err := runs.Open(out, day)
	if err != nil {
		return nil, fmt.Errorf("evaluate run %s: %w", day, err)
	}
	cols, err := run.Read(runs.CustomerID.Name, runs.ChurnProbability.Name)
	if err != nil {
		return nil, fmt.Errorf("evaluate run %s: %w", day, err)
	}
	var ids []string
	var ps []float64
	for _, c := range cols {
		switch c.Name {
		case runs.CustomerID.Name:
			ids = c.Strings
		case runs.ChurnProbability.Name:
			ps = c.Floats
		}
	}
	if ids == nil || ps == nil {
		return nil, fmt.Errorf("evaluate run %s: lacks %s or %s", day, runs.CustomerID.Name, runs.ChurnProbability.Name)
	}
	prob := make(map[string]float64, len(ids))
	for i, id := range ids {
		prob[id] = ps[i]
	}
	return prob, nil
}

// Realised joins the rows of labelled (customers labelled at the earlier
// run's cutoff) with the earlier run's scores: the probability and the
// label of each row that has both, in the frame's order.
func Realised(scores map[string]float64, labelled *features.Frame) (p, y []float64) {
	for i, id := range labelled.CustomerID {
		v, ok := scores[id]
		if !ok || math.IsNaN(labelled.Label[i]) || math.IsNaN(v) {
			continue
		}
		p, y = append(p, v), append(y, labelled.Label[i])
	}
	return p, y
}

// Measure returns the realised metrics of the earlier run of day from its
// probabilities p and the labels y, in customer order; too few labelled
// customers, or of one outcome only, is an error.
func Measure(day string, p, y []float64) (runs.Evaluation, error) {
	ev := runs.Evaluation{AsOf: day}
	r := eval.Evaluate(p, y)
	if r.Rows < MinEvaluated || r.Positives == 0 || r.Positives == r.Rows {
		return ev, fmt.Errorf("evaluate run %s: %d labelled customers, %d churned: too few to measure", day, r.Rows, r.Positives)
	}
	ev.Customers, ev.ROCAUC, ev.Lift10, ev.Brier, ev.ECE = r.Rows, r.ROCAUC, r.LiftTopDecile, r.Brier, r.ECE
	return ev, nil
}

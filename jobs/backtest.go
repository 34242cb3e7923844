package jobs

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"churn/data"
	"churn/features"
	"churn/model/eval"
)

// minEvaluated is the fewest labelled customers, of both outcomes, with
// which an earlier run's realised metrics mean anything.
const minEvaluated = 50

// earlierRun finds the latest run under out whose label horizon has fully
// passed by asOf: its scores can now be checked against what happened.
func earlierRun(out string, asOf time.Time, horizon time.Duration) (day string, cutoff time.Time, ok bool) {
	entries, err := os.ReadDir(out)
	if err != nil {
		return "", time.Time{}, false
	}
	var days []string
	for _, e := range entries {
		d, found := strings.CutPrefix(e.Name(), "as_of=")
		if !found || !e.IsDir() {
			continue
		}
		t, err := time.Parse("2006-01-02", d)
		if err != nil || t.Add(horizon).After(asOf) {
			continue
		}
		days = append(days, d)
	}
	if len(days) == 0 {
		return "", time.Time{}, false
	}
	sort.Strings(days)
	day = days[len(days)-1]
	cutoff, _ = time.Parse("2006-01-02", day)
	return day, cutoff, true
}

// evaluateEarlier reads an earlier run's scores and measures them against
// the labels the current data gives its cutoff: realised ROC AUC, lift in
// the top decile, Brier and calibration error.
func evaluateEarlier(out, day string, labelled *features.Frame) (Evaluation, error) {
	ev := Evaluation{AsOf: day}
	dir := filepath.Join(out, "as_of="+day)
	parts, err := filepath.Glob(filepath.Join(dir, "part-*.parquet"))
	if err != nil || len(parts) == 0 {
		return ev, fmt.Errorf("evaluate run %s: no part files", day)
	}
	prob := map[string]float64{}
	for _, p := range parts {
		cols, err := data.ReadColumns(p)
		if err != nil {
			return ev, fmt.Errorf("evaluate run %s: %w", day, err)
		}
		var ids []string
		var ps []float64
		for _, c := range cols {
			switch c.Name {
			case "customer_id":
				ids = c.Strings
			case "churn_probability":
				ps = c.Floats
			}
		}
		if ids == nil || ps == nil {
			return ev, fmt.Errorf("evaluate run %s: %s lacks customer_id or churn_probability", day, filepath.Base(p))
		}
		for i, id := range ids {
			prob[id] = ps[i]
		}
	}
	var p, y []float64
	for i, id := range labelled.CustomerID {
		v, ok := prob[id]
		if !ok || math.IsNaN(labelled.Label[i]) || math.IsNaN(v) {
			continue
		}
		p, y = append(p, v), append(y, labelled.Label[i])
	}
	r := eval.Evaluate(p, y)
	if r.Rows < minEvaluated || r.Positives == 0 || r.Positives == r.Rows {
		return ev, fmt.Errorf("evaluate run %s: %d labelled customers, %d churned: too few to measure", day, r.Rows, r.Positives)
	}
	ev.Customers, ev.ROCAUC, ev.Lift10, ev.Brier, ev.ECE = r.Rows, r.ROCAUC, r.LiftTopDecile, r.Brier, r.ECE
	return ev, nil
}

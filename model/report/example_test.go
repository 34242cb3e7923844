package report_test

import (
	"bytes"
	"fmt"
	"log"
	"regexp"

	"churn/model/report"
)

func ExampleWrite() {
	in := report.Input{
		Title:    "Churn model v0001",
		Subtitle: "model v0001 (gbt), as of 2026-11-01",
		Prob:     []float64{0.91, 0.72, 0.65, 0.40, 0.33, 0.21, 0.15, 0.08},
		Label:    []float64{1, 1, 0, 1, 0, 0, 0, 0},
		Baselines: []report.Baseline{
			{Name: "days since last activity", Prob: []float64{0.5, 0.9, 0.2, 0.3, 0.6, 0.1, 0.4, 0.2}},
		},
		Importance: map[string]float64{"sessions_per_week_trend": 120, "tenure_days": 40},
		Cutoffs:    []report.CutoffRow{{Cutoff: "2026-07-01", Role: "test", Rows: 8, Labelled: 8, ChurnRate: 0.375}},
		Notes:      []string{"gbt kept: validation ROC AUC 0.93 against 0.73 for the baseline."},
	}
	var b bytes.Buffer
	if err := report.Write(&b, in); err != nil {
		log.Fatal(err)
	}
	for _, h := range regexp.MustCompile(`<h2>([^<]*)</h2>`).FindAllStringSubmatch(b.String(), -1) {
		fmt.Println(h[1])
	}
	fmt.Println(regexp.MustCompile(`model \(AUC [0-9.]+\)`).FindString(b.String()))
	// Output:
	// Metrics
	// ROC curve
	// Precision-recall curve
	// Reliability
	// Cumulative gains
	// Lift by decile
	// Score distribution
	// Feature importance
	// Data per cutoff
	// Notes
	// model (AUC 0.933)
}

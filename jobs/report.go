package jobs

import (
	"bytes"
	"fmt"
	"math"
	"strings"

	"churn/internal/fsutil"
	"churn/jobs/record"
	"churn/model/eval"
	"churn/model/report"
)

// holdoutScores keeps what the report draws: the test rows' probabilities before
// and after calibration, their outcomes and the naive baseline's scores.
type holdoutScores struct {
	prob, uncal, label, baseline []float64
	// shap explains a sample of the same rows; nil for a model without
	// contributions.
	shap *record.HoldoutSHAP
}

// WriteReport writes the training report, a self-contained HTML file, so
// that it appears whole.
func WriteReport(path string, s *TrainSummary) error {
	if s.scores == nil || s.trained == nil {
		return fmt.Errorf("report %s: the summary holds no holdout scores", path)
	}
	h := s.scores
	in := report.Input{
		Title:        "churn model " + s.Version,
		Subtitle:     fmt.Sprintf("%s, trained as of %s on %d rows and %d features; tested on the latest complete cutoff; data fingerprint %.12s", s.Algo, s.AsOf, s.TrainRows, s.Features, s.Fingerprint),
		Prob:         h.prob,
		Uncalibrated: h.uncal,
		Label:        h.label,
		Baselines:    []report.Baseline{{Name: "days since last activity", Prob: h.baseline}},
		Importance:   s.trained.Importance(),
		Groups:       map[string]map[string]eval.Report{"plan": s.ByPlan, "region": s.ByRegion},
		Notes:        []string{"Model choice: " + s.Choice},
	}
	cal := s.trained.Calibration
	in.Notes = append(in.Notes, fmt.Sprintf("Calibration: %s, fitted on %d rows of a cutoff training did not see; Brier %.4f before, %.4f after; ECE %.4f before, %.4f after.",
		cal.Method, cal.Rows, cal.BrierBefore, cal.BrierAfter, cal.ECEBefore, cal.ECEAfter))
	for _, c := range s.trained.Candidates {
		if c.Err != "" {
			in.Notes = append(in.Notes, fmt.Sprintf("Candidate %s failed: %s", c.Algo, c.Err))
			continue
		}
		in.Notes = append(in.Notes, fmt.Sprintf("Candidate %s: validation ROC AUC %.4f, Brier %.4f.", c.Algo, c.Valid.ROCAUC, c.Valid.Brier))
	}
	if c := s.Catalog; c != nil {
		auto := "none"
		if len(c.Automated) > 0 {
			auto = strings.Join(c.Automated, ", ")
		}
		in.Notes = append(in.Notes, fmt.Sprintf("Event mix: the %d most frequent event names get columns by rank (event_r01 = %q, ...); automated events left out of core actions, recency and engagement: %s.",
			len(c.Events), firstOr(c.Events, ""), auto))
		var attrs []string
		for _, a := range c.Attributes {
			kind := fmt.Sprintf("%d levels", len(a.Levels))
			if a.Numeric {
				kind = "numeric"
			}
			attrs = append(attrs, a.Name+" ("+kind+")")
		}
		if len(attrs) > 0 {
			in.Notes = append(in.Notes, "Customer attributes: "+strings.Join(attrs, ", ")+".")
		}
		if len(c.SessionChannels)+len(c.TicketChannels) > 0 {
			in.Notes = append(in.Notes, fmt.Sprintf("Channels by frequency, with columns by rank (the rest are other): sessions %q; tickets %q.", c.SessionChannels, c.TicketChannels))
		}
	}
	for _, c := range s.Cutoffs {
		in.Cutoffs = append(in.Cutoffs, report.CutoffRow{Cutoff: c.Cutoff, Role: c.Role, Rows: c.Rows, Labelled: c.Labelled, ChurnRate: c.ChurnRate})
	}
	if h.shap != nil {
		in.SHAP = &report.SHAP{Features: h.shap.Features, Rows: h.shap.Rows, Values: h.shap.Values, X: h.shap.X}
	}
	var buf bytes.Buffer
	if err := report.Write(&buf, in); err != nil {
		return fmt.Errorf("report %s: %w", path, err)
	}
	if err := fsutil.WriteFile(path, buf.Bytes()); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

func sigmoid(v float64) float64 { return 1 / (1 + math.Exp(-v)) }

func firstOr(s []string, none string) string {
	if len(s) == 0 {
		return none
	}
	return s[0]
}

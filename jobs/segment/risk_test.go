package segment

import (
	"math"
	"testing"

	"churn/features"
)

func TestRiskThresholds(t *testing.T) {
	const tol = 1e-12
	active, churned := features.Status("active"), features.Churned
	// Base rate 0.1 over the three customers not churned; the churned
	// customer's probability does not count.
	prob := []float64{0.05, 0.1, 0.15, 0.9}
	status := []features.Status{active, active, active, churned}
	rel := Options{HighRiskLift: 3, MediumRiskLift: 2}
	tests := []struct {
		name         string
		s            Options
		prob         []float64
		high, medium float64
	}{
		{"relative", rel, prob, 0.3, 0.2},
		{"absolute", Options{HighRisk: 0.5, MediumRisk: 0.25, HighRiskLift: 3, MediumRiskLift: 2}, prob, 0.5, 0.25},
		{"absolute high, relative medium", Options{HighRisk: 0.15, HighRiskLift: 3, MediumRiskLift: 2}, prob, 0.15, 0.15},
		{"capped at 1", rel, []float64{0.5, 0.6, 0.4, 0}, 1, 1},
		{"no base rate", rel, []float64{0, 0, 0, 0}, 1, 1},
	}
	for _, tt := range tests {
		got := RiskThresholds(tt.s, tt.prob, status)
		if math.Abs(got.High-tt.high) > tol || math.Abs(got.Medium-tt.medium) > tol {
			t.Errorf("%s: high %g medium %g, want %g and %g", tt.name, got.High, got.Medium, tt.high, tt.medium)
		}
	}
	th := RiskThresholds(rel, prob, status)
	if !th.HighRelative || !th.MediumRelative || math.Abs(th.BaseRate-0.1) > tol {
		t.Errorf("relative thresholds %+v, want both relative to a base rate of 0.1", th)
	}
	for p, want := range map[float64]string{0.35: "high", 0.31: "high", 0.25: "medium", 0.21: "medium", 0.19: "low"} {
		if got := th.Tier(p); got != want {
			t.Errorf("tier(%g) = %s, want %s", p, got, want)
		}
	}
}

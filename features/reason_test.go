package features

import (
	"os"
	"strings"
	"testing"
)

func TestReason(t *testing.T) {
	f := mustBuild(t, handConfig(), []int64{cut}, at(-100), handHistory())
	a, b := indexOf(f, "a", cut), indexOf(f, "b", cut)
	tests := []struct {
		row     int
		feature string
		want    string
	}{
		{a, "sessions_ratio_30d", "sessions per week up 300% on the previous 30 days"},
		{a, "session_seconds_ratio", "time per visit up 60% on the previous 30 days"},
		{a, "negative_tickets_30d", "1 negative support ticket in the last 30 days"},
		{a, "negative_tickets_90d", "2 negative support tickets in the last 90 days"},
		{a, "nps_latest", "NPS detractor (3) on 2026-09-26"},
		{a, "nps_detractor", "NPS detractor (3) on 2026-09-26"},
		{a, "nps_change", "NPS down 6 points since the previous answer"},
		{a, "days_since_core", "no core action for 1 day"},
		{a, "days_since_order", "no purchase for 9 days"},
		{a, "sentiment_latest", "latest support ticket sounded positive (+0.40)"},
		{a, "csat_mean_90d", "support satisfaction (CSAT) 2.3 of 5"},
		{a, "tenure_days", "customer for 200 days"},
		{a, "spend_30d", "spent 20.00 in the last 30 days"},
		{a, "tickets_email_90d", "1 support ticket by email in the last 90 days"},
		{a, "margin_mean", "purchases carry a 50% margin"}, // the 0.9 order is at the cutoff: excluded
		{b, "days_since_core", "no core action recorded yet"},
		{b, "sessions_ratio_90d", "too little history to compare sessions per week with the previous 90 days"},
		{b, "nps_latest", "no NPS answer yet"},
		{b, "onboarding_core_14d", "still in the first 14 days after signup"},
		{b, "csat_latest", "no CSAT answer yet"},
		{a, "no_such_feature", "no such feature"},
	}
	for _, tt := range tests {
		if got := f.Reason(tt.row, tt.feature, 1); got != tt.want {
			t.Errorf("Reason(%s, %s) = %q, want %q", f.CustomerID[tt.row], tt.feature, got, tt.want)
		}
	}
}

// TestReasonNeverNaN: every feature of every row reads as words.
func TestReasonNeverNaN(t *testing.T) {
	end := testCutoffs[2] + 120*dayNS
	f := mustBuild(t, DefaultConfig(), testCutoffs, end, randomHistory(5, 40, end, 400))
	for i := 0; i < f.Rows(); i++ {
		for _, name := range f.Names {
			for _, dir := range []float64{-1, 1} {
				s := f.Reason(i, name, dir)
				if s == "" || strings.Contains(s, "NaN") || strings.Contains(s, "Inf") {
					t.Fatalf("Reason(%d, %s) = %q", i, name, s)
				}
			}
		}
	}
}

func TestNamesAreUniqueAndDocumented(t *testing.T) {
	f := mustBuild(t, DefaultConfig(), []int64{cut}, cut, handHistory())
	seen := map[string]bool{}
	for _, n := range f.Names {
		if seen[n] {
			t.Errorf("feature %s appears twice", n)
		}
		seen[n] = true
	}
	if len(f.Names) < 60 || len(f.Names) > 100 {
		t.Errorf("%d features, want 60 to 100", len(f.Names))
	}
	doc := docText(t)
	for _, n := range f.Names {
		if !strings.Contains(doc, "\t"+n+" ") && !strings.Contains(doc, "\t"+n+"\t") {
			t.Errorf("feature %s is not listed in doc.go", n)
		}
	}
}

func docText(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatalf("read doc.go: %v", err)
	}
	return string(b)
}

// TestReasonEveryFeatureHasASentence: no feature falls back to its bare
// name and value, which reads as code, not as a reason.
func TestReasonEveryFeatureHasASentence(t *testing.T) {
	end := testCutoffs[2] + 120*dayNS
	f := mustBuild(t, DefaultConfig(), testCutoffs, end, randomHistory(5, 40, end, 400))
	for _, name := range f.Names {
		for i := 0; i < f.Rows(); i++ {
			if s := f.Reason(i, name, 1); strings.HasPrefix(s, humanize(name)+":") {
				t.Errorf("Reason(%d, %s) = %q: the feature has no sentence of its own", i, name, s)
				break
			}
		}
	}
}

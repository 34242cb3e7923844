package main

import (
	"encoding/json"
	"math"
	"path/filepath"
	"strconv"
	"testing"

	"churn/internal/nodetest"
)

// TestDuckDBReadsRunOutput reads the part file of a run with DuckDB, a
// Parquet reader that shares no code with ours, and checks what it sees
// against the contract. .ci/run installs DuckDB with npm (see package
// nodetest); without it the test says loudly that it was skipped.
func TestDuckDBReadsRunOutput(t *testing.T) {
	node := nodetest.Node(t, "@duckdb/node-api")
	run := sampleRun(t)
	part := filepath.Join(run, "churn-out", "as_of=2026-11-01", "part-00000.parquet")
	out := nodetest.Run(t, node, "check.mjs", part)
	var got struct {
		Summary struct {
			N, IDs     string
			PMin, PMax float64
			VaR        float64 `json:"var"`
			VaRCheck   float64 `json:"var_check"`
		}
		Segments []struct {
			Segment string
			N       string
		}
		Types map[string]string
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("duckdb output %q: %v", out, err)
	}
	n, _ := strconv.Atoi(got.Summary.N)
	if n == 0 || got.Summary.IDs != got.Summary.N {
		t.Errorf("duckdb sees %s rows and %s distinct ids, want one row per customer", got.Summary.N, got.Summary.IDs)
	}
	if got.Summary.PMin < 0 || got.Summary.PMax > 1 || got.Summary.PMax <= got.Summary.PMin {
		t.Errorf("duckdb sees probabilities in [%v, %v], want a spread inside [0, 1]", got.Summary.PMin, got.Summary.PMax)
	}
	if math.Abs(got.Summary.VaR-got.Summary.VaRCheck) > 1e-6*math.Max(1, got.Summary.VaR) {
		t.Errorf("sum of value_at_risk %v, sum of probability x value %v", got.Summary.VaR, got.Summary.VaRCheck)
	}
	total := 0
	for _, s := range got.Segments {
		k, _ := strconv.Atoi(s.N)
		total += k
		found := false
		for _, name := range segmentNames {
			found = found || name == s.Segment
		}
		if !found {
			t.Errorf("duckdb sees segment %q, not one of %v", s.Segment, segmentNames)
		}
	}
	if total != n {
		t.Errorf("segments count %d customers, the file has %d", total, n)
	}
	wantTypes := map[string][]string{
		"customer_id": {"VARCHAR"}, "as_of": {"DATE", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP"},
		"churn_probability": {"DOUBLE"}, "churn_risk": {"VARCHAR"}, "predicted_value": {"DOUBLE"},
		"value_tier": {"VARCHAR"}, "value_at_risk": {"DOUBLE"}, "engagement_score": {"DOUBLE"},
		"segment": {"VARCHAR"}, "reasons": {"VARCHAR"}, "reason_codes": {"VARCHAR"}, "model_version": {"VARCHAR"},
	}
	for col, types := range wantTypes {
		ok := false
		for _, ty := range types {
			ok = ok || got.Types[col] == ty
		}
		if !ok {
			t.Errorf("duckdb types column %s as %q, want one of %v", col, got.Types[col], types)
		}
	}
}

package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestModelsListsRegistry: churn models lists the sample-trained version
// with its metrics, as a table and as one JSON object, and the version
// folder holds its model card.
func TestModelsListsRegistry(t *testing.T) {
	reg := registry(t)
	r := churn(t, t.TempDir(), "models", "--registry", reg, "--json")
	if r.code != 0 {
		t.Fatalf("churn models --json: %s", r)
	}
	var got struct {
		Promoted string `json:"promoted"`
		Versions []struct {
			Version  string `json:"version"`
			Promoted bool   `json:"promoted"`
			Trees    int    `json:"trees"`
			Holdout  struct {
				ROCAUC float64 `json:"roc_auc"`
			} `json:"holdout"`
			Window struct {
				AsOf       string `json:"as_of"`
				TestCutoff string `json:"test_cutoff"`
			} `json:"data_window"`
		} `json:"versions"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("churn models --json printed %q: %v", r.stdout, err)
	}
	if len(got.Versions) != 1 || got.Promoted != "v0001" || !got.Versions[0].Promoted || got.Versions[0].Trees < 1 ||
		!(got.Versions[0].Holdout.ROCAUC > 0.6) || got.Versions[0].Window.AsOf != "2026-11-01" || got.Versions[0].Window.TestCutoff != "2026-08-01" {
		t.Errorf("churn models --json: %+v", got)
	}
	r = churn(t, t.TempDir(), "models", "--registry", reg)
	if r.code != 0 || !strings.Contains(r.stdout, "v0001*") || !strings.Contains(r.stdout, "ROC AUC") || !strings.Contains(r.stdout, "2026-08-01") {
		t.Errorf("churn models: %s", r)
	}
	card, err := os.ReadFile(filepath.Join(reg, "v0001", "MODEL_CARD.md"))
	if err != nil || !strings.Contains(string(card), "# Model card: churn model v0001") {
		t.Errorf("MODEL_CARD.md: %v", err)
	}
	if r := churn(t, t.TempDir(), "models", "--registry", filepath.Join(t.TempDir(), "missing")); r.code != 2 {
		t.Errorf("churn models on a missing registry: exit %d, want 2\n%s", r.code, r)
	}
}

// TestExportModelUsage: bad usage of churn export-model exits 2 with a
// message, and writes nothing.
func TestExportModelUsage(t *testing.T) {
	reg := registry(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "m.json")
	for _, args := range [][]string{
		{"export-model", "--registry", reg, "--out", out},                              // no version
		{"export-model", "v0001", "--registry", reg},                                   // no --out
		{"export-model", "v0001", "--registry", reg, "--format", "onnx", "--out", out}, // unknown format
		{"export-model", "v0042", "--registry", reg, "--out", out},                     // no such version
	} {
		if r := churn(t, dir, args...); r.code != 2 {
			t.Errorf("churn %s: exit %d, want 2\n%s", strings.Join(args, " "), r.code, r)
		}
	}
	if _, err := os.Stat(out); err == nil {
		t.Error("a refused export wrote its file")
	}
}

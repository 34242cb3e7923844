package jobs

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"churn/data/runs"
	"churn/jobs/record"
)

// TestRunEvaluatesEarlierRun: once an earlier run's horizon has passed, a
// run measures that run's scores against what happened, and adding the
// earlier cutoff to the pass leaves today's scores byte-identical.
func TestRunEvaluatesEarlierRun(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: trains and runs on the sample")
	}
	cfg, env := sampleConfig(t)
	ctx := context.Background()
	if _, err := Train(ctx, cfg, env); err != nil {
		t.Fatalf("train: %v", err)
	}
	alone := cfg
	alone.Out = filepath.Join(t.TempDir(), "alone")
	if _, err := Run(ctx, alone, env); err != nil {
		t.Fatalf("run alone: %v", err)
	}

	early := cfg
	early.AsOf = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	if _, err := Run(ctx, early, env); err != nil {
		t.Fatalf("run as of 2026-07-01: %v", err)
	}
	sum, err := Run(ctx, cfg, env)
	if err != nil {
		t.Fatalf("run as of the sample's end: %v", err)
	}
	var man runs.Manifest
	b, err := os.ReadFile(sum.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &man); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	if len(man.Evaluations) != 1 {
		t.Fatalf("manifest evaluates %d earlier runs, want 1", len(man.Evaluations))
	}
	ev := man.Evaluations[0]
	if ev.AsOf != "2026-07-01" || ev.Customers < record.MinEvaluated {
		t.Errorf("evaluation of %s on %d customers, want 2026-07-01 on at least %d", ev.AsOf, ev.Customers, record.MinEvaluated)
	}
	// A model that ranks no better than chance, or probabilities that say
	// nothing, would fail these: the sample's churn is predictable.
	if ev.ROCAUC < 0.65 || ev.Lift10 < 1.5 || ev.Brier <= 0 || ev.Brier > 0.25 {
		t.Errorf("realised ROC AUC %.3f, lift %.2f, Brier %.3f: want AUC >= 0.65, lift >= 1.5, 0 < Brier <= 0.25", ev.ROCAUC, ev.Lift10, ev.Brier)
	}
	a, err := os.ReadFile(filepath.Join(alone.Out, runs.Folder("2026-11-01"), runs.PartFile))
	if err != nil {
		t.Fatal(err)
	}
	c, err := os.ReadFile(filepath.Join(cfg.Out, runs.Folder("2026-11-01"), runs.PartFile))
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(c) {
		t.Errorf("scores differ when the pass also builds the earlier cutoff")
	}
	// The part file starts with the contract's columns, in order.
	run, err := runs.Open(cfg.Out, "2026-11-01")
	if err != nil {
		t.Fatal(err)
	}
	cols, err := run.Read()
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range runs.Columns {
		if i >= len(cols) || cols[i].Name != want.Name || cols[i].Kind != want.Kind {
			t.Errorf("part column %d is not %s (%s), the contract's", i, want.Name, want.Kind)
		}
	}
	if man.NotEvaluated != "" {
		t.Errorf("earlier_run_not_evaluated %q after an evaluation that ran", man.NotEvaluated)
	}

	// The earlier run's scores cannot be read: the run still scores, and
	// its manifest says why nothing was evaluated.
	part := filepath.Join(cfg.Out, runs.Folder("2026-07-01"), runs.PartFile)
	if err := os.WriteFile(part, []byte("not parquet"), 0o644); err != nil {
		t.Fatal(err)
	}
	if sum, err = Run(ctx, cfg, env); err != nil {
		t.Fatalf("run with the earlier run's scores unreadable: %v", err)
	}
	if b, err = os.ReadFile(sum.Manifest); err != nil {
		t.Fatal(err)
	}
	man = runs.Manifest{}
	if err := json.Unmarshal(b, &man); err != nil {
		t.Fatalf("manifest: %v", err)
	}
	if len(man.Evaluations) != 0 || !strings.Contains(man.NotEvaluated, "2026-07-01") {
		t.Errorf("evaluations %v, earlier_run_not_evaluated %q: want none, and why, naming the run of 2026-07-01", man.Evaluations, man.NotEvaluated)
	}
}

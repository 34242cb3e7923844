package jobs

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"churn/data/synth"
)

// TestCatalogReadsInvalidInput: a history file that the catalogue's own
// reads fail on (an empty events file, which the one-pass read's sample
// takes and the distributed plan reads) stops churn features and the plan
// of churn-beam features as invalid input (exit 2), naming the file, as
// the main pass does for a file outside the sample.
func TestCatalogReadsInvalidInput(t *testing.T) {
	dir := t.TempDir()
	sc := synth.DefaultConfig()
	sc.Customers, sc.Days, sc.End = 60, 120, time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	if _, err := synth.Generate(context.Background(), sc, dir); err != nil {
		t.Fatal(err)
	}
	// part-empty sorts after part-00000: the sample of two files takes it.
	if err := os.WriteFile(filepath.Join(dir, "events", "part-empty.parquet"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, env := sampleConfig(t)
	cfg.Data, cfg.AsOf = dir, sc.End
	ctx := context.Background()
	_, ferr := Features(ctx, cfg, env, filepath.Join(t.TempDir(), "f.parquet"), 0)
	_, perr := PlanFeatures(ctx, cfg, env, 0)
	for name, err := range map[string]error{"Features": ferr, "PlanFeatures": perr} {
		if !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), "events/part-empty.parquet") {
			t.Errorf("%s on an empty events file: %v, want invalid input naming the file", name, err)
		}
	}
}

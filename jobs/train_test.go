package jobs

import (
	"bytes"
	"context"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/rs/zerolog"
)

// sampleConfig trains on the embedded sample in temporary folders.
func sampleConfig(t *testing.T) (Config, Env) {
	t.Helper()
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.Registry = filepath.Join(dir, "registry")
	cfg.Out = filepath.Join(dir, "out")
	return cfg, Env{Log: zerolog.Nop(), CodeVersion: "test", SampleCache: filepath.Join(dir, "sample")}
}

// The embedded sample's holdout, as `churn train` with the defaults
// measures it (latest complete cutoff, 2026-08-01, with the model selected
// on cutoffs whose label windows end before it, its tree count on those
// whose windows end by the validation cutoff): gbt ROC AUC 0.7408,
// Brier 0.1141; days since last activity 0.6447. Training is
// deterministic, so the tolerance only absorbs floating-point differences
// between machines.
const (
	sampleHoldoutAUC       = 0.7408
	sampleHoldoutBrier     = 0.1141
	sampleBaselineAUC      = 0.6447
	sampleHoldoutTolerance = 0.0005
)

// TestTrainReusesCachedFeatures: a second train on the same inputs reads
// every cutoff from the cache, and the model it trains is byte-identical
// to the one trained from freshly built features.
func TestTrainReusesCachedFeatures(t *testing.T) {
	if testing.Short() {
		t.Skip("trains twice on the sample")
	}
	cfg, env := sampleConfig(t)
	ctx := context.Background()
	first, err := Train(ctx, cfg, env)
	if err != nil {
		t.Fatalf("first train: %v", err)
	}
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"holdout ROC AUC", first.Holdout.ROCAUC, sampleHoldoutAUC},
		{"holdout Brier", first.Holdout.Brier, sampleHoldoutBrier},
		{"baseline ROC AUC", first.Baseline.ROCAUC, sampleBaselineAUC},
	} {
		if math.Abs(c.got-c.want) > sampleHoldoutTolerance {
			t.Errorf("%s %.4f, want %.4f", c.name, c.got, c.want)
		}
	}
	if first.CachedCuts != 0 {
		t.Errorf("first train: %d cutoffs from the cache, want 0", first.CachedCuts)
	}
	// Every phase reports its CPU time where the platform does; fitting
	// the trees cannot take none.
	if _, ok := processCPU(); ok {
		for _, p := range first.Phases {
			if p.CPUMS < 0 || (p.Name == "fit gbt" && p.CPUMS == 0) {
				t.Errorf("phase %s: CPU %d ms", p.Name, p.CPUMS)
			}
		}
	}
	second, err := Train(ctx, cfg, env)
	if err != nil {
		t.Fatalf("second train: %v", err)
	}
	if second.CachedCuts != cfg.Train.Cutoffs {
		t.Errorf("second train: %d cutoffs from the cache, want %d", second.CachedCuts, cfg.Train.Cutoffs)
	}
	if second.Holdout.ROCAUC != first.Holdout.ROCAUC {
		t.Errorf("holdout ROC AUC %v from the cache, %v fresh", second.Holdout.ROCAUC, first.Holdout.ROCAUC)
	}
	a, err := os.ReadFile(filepath.Join(cfg.Registry, first.Version, "model.bin"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(cfg.Registry, second.Version, "model.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, b) {
		t.Errorf("model trained from cached features differs from the one trained fresh")
	}
	if !reflect.DeepEqual(second.Cutoffs, first.Cutoffs) {
		t.Errorf("cutoffs from the cache %+v, fresh %+v", second.Cutoffs, first.Cutoffs)
	}
	// Some cutoffs cached, the others built: the rows and counts of
	// each land in their place.
	entries, err := filepath.Glob(filepath.Join(registryCacheDir(cfg.Registry), "features-*.gob"))
	if err != nil || len(entries) != cfg.Train.Cutoffs {
		t.Fatalf("%d cache entries (%v), want %d", len(entries), err, cfg.Train.Cutoffs)
	}
	for _, e := range entries[:len(entries)/2] {
		if err := os.Remove(e); err != nil {
			t.Fatal(err)
		}
	}
	third, err := Train(ctx, cfg, env)
	if err != nil {
		t.Fatalf("third train: %v", err)
	}
	if third.CachedCuts != cfg.Train.Cutoffs-len(entries)/2 {
		t.Errorf("third train: %d cutoffs from the cache, want %d", third.CachedCuts, cfg.Train.Cutoffs-len(entries)/2)
	}
	c, err := os.ReadFile(filepath.Join(cfg.Registry, third.Version, "model.bin"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a, c) || !reflect.DeepEqual(third.Cutoffs, first.Cutoffs) {
		t.Errorf("model or cutoffs trained from a partly cached frame differ from those trained fresh")
	}
}

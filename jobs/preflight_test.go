package jobs

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"churn/jobs/lock"
)

// TestRunPreflight: a run whose metrics folder is missing, whose registry
// is a file and whose Pushgateway URL is not one fails as invalid input
// (exit 2) naming all three, before it reads any data or writes output.
func TestRunPreflight(t *testing.T) {
	dir := t.TempDir()
	regFile := filepath.Join(dir, "registry")
	if err := os.WriteFile(regFile, []byte("not a folder"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := DefaultConfig()
	cfg.Data = filepath.Join(dir, "data-never-read")
	cfg.Out = filepath.Join(dir, "out")
	cfg.Registry = regFile
	cfg.MetricsFile = filepath.Join(dir, "no-such-folder", "churn.prom")
	cfg.MetricsPush = "gateway:9091"
	_, err := Run(context.Background(), cfg, Env{Log: zerolog.Nop()})
	if !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("run: %v, want ErrInvalidInput", err)
	}
	for _, want := range []string{"registry " + regFile + " is not a folder", "no-such-folder does not exist", `metrics push URL "gateway:9091"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "data-never-read") {
		t.Errorf("the run looked at the data before its checks: %v", err)
	}
	ents, _ := os.ReadDir(cfg.Out)
	for _, e := range ents {
		if e.Name() != lock.Name {
			t.Errorf("preflight left %s in the output folder", e.Name())
		}
	}
	if _, err := os.Stat(filepath.Join(cfg.Out, lock.Name)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the run took the lock before its checks (stat: %v)", err)
	}
}

func TestRunPreflightNoModel(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.Data = filepath.Join(dir, "data")
	cfg.Out = filepath.Join(dir, "out")
	cfg.Registry = filepath.Join(dir, "empty-registry")
	if err := os.Mkdir(cfg.Registry, 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), cfg, Env{Log: zerolog.Nop()})
	if !errors.Is(err, ErrInvalidInput) || !errors.Is(err, ErrNoModel) {
		t.Fatalf("run on an empty registry: %v, want ErrNoModel as invalid input", err)
	}
}

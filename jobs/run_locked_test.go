package jobs

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"churn/jobs/lock"
	"churn/jobs/metrics"
)

// TestRunLockedPublishesNothing: a run that finds the lock taken writes no
// metrics, so the holder's report stands.
func TestRunLockedPublishesNothing(t *testing.T) {
	dir := t.TempDir()
	cfg := DefaultConfig()
	cfg.Out = filepath.Join(dir, "out")
	cfg.Registry = filepath.Join(dir, "registry")
	cfg.MetricsFile = filepath.Join(dir, "churn.prom")
	l, err := lock.Acquire(cfg.Out, "test", time.Now(), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	defer l.Release()
	_, err = Run(context.Background(), cfg, Env{Log: zerolog.Nop(), SampleCache: filepath.Join(dir, "sample")})
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("run with the lock held: %v, want ErrLocked", err)
	}
	for _, f := range []string{cfg.MetricsFile, metrics.StatusFile(cfg.MetricsFile)} {
		if _, err := os.Stat(f); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s written by a run that found the lock taken (stat: %v)", f, err)
		}
	}
}

package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestConfigPrecedence: flags over CHURN_* variables over the config file
// (--config or CHURN_CONFIG) over the defaults.
func TestConfigPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "churn.yaml")
	if err := os.WriteFile(file, []byte("out: out-file\nregistry: reg-file\nseed: 5\nworkers: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("CHURN_CONFIG", file)
	t.Setenv("CHURN_OUT", "out-env")
	t.Setenv("CHURN_REGISTRY", "reg-env")
	c := &cli{name: "run", args: []string{"--out", "out-flag"}, stdout: io.Discard, stderr: io.Discard}
	fs := c.flags()
	out := fs.String("out", "churn-out", "")
	registry := fs.String("registry", "churn-registry", "")
	cfg, set, err := c.setup(fs)
	if err != nil {
		t.Fatal(err)
	}
	override(set, "out", &cfg.Out, *out)
	override(set, "registry", &cfg.Registry, *registry)
	for _, ck := range []struct {
		name      string
		got, want any
	}{
		{"out (flag)", cfg.Out, "out-flag"},
		{"registry (environment)", cfg.Registry, "reg-env"},
		{"seed (file)", cfg.Seed, uint64(5)},
		{"workers (file)", cfg.Workers, 3},
		{"drift threshold (default)", cfg.DriftThreshold, 0.2},
	} {
		if ck.got != ck.want {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
}

func TestConfigEnvInvalid(t *testing.T) {
	t.Setenv("CHURN_SEGMENTS_HIGH_RISK", "high")
	r := run([]string{"run", "--out", t.TempDir()}, io.Discard, io.Discard)
	if r != exitInvalid {
		t.Errorf("run with CHURN_SEGMENTS_HIGH_RISK=high exited %d, want %d", r, exitInvalid)
	}
}

// TestLogFormatGCP: --log-format gcp writes JSON lines that keep zerolog's
// level and add Cloud Logging's severity in upper case; json has no
// severity.
func TestLogFormatGCP(t *testing.T) {
	for _, tt := range []struct {
		format, severity string
	}{{"gcp", "ERROR"}, {"json", ""}} {
		var stderr bytes.Buffer
		code := run([]string{"lists", "--scores", filepath.Join(t.TempDir(), "missing"), "--log-format", tt.format}, io.Discard, &stderr)
		if code != exitInvalid {
			t.Fatalf("%s: exit %d, want %d", tt.format, code, exitInvalid)
		}
		var line map[string]any
		if err := json.Unmarshal(stderr.Bytes(), &line); err != nil {
			t.Fatalf("%s: stderr is not one JSON line: %v\n%s", tt.format, err, stderr.String())
		}
		if line["level"] != "error" {
			t.Errorf("%s: level %v, want error", tt.format, line["level"])
		}
		if got, _ := line["severity"].(string); got != tt.severity {
			t.Errorf("%s: severity %q, want %q", tt.format, got, tt.severity)
		}
	}
}

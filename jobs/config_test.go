package jobs

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"churn/data/runs"
)

func writeConfig(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadConfigFile(t *testing.T) {
	yaml := `
data: /data/histories
out: /data/scores
seed: 7
columns:
  sessions:
    started_at: session_start
features:
  horizon: 60d
  windows: [7d, 4w]
train:
  cutoffs: 5
  algo: logistic
  refit: false
  gbt:
    trees: 300
    depth: 4
    learning_rate: 0.05
    min_child_weight: 5
segments:
  high_risk: 0.6
  names:
    at_risk: watch
bad_rows:
  policy: fail
  max_fraction: 0.01
metrics_push: http://gw:9091
`
	toml := `
data = "/data/histories"
out = "/data/scores"
seed = 7
metrics_push = "http://gw:9091"
[columns.sessions]
started_at = "session_start"
[features]
horizon = "60d"
windows = ["7d", "4w"]
[train]
cutoffs = 5
algo = "logistic"
refit = false
[train.gbt]
trees = 300
depth = 4
learning_rate = 0.05
min_child_weight = 5
[segments]
high_risk = 0.6
[segments.names]
at_risk = "watch"
[bad_rows]
policy = "fail"
max_fraction = 0.01
`
	for _, tc := range []struct{ name, text string }{{"c.yaml", yaml}, {"c.yml", yaml}, {"c.toml", toml}} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			if err := LoadConfigFile(&cfg, writeConfig(t, tc.name, tc.text)); err != nil {
				t.Fatalf("load: %v", err)
			}
			if err := cfg.Validate(); err != nil {
				t.Errorf("validate: %v", err)
			}
			checks := []struct {
				what      string
				got, want any
			}{
				{"data", cfg.Data, "/data/histories"},
				{"out", cfg.Out, "/data/scores"},
				{"registry (default)", cfg.Registry, "churn-registry"},
				{"seed", cfg.Seed, uint64(7)},
				{"mapping", cfg.Mapping["sessions"]["started_at"], "session_start"},
				{"horizon", cfg.Features.Horizon, 60 * 24 * time.Hour},
				{"windows", len(cfg.Features.Windows), 2},
				{"window 2", cfg.Features.Windows[1], 28 * 24 * time.Hour},
				{"cutoffs", cfg.Train.Cutoffs, 5},
				{"algo", cfg.Train.Algo, "logistic"},
				{"calibration (default)", cfg.Train.Calibration, "auto"},
				{"refit", cfg.Train.Refit, false},
				{"search (default)", cfg.Train.Search, false},
				{"gbt trees", cfg.Train.GBT.Trees, 300},
				{"gbt depth", cfg.Train.GBT.Depth, 4},
				{"gbt learning rate", cfg.Train.GBT.LearningRate, 0.05},
				{"gbt min child weight", cfg.Train.GBT.MinChildWeight, 5.0},
				{"gbt subsample (default)", cfg.Train.GBT.Subsample, 0.8},
				{"high risk", cfg.Segments.HighRisk, 0.6},
				{"medium risk (default: relative)", cfg.Segments.MediumRisk, 0.0},
				{"segment name", cfg.SegmentName(runs.AtRisk), "watch"},
				{"policy", cfg.BadRows.Policy, "fail"},
				{"max fraction", cfg.BadRows.MaxFraction, 0.01},
				{"push", cfg.MetricsPush, "http://gw:9091"},
			}
			for _, c := range checks {
				if c.got != c.want {
					t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
				}
			}
		})
	}
}

func TestLoadConfigFileRejects(t *testing.T) {
	tests := []struct {
		name, file, text, want string
	}{
		{"yaml unknown top key", "c.yaml", "seed: 1\nsede: 2\n", "sede"},
		{"yaml unknown nested key", "c.yaml", "train:\n  cutofs: 4\n", "cutofs"},
		{"toml unknown top key", "c.toml", "seed = 1\nsede = 2\n", "sede"},
		{"toml unknown nested key", "c.toml", "[train]\ncutofs = 4\n", "cutofs"},
		{"unknown table in columns", "c.yaml", "columns:\n  visits:\n    started_at: x\n", "visits"},
		{"unknown contract column", "c.yaml", "columns:\n  sessions:\n    start: x\n", "start"},
		{"bad duration", "c.toml", "[features]\nhorizon = \"ninety days\"\n", "ninety days"},
		{"bad extension", "c.json", "{}", "yaml"},
		{"yaml syntax", "c.yaml", "train: [\n", "c.yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := DefaultConfig()
			err := LoadConfigFile(&cfg, writeConfig(t, tc.file, tc.text))
			if err == nil {
				t.Fatalf("loaded %q without error", tc.text)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name %q", err, tc.want)
			}
		})
	}
	cfg := DefaultConfig()
	if err := LoadConfigFile(&cfg, filepath.Join(t.TempDir(), "missing.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v, want os.ErrNotExist", err)
	}
}

func TestConfigValidateReportsEveryProblem(t *testing.T) {
	def := DefaultConfig()
	if err := def.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	cfg := DefaultConfig()
	cfg.Out = ""
	cfg.Workers = 0
	cfg.Train.Cutoffs = 2
	cfg.Train.Algo = "svm"
	cfg.Train.GBT.Depth = 0
	cfg.Segments.HighRisk, cfg.Segments.MediumRisk = 0.2, 0.4
	cfg.Segments.Names = map[string]string{"vip": "x"}
	cfg.Value.Unit = "month"
	cfg.BadRows.Policy = "ignore"
	cfg.BadRows.MaxFraction = 2
	cfg.DriftThreshold = 0
	cfg.Reasons.Language = "de"
	err := cfg.Validate()
	if err == nil {
		t.Fatal("an invalid config validated")
	}
	for _, want := range []string{"out:", "workers:", "train.cutoffs:", "train.algo:", "train.gbt:", "segments: want 0 < medium_risk",
		`unknown segment "vip"`, "value.unit:", "bad_rows.policy:", "bad_rows.max_fraction:", "drift_threshold:", "reasons.language:"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Validate does not report %q; got:\n%v", want, err)
		}
	}
	if n := len(strings.Split(err.Error(), "\n")); n < 12 {
		t.Errorf("Validate reported %d problems, want all 12 at once:\n%v", n, err)
	}
}

// TestConfigAttributes: features.attributes unset means every usable
// column (nil), an empty list means none, in YAML, TOML and the
// environment alike.
func TestConfigAttributes(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		file, text string
		want       []string
	}{
		{"unset.yaml", "seed: 2\n", nil},
		{"none.yaml", "features:\n  attributes: []\n", []string{}},
		{"some.yaml", "features:\n  attributes: [plan, seats]\n", []string{"plan", "seats"}},
		{"none.toml", "[features]\nattributes = []\n", []string{}},
	} {
		path := filepath.Join(dir, c.file)
		if err := os.WriteFile(path, []byte(c.text), 0o644); err != nil {
			t.Fatal(err)
		}
		cfg := DefaultConfig()
		if err := LoadConfigFile(&cfg, path); err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if got := cfg.Features.Attributes; (got == nil) != (c.want == nil) || !slices.Equal(got, c.want) {
			t.Errorf("%s: attributes %#v, want %#v", c.file, got, c.want)
		}
	}
	cfg := DefaultConfig()
	if err := ApplyEnv(&cfg, envOf(map[string]string{"CHURN_FEATURES_ATTRIBUTES": "plan,region"})); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(cfg.Features.Attributes, []string{"plan", "region"}) {
		t.Errorf("environment: attributes %q", cfg.Features.Attributes)
	}
}

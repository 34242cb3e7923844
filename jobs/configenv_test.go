package jobs

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

func envOf(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestApplyEnv(t *testing.T) {
	env := map[string]string{
		"CHURN_OUT":                         "/scores",
		"CHURN_SEED":                        "42",
		"CHURN_FEATURES_HORIZON":            "60d",
		"CHURN_FEATURES_WINDOWS":            "7d, 14d",
		"CHURN_FEATURES_CORE_EVENTS":        "[login, export]",
		"CHURN_SEGMENTS_HIGH_RISK":          "0.4",
		"CHURN_SEGMENTS_NAMES":              "{at_risk: Retain now}",
		"CHURN_COLUMNS":                     "{sessions: {started_at: session_start}}",
		"CHURN_BAD_ROWS_OPTIONAL_FILES":     "orders/old.parquet",
		"CHURN_METRICS_FILE":                "/var/lib/node_exporter/churn.prom",
		"CHURN_SERVICE_HOST":                "10.0.0.1", // Kubernetes' own: ignored
		"CHURN_FEATURES_ENGAGEMENT_WEIGHTS": "{login: 0.5}",
	}
	c := DefaultConfig()
	if err := ApplyEnv(&c, envOf(env)); err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"out", c.Out, "/scores"},
		{"seed", c.Seed, uint64(42)},
		{"horizon", c.Features.Horizon, 60 * 24 * time.Hour},
		{"windows", c.Features.Windows, []time.Duration{7 * 24 * time.Hour, 14 * 24 * time.Hour}},
		{"core events", c.Features.CoreEvents, []string{"login", "export"}},
		{"high risk", c.Segments.HighRisk, 0.4},
		{"names", c.Segments.Names, map[string]string{"at_risk": "Retain now"}},
		{"columns", c.Mapping["sessions"]["started_at"], "session_start"},
		{"optional files", c.BadRows.OptionalFiles, []string{"orders/old.parquet"}},
		{"metrics file", c.MetricsFile, "/var/lib/node_exporter/churn.prom"},
		{"engagement weights", c.Features.EngagementWeights, map[string]float64{"login": 0.5}},
		{"registry untouched", c.Registry, DefaultConfig().Registry},
	}
	for _, ck := range checks {
		if !reflect.DeepEqual(ck.got, ck.want) {
			t.Errorf("%s = %v, want %v", ck.name, ck.got, ck.want)
		}
	}
}

func TestApplyEnvErrors(t *testing.T) {
	c := DefaultConfig()
	err := ApplyEnv(&c, envOf(map[string]string{"CHURN_SEED": "many", "CHURN_FEATURES_HORIZON": "soon"}))
	if err == nil {
		t.Fatal("bad values gave no error")
	}
	for _, want := range []string{"CHURN_SEED (seed)", "features.horizon"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %q", err, want)
		}
	}
}

// TestEveryKeyHasAVariable: each key of the config file has a CHURN_*
// variable, and setting it changes the config.
func TestEveryKeyHasAVariable(t *testing.T) {
	special := map[string]string{
		"features.horizon": "45d", "features.gap": "3d", "features.lookback": "45d",
		"features.windows": "3d,9d", "features.label": "contractual",
		"columns": "{orders: {ts: ordered_at}}", "workers": "3",
		"train.refit": "false",
	}
	byType := map[string]string{
		"*string": "other", "*int": "7", "*uint64": "7", "*float64": "0.123", "*bool": "true",
		"[]string": "a,b", "map[string]string": "{at_risk: x}", "map[string]float64": "{login: 2}",
	}
	keys := envKeys()
	if len(keys) < 30 {
		t.Fatalf("%d keys found in fileConfig, want every key", len(keys))
	}
	for _, k := range keys {
		v, ok := special[k.key]
		if !ok {
			v, ok = byType[k.typ.String()]
		}
		if !ok {
			t.Errorf("%s: no test value for type %s", k.name, k.typ)
			continue
		}
		c := DefaultConfig()
		if err := ApplyEnv(&c, envOf(map[string]string{k.name: v})); err != nil {
			t.Errorf("%s=%q: %v", k.name, v, err)
			continue
		}
		if reflect.DeepEqual(c, DefaultConfig()) {
			t.Errorf("%s=%q did not change the config", k.name, v)
		}
		if want := "CHURN_" + strings.ToUpper(strings.ReplaceAll(k.key, ".", "_")); k.name != want {
			t.Errorf("variable %s for key %s, want %s", k.name, k.key, want)
		}
	}
}

package metrics

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	pmodel "github.com/prometheus/common/model"
	"github.com/rs/zerolog"

	"churn/data"
	"churn/data/runs"
)

func sampleMetrics() *Run {
	return &Run{
		Success:      true,
		Duration:     1500 * time.Millisecond,
		Finished:     time.Date(2026, 11, 2, 3, 4, 5, 0, time.UTC),
		RowsRead:     map[data.Table]int64{data.Customers: 10, data.Sessions: 200},
		RowsSkipped:  map[string]int64{"sessions/negative_duration": 3, `tickets/odd "quoted"\reason`: 1},
		Customers:    10,
		Segments:     []runs.Segment{{Segment: runs.AtRisk, Customers: 4, ValueAtRisk: 12.5}, {Segment: runs.Healthy, Customers: 6}},
		ModelVersion: "v0003",
		FeaturePSI:   0.12,
		ScorePSI:     0.05,
	}
}

// parseExposition parses text with Prometheus' own parser and returns the
// samples by name and labels (sorted by label name, values unescaped).
func parseExposition(t *testing.T, text string) map[string]float64 {
	t.Helper()
	p := expfmt.NewTextParser(pmodel.LegacyValidation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(text))
	if err != nil {
		t.Fatalf("Prometheus' parser rejects the exposition: %v\n%s", err, text)
	}
	samples := map[string]float64{}
	for name, fam := range fams {
		if fam.GetHelp() == "" || fam.GetType() != dto.MetricType_GAUGE {
			t.Errorf("%s: help %q, type %v; want a help text and gauge", name, fam.GetHelp(), fam.GetType())
		}
		for _, m := range fam.GetMetric() {
			labels := m.GetLabel()
			sort.Slice(labels, func(i, j int) bool { return labels[i].GetName() < labels[j].GetName() })
			key := name
			if len(labels) > 0 {
				var parts []string
				for _, l := range labels {
					parts = append(parts, l.GetName()+"="+l.GetValue())
				}
				key += "{" + strings.Join(parts, ",") + "}"
			}
			if _, dup := samples[key]; dup {
				t.Errorf("duplicate sample %s", key)
			}
			samples[key] = m.GetGauge().GetValue()
		}
	}
	return samples
}

func checkSamples(t *testing.T, what string, got, want map[string]float64) {
	t.Helper()
	for k, v := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s: no sample %s (have %v)", what, k, got)
			continue
		}
		if g != v {
			t.Errorf("%s: %s = %v, want %v", what, k, g, v)
		}
	}
}

var sampleFinished = float64(time.Date(2026, 11, 2, 3, 4, 5, 0, time.UTC).Unix())

func TestMetricsText(t *testing.T) {
	m := sampleMetrics()
	results := parseExposition(t, string(m.resultText()))
	checkSamples(t, "results", results, map[string]float64{
		"churn_last_success_timestamp_seconds":                         sampleFinished,
		"churn_last_success_duration_seconds":                          1.5,
		"churn_rows_read{table=sessions}":                              200,
		"churn_rows_skipped{reason=negative_duration,table=sessions}":  3,
		`churn_rows_skipped{reason=odd "quoted"\reason,table=tickets}`: 1,
		"churn_customers_scored":                                       10,
		"churn_segment_customers{segment=at_risk}":                     4,
		"churn_segment_value_at_risk{segment=at_risk}":                 12.5,
		"churn_model_info{version=v0003}":                              1,
		"churn_feature_psi_max":                                        0.12,
		"churn_score_psi":                                              0.05,
	})
	status := parseExposition(t, string(m.statusText()))
	checkSamples(t, "status", status, map[string]float64{
		"churn_run_success":                    1,
		"churn_run_duration_seconds":           1.5,
		"churn_run_finished_timestamp_seconds": sampleFinished,
	})
	// node_exporter reads both files; one metric name in both would clash.
	for k := range status {
		if _, ok := results[k]; ok {
			t.Errorf("%s is in both the results and the status exposition", k)
		}
	}
	failed := sampleMetrics()
	failed.Success = false
	if got := parseExposition(t, string(failed.statusText()))["churn_run_success"]; got != 0 {
		t.Errorf("failed run: churn_run_success = %v, want 0", got)
	}
}

// TestMetricsFileKeepsLastSuccess: a success then a failure leave the
// success's time and results in the metrics file, and the failure in the
// status file beside it.
func TestMetricsFileKeepsLastSuccess(t *testing.T) {
	var cfg Target
	cfg.File = filepath.Join(t.TempDir(), "churn.prom")
	ok := sampleMetrics()
	if err := Write(context.Background(), cfg, ok, zerolog.Nop()); err != nil {
		t.Fatalf("publish success: %v", err)
	}
	failed := &Run{Duration: 2 * time.Second, Finished: time.Date(2026, 11, 3, 3, 0, 0, 0, time.UTC)}
	if err := Publish(context.Background(), cfg, failed); err != nil {
		t.Fatalf("publish failure: %v", err)
	}
	read := func(path string) string {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	results := read(cfg.File)
	status := read(StatusFile(cfg.File))
	if filepath.Base(StatusFile(cfg.File)) != "churn_last_run.prom" {
		t.Errorf("status file %s, want churn_last_run.prom beside churn.prom", StatusFile(cfg.File))
	}
	checkSamples(t, "results after a failure", parseExposition(t, results), map[string]float64{
		"churn_last_success_timestamp_seconds":     sampleFinished,
		"churn_segment_customers{segment=at_risk}": 4,
		"churn_customers_scored":                   10,
	})
	checkSamples(t, "status after a failure", parseExposition(t, status), map[string]float64{
		"churn_run_success":                    0,
		"churn_run_duration_seconds":           2,
		"churn_run_finished_timestamp_seconds": float64(failed.Finished.Unix()),
	})
	// What the textfile collector sees: both files at once.
	parseExposition(t, results+status)
}

func TestMetricsPush(t *testing.T) {
	type request struct{ method, path, ctype, body string }
	var got []request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got = append(got, request{r.Method, r.URL.Path, r.Header.Get("Content-Type"), string(b)})
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	m := sampleMetrics()
	var cfg Target
	cfg.Push = srv.URL + "/"
	if err := Write(context.Background(), cfg, m, zerolog.Nop()); err != nil {
		t.Fatalf("push: %v", err)
	}
	failed := sampleMetrics()
	failed.Success = false
	if err := Publish(context.Background(), cfg, failed); err != nil {
		t.Fatalf("push failure: %v", err)
	}
	if len(got) != 2 {
		t.Fatalf("%d requests, want 2", len(got))
	}
	// A success replaces the group (PUT) with results and status; a
	// failure adds its status (POST), leaving the results in place.
	for i, want := range []struct {
		method, body string
	}{{http.MethodPut, string(m.resultText()) + string(m.statusText())}, {http.MethodPost, string(failed.statusText())}} {
		g := got[i]
		if g.method != want.method {
			t.Errorf("request %d: method %s, want %s", i, g.method, want.method)
		}
		if g.path != "/metrics/job/churn" {
			t.Errorf("request %d: path %s, want /metrics/job/churn", i, g.path)
		}
		if !strings.HasPrefix(g.ctype, "text/plain") || !strings.Contains(g.ctype, "version=0.0.4") {
			t.Errorf("request %d: content type %q, want text/plain; version=0.0.4", i, g.ctype)
		}
		if g.body != want.body {
			t.Errorf("request %d: body differs:\n%s", i, g.body)
		}
		parseExposition(t, g.body)
	}
}

func TestMetricsPushFailure(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "gateway is down", http.StatusInternalServerError)
	}))
	defer srv.Close()
	var cfg Target
	cfg.Push = srv.URL
	err := Write(context.Background(), cfg, sampleMetrics(), zerolog.Nop())
	if err == nil {
		t.Fatal("a successful run whose push got 500 did not fail")
	}
	for _, want := range []string{"push metrics", "500", "gateway is down"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	// A failed run that cannot push keeps its own error: the push failure
	// is logged, not returned.
	failed := sampleMetrics()
	failed.Success = false
	if err := Write(context.Background(), cfg, failed, zerolog.Nop()); err != nil {
		t.Errorf("failed run: push failure returned %v, want it only logged", err)
	}
}

func TestLabelValueEscapesAsPrometheusDoes(t *testing.T) {
	tests := []struct{ in, want string }{
		{"at_risk", "at_risk"},
		{`a"b`, `a\"b`},
		{`a\b`, `a\\b`},
		{"a\nb", `a\nb`},
		{"a\tb", "a\tb"},       // the format has no \t escape: a tab stays a tab
		{"a\xffb", "a\uFFFDb"}, // label values are UTF-8
	}
	for _, tt := range tests {
		if got := labelValue(tt.in); got != tt.want {
			t.Errorf("labelValue(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

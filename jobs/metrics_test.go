package jobs

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"churn/data"
)

func sampleMetrics() *runMetrics {
	return &runMetrics{
		Success:      true,
		Duration:     1500 * time.Millisecond,
		Finished:     time.Date(2026, 11, 2, 3, 4, 5, 0, time.UTC),
		RowsRead:     map[data.Table]int64{data.Customers: 10, data.Sessions: 200},
		RowsSkipped:  map[string]int64{"sessions/negative_duration": 3, `tickets/odd "quoted"\reason`: 1},
		Customers:    10,
		Segments:     []SegmentSummary{{Segment: SegAtRisk, Customers: 4, ValueAtRisk: 12.5}, {Segment: SegHealthy, Customers: 6}},
		ModelVersion: "v0003",
		FeaturePSI:   0.12,
		ScorePSI:     0.05,
	}
}

var (
	metricLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$`)
	labelPair  = regexp.MustCompile(`^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\["\\n])*)"`)
)

// parseExposition checks text line by line against the Prometheus text
// format and returns the samples by name and labels.
func parseExposition(t *testing.T, text string) map[string]float64 {
	t.Helper()
	samples := map[string]float64{}
	typed := map[string]bool{}
	helped := map[string]bool{}
	for i, line := range strings.Split(strings.TrimSuffix(text, "\n"), "\n") {
		switch {
		case strings.HasPrefix(line, "# HELP "):
			f := strings.SplitN(line, " ", 4)
			if len(f) < 4 || f[3] == "" {
				t.Errorf("line %d: HELP without text: %q", i+1, line)
				continue
			}
			helped[f[2]] = true
		case strings.HasPrefix(line, "# TYPE "):
			f := strings.Fields(line)
			if len(f) != 4 || f[3] != "gauge" && f[3] != "counter" {
				t.Errorf("line %d: bad TYPE: %q", i+1, line)
				continue
			}
			if typed[f[2]] {
				t.Errorf("line %d: second TYPE for %s", i+1, f[2])
			}
			typed[f[2]] = true
		default:
			m := metricLine.FindStringSubmatch(line)
			if m == nil {
				t.Errorf("line %d: not a sample: %q", i+1, line)
				continue
			}
			name, labels, value := m[1], m[3], m[4]
			if !typed[name] || !helped[name] {
				t.Errorf("line %d: sample of %s before its HELP and TYPE", i+1, name)
			}
			for rest := labels; rest != ""; {
				p := labelPair.FindStringSubmatch(rest)
				if p == nil {
					t.Errorf("line %d: bad labels %q", i+1, labels)
					break
				}
				rest = strings.TrimPrefix(rest[len(p[0]):], ",")
			}
			v, err := strconv.ParseFloat(value, 64)
			if err != nil {
				t.Errorf("line %d: value %q: %v", i+1, value, err)
			}
			key := name
			if labels != "" {
				key += "{" + labels + "}"
			}
			if _, dup := samples[key]; dup {
				t.Errorf("line %d: duplicate sample %s", i+1, key)
			}
			samples[key] = v
		}
	}
	return samples
}

func TestMetricsText(t *testing.T) {
	s := parseExposition(t, string(sampleMetrics().text()))
	want := map[string]float64{
		"churn_run_success":                                               1,
		"churn_run_duration_seconds":                                      1.5,
		"churn_run_finished_timestamp_seconds":                            float64(time.Date(2026, 11, 2, 3, 4, 5, 0, time.UTC).Unix()),
		`churn_rows_read{table="sessions"}`:                               200,
		`churn_rows_skipped{table="sessions",reason="negative_duration"}`: 3,
		"churn_customers_scored":                                          10,
		`churn_segment_customers{segment="at_risk"}`:                      4,
		`churn_segment_value_at_risk{segment="at_risk"}`:                  12.5,
		`churn_model_info{version="v0003"}`:                               1,
		"churn_feature_psi_max":                                           0.12,
		"churn_score_psi":                                                 0.05,
	}
	for k, v := range want {
		got, ok := s[k]
		if !ok {
			t.Errorf("no sample %s in\n%s", k, sampleMetrics().text())
			continue
		}
		if got != v {
			t.Errorf("%s = %v, want %v", k, got, v)
		}
	}
	failed := sampleMetrics()
	failed.Success = false
	if got := parseExposition(t, string(failed.text()))["churn_run_success"]; got != 0 {
		t.Errorf("failed run: churn_run_success = %v, want 0", got)
	}
}

func TestMetricsPush(t *testing.T) {
	var got struct {
		method, path, ctype, body string
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.method, got.path, got.ctype, got.body = r.Method, r.URL.Path, r.Header.Get("Content-Type"), string(b)
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	m := sampleMetrics()
	cfg := DefaultConfig()
	cfg.MetricsPush = srv.URL + "/"
	if err := writeRunMetrics(context.Background(), &cfg, m, zerolog.Nop()); err != nil {
		t.Fatalf("push: %v", err)
	}
	if got.method != http.MethodPut {
		t.Errorf("method %s, want PUT", got.method)
	}
	if got.path != "/metrics/job/churn" {
		t.Errorf("path %s, want /metrics/job/churn", got.path)
	}
	if !strings.HasPrefix(got.ctype, "text/plain") || !strings.Contains(got.ctype, "version=0.0.4") {
		t.Errorf("content type %q, want text/plain; version=0.0.4", got.ctype)
	}
	if got.body != string(m.text()) {
		t.Errorf("body differs from the metrics text:\n%s", got.body)
	}
	parseExposition(t, got.body)
}

func TestMetricsPushFailure(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "gateway is down", http.StatusInternalServerError)
	}))
	defer srv.Close()
	cfg := DefaultConfig()
	cfg.MetricsPush = srv.URL
	err := writeRunMetrics(context.Background(), &cfg, sampleMetrics(), zerolog.Nop())
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
	if err := writeRunMetrics(context.Background(), &cfg, failed, zerolog.Nop()); err != nil {
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

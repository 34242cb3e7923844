package metrics

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"churn/data"
	"churn/data/runs"
	"churn/internal/fsutil"
)

// Run is what a run exports in the Prometheus text format.
//
// The exposition follows Prometheus' practice for batch jobs: the results
// of a run (churn_last_success_timestamp_seconds, rows, customers,
// segments, drift) change only when a run succeeds, so that a failed night
// does not erase them and "time since the last good run" stays
// answerable; the outcome of the last run (churn_run_success, its duration
// and end) is recorded apart, by every run that got past the lock. The two
// sets share no metric name.
type Run struct {
	Success      bool
	Duration     time.Duration
	Finished     time.Time
	RowsRead     map[data.Table]int64
	RowsSkipped  map[string]int64
	Customers    int
	Segments     []runs.Segment
	ModelVersion string
	FeaturePSI   float64
	ScorePSI     float64
}

func gaugeHeader(b *bytes.Buffer, name, help string) {
	fmt.Fprintf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name)
}

// statusText renders the outcome of the last run, success or failure.
func (m *Run) statusText() []byte {
	var b bytes.Buffer
	success := 0
	if m.Success {
		success = 1
	}
	gaugeHeader(&b, "churn_run_success", "1 when the last run succeeded, 0 when it failed.")
	fmt.Fprintf(&b, "churn_run_success %d\n", success)
	gaugeHeader(&b, "churn_run_duration_seconds", "Wall time of the last run, successful or not.")
	fmt.Fprintf(&b, "churn_run_duration_seconds %.3f\n", m.Duration.Seconds())
	gaugeHeader(&b, "churn_run_finished_timestamp_seconds", "When the last run ended, successful or not, Unix time.")
	fmt.Fprintf(&b, "churn_run_finished_timestamp_seconds %d\n", m.Finished.Unix())
	return b.Bytes()
}

// resultText renders the results of a successful run, in a fixed order.
func (m *Run) resultText() []byte {
	var b bytes.Buffer
	gauge := func(name, help string) { gaugeHeader(&b, name, help) }
	gauge("churn_last_success_timestamp_seconds", "When the last successful run ended, Unix time.")
	fmt.Fprintf(&b, "churn_last_success_timestamp_seconds %d\n", m.Finished.Unix())
	gauge("churn_last_success_duration_seconds", "Wall time of the last successful run.")
	fmt.Fprintf(&b, "churn_last_success_duration_seconds %.3f\n", m.Duration.Seconds())
	gauge("churn_rows_read", "Rows read per input table by the last successful run.")
	for _, t := range data.Tables {
		if n, ok := m.RowsRead[t]; ok {
			fmt.Fprintf(&b, "churn_rows_read{table=\"%s\"} %d\n", labelValue(string(t)), n)
		}
	}
	gauge("churn_rows_skipped", "Rows skipped per table and reason by the last successful run.")
	keys := make([]string, 0, len(m.RowsSkipped))
	for k := range m.RowsSkipped {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t, reason, _ := strings.Cut(k, "/")
		fmt.Fprintf(&b, "churn_rows_skipped{table=\"%s\",reason=\"%s\"} %d\n", labelValue(string(t)), labelValue(reason), m.RowsSkipped[k])
	}
	gauge("churn_customers_scored", "Customers scored by the last successful run.")
	fmt.Fprintf(&b, "churn_customers_scored %d\n", m.Customers)
	gauge("churn_segment_customers", "Customers per segment in the last successful run.")
	for _, s := range m.Segments {
		fmt.Fprintf(&b, "churn_segment_customers{segment=\"%s\"} %d\n", labelValue(s.Segment), s.Customers)
	}
	gauge("churn_segment_value_at_risk", "Value at risk per segment in the last successful run.")
	for _, s := range m.Segments {
		fmt.Fprintf(&b, "churn_segment_value_at_risk{segment=\"%s\"} %g\n", labelValue(s.Segment), s.ValueAtRisk)
	}
	if m.ModelVersion != "" {
		gauge("churn_model_info", "The model version the last successful run used, as a label.")
		fmt.Fprintf(&b, "churn_model_info{version=\"%s\"} 1\n", labelValue(m.ModelVersion))
	}
	gauge("churn_feature_psi_max", "Largest population stability index of any feature against training.")
	fmt.Fprintf(&b, "churn_feature_psi_max %g\n", m.FeaturePSI)
	gauge("churn_score_psi", "Population stability index of the score against training.")
	fmt.Fprintf(&b, "churn_score_psi %g\n", m.ScorePSI)
	return b.Bytes()
}

// Target says where a run's metrics go: File, a Prometheus textfile
// (with its status file beside it, StatusFile), and Push, a Pushgateway
// URL. Either may be empty; both empty publishes nothing.
type Target struct {
	File string
	Push string
}

// StatusFile is the file beside a metrics file that holds the outcome of
// the last run: NAME.prom gives NAME_last_run.prom, so node_exporter's
// textfile collector (which reads *.prom) picks up both.
func StatusFile(metricsFile string) string {
	return strings.TrimSuffix(metricsFile, ".prom") + "_last_run.prom"
}

// Publish publishes a run's metrics as configured. A success writes
// the results file and then the status file (each atomically, for
// node_exporter's textfile collector) and replaces the Pushgateway group
// with both; a failure writes only the status file and adds its series to
// the group (push-add), leaving the last success's results in place.
func Publish(ctx context.Context, to Target, m *Run) error {
	status := m.statusText()
	if to.File != "" {
		if m.Success {
			if err := fsutil.WriteFile(to.File, m.resultText()); err != nil {
				return fmt.Errorf("metrics file %s: %w", to.File, err)
			}
		}
		if err := fsutil.WriteFile(StatusFile(to.File), status); err != nil {
			return fmt.Errorf("metrics file %s: %w", StatusFile(to.File), err)
		}
	}
	if to.Push != "" {
		method, body := http.MethodPost, status
		if m.Success {
			method, body = http.MethodPut, append(m.resultText(), status...)
		}
		if err := pushMetrics(ctx, to.Push, method, body); err != nil {
			return err
		}
	}
	return nil
}

// pushTimeout bounds a push so that an unreachable gateway cannot hold the
// nightly job.
const pushTimeout = 10 * time.Second

// pushMetrics sends body to the churn job's group on a Pushgateway: PUT
// replaces the group, POST replaces only the metrics of the names in body.
// url may be the gateway's base URL or a full /metrics/job/... path.
func pushMetrics(ctx context.Context, url, method string, body []byte) error {
	if !strings.Contains(url, "/metrics/job/") {
		url = strings.TrimRight(url, "/") + "/metrics/job/churn"
	}
	ctx, cancel := context.WithTimeout(ctx, pushTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, url, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("push metrics %s: %w", url, err)
	}
	req.Header.Set("Content-Type", "text/plain; version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("push metrics: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		return fmt.Errorf("push metrics %s: %s: %s", url, resp.Status, strings.TrimSpace(string(msg)))
	}
	return nil
}

// Write publishes a finished run's metrics; a failure to publish
// is logged, and fails the run only when the run itself succeeded.
func Write(ctx context.Context, to Target, m *Run, log zerolog.Logger) error {
	if to.File == "" && to.Push == "" {
		return nil
	}
	if err := Publish(ctx, to, m); err != nil {
		if m.Success {
			return err
		}
		log.Error().Err(err).Msg("metrics not published")
	}
	return nil
}

// labelEscaper escapes a label value as the Prometheus text format wants:
// backslash, double quote and line feed, and nothing else (Go's %q would
// also write \t and \x.. escapes, which the format does not know).
var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func labelValue(s string) string { return labelEscaper.Replace(strings.ToValidUTF8(s, "\uFFFD")) }

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/runners/prism"
	"github.com/rs/zerolog"

	"churn/data"
	"churn/data/runs"
	"churn/internal/nodetest"
	"churn/jobs"
)

// churnFeatures writes the feature table of `churn features` with these
// config and flags: jobs.Features, the function the churn command runs,
// with the same inputs. It is the reference every churn-beam answer is
// compared with.
func churnFeatures(t *testing.T, data, asOf, out string, cutoffs int) {
	t.Helper()
	cfg := jobs.DefaultConfig()
	cfg.Data = data
	if asOf != "" {
		at, err := jobs.ParseDate(asOf)
		if err != nil {
			t.Fatal(err)
		}
		cfg.AsOf = at
	}
	if _, err := jobs.Features(context.Background(), cfg, jobs.Env{Log: zerolog.Nop()}, out, cutoffs); err != nil {
		t.Fatalf("churn features: %v", err)
	}
}

// beamFeatures runs `churn-beam features` in this process.
func beamFeatures(t *testing.T, args ...string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), "features", args, &stdout, &stderr); code != exitOK {
		t.Fatalf("churn-beam features %s: exit %d\n%s", strings.Join(args, " "), code, tail(stderr.String(), 4000))
	}
}

func tail(s string, n int) string {
	if len(s) > n {
		return "..." + s[len(s)-n:]
	}
	return s
}

// sameTable fails unless the parts of the churn-beam table in dir hold
// exactly the rows of the churn feature table in file: the same columns,
// and, ordered by customer and cutoff, the same values, compared as the
// shortest decimal that reads back as each value (NaN as empty).
func sameTable(t *testing.T, dir, file string) int {
	t.Helper()
	want, err := data.ReadFeatureTableParquet(file)
	if err != nil {
		t.Fatal(err)
	}
	parts, err := filepath.Glob(filepath.Join(dir, "part-*.parquet"))
	if err != nil || len(parts) == 0 {
		t.Fatalf("no parts in %s (%v)", dir, err)
	}
	var got [][]string
	for _, p := range parts {
		tab, err := data.ReadFeatureTableParquet(p)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(tab.Columns, want.Columns) {
			t.Fatalf("%s: columns\n%v\nwant\n%v", p, tab.Columns, want.Columns)
		}
		got = append(got, tab.Rows...)
	}
	byKey := func(a, b []string) int {
		if c := strings.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return strings.Compare(a[1], b[1])
	}
	slices.SortFunc(got, byKey)
	slices.SortFunc(want.Rows, byKey)
	if len(got) != len(want.Rows) {
		t.Fatalf("%d rows, churn features wrote %d", len(got), len(want.Rows))
	}
	for i := range got {
		for j := range got[i] {
			if got[i][j] != want.Rows[i][j] {
				t.Fatalf("row %d (%s at %s), %s: %q, churn features %q", i, got[i][0], got[i][1], want.Columns[j], got[i][j], want.Rows[i][j])
			}
		}
	}
	return len(got)
}

// sameInDuckDB fails unless DuckDB, a reader that shares no code with
// churn's, finds the same rows, as multisets, in the files parts (a glob)
// and in file.
func sameInDuckDB(t *testing.T, parts, file string) {
	t.Helper()
	node := nodetest.Node(t, "@duckdb/node-api")
	out := nodetest.Run(t, node, "same.mjs", parts, file)
	var got struct {
		ARows int64 `json:"a_rows"`
		BRows int64 `json:"b_rows"`
		AOnly int64 `json:"a_only"`
		BOnly int64 `json:"b_only"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("same.mjs: %v: %s", err, out)
	}
	if got.ARows != got.BRows || got.AOnly != 0 || got.BOnly != 0 || got.ARows == 0 {
		t.Fatalf("DuckDB: churn-beam %d rows, churn %d; %d only in churn-beam's, %d only in churn's", got.ARows, got.BRows, got.AOnly, got.BOnly)
	}
}

// TestFeaturesPrismSample: on the embedded sample with three training
// cutoffs, churn-beam features on Prism in-process, in 3 customer ranges,
// every partial spilled to a file, writes exactly the rows and values of
// churn features (read by our reader and by DuckDB), and leaves no
// temporary folder behind, beside the table, in it (the spilled
// partials) or in the temporary folder; a second run, partials inline,
// replaces the table.
func TestFeaturesPrismSample(t *testing.T) {
	dir := t.TempDir()
	defer emptyTemp(t)()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	t.Setenv("HOME", dir)
	want := filepath.Join(dir, "churn.parquet")
	churnFeatures(t, "", "", want, 3)
	out := filepath.Join(dir, "beam")
	def := spillBytes
	defer func() { spillBytes = def }()
	spillBytes = 0 // every partial through a file
	beamFeatures(t, "--runner=prism", "--endpoint=", "--cutoffs", "3", "--ranges", "3", "--out", out)
	spillBytes = def
	n := sameTable(t, out, want)
	sameInDuckDB(t, filepath.Join(out, "part-*.parquet"), want)
	t.Logf("%d rows identical", n)
	left, _ := filepath.Glob(filepath.Join(dir, ".beam*"))
	if _, err := os.Stat(filepath.Join(out, spillFolder)); err == nil {
		left = append(left, filepath.Join(out, spillFolder))
	}
	if len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
	// A second run replaces the table whole.
	beamFeatures(t, "--runner=prism", "--endpoint=", "--ranges", "2", "--out", out)
	one := filepath.Join(dir, "one.parquet")
	churnFeatures(t, "", "", one, 0)
	sameTable(t, out, one)
}

// TestJobServerGenerated: on a generated dataset of 2,000 customers,
// submitted to a Prism job server (the universal runner, LOOPBACK workers:
// as for Flink or Spark), churn-beam features writes exactly the rows of
// churn features, and churn-beam run, with a model trained on the
// dataset, the run of churn run; neither leaves anything in the
// temporary folder (the Go SDK's beamloopbackworker-* placeholders).
func TestJobServerGenerated(t *testing.T) {
	dir := t.TempDir()
	defer emptyTemp(t)()
	ds := filepath.Join(dir, "data")
	end := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	if _, err := jobs.Generate(context.Background(), jobs.Env{Log: zerolog.Nop()},
		jobs.GenerateOptions{Customers: 2000, Days: 400, End: end, Seed: 7, Out: ds}); err != nil {
		t.Fatal(err)
	}
	want := filepath.Join(dir, "churn.parquet")
	churnFeatures(t, ds, "2026-06-01", want, 2)

	l, err := net.Listen("tcp", "localhost:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if _, err := prism.CreateJobServer(ctx, prism.Options{Port: port}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "beam")
	beamFeatures(t, "--runner=universal", fmt.Sprintf("--endpoint=localhost:%d", port), "--environment_type=LOOPBACK",
		"--data", ds, "--as-of", "2026-06-01", "--cutoffs", "2", "--ranges", "4", "--out", out)
	n := sameTable(t, out, want)
	sameInDuckDB(t, filepath.Join(out, "part-*.parquet"), want)
	t.Logf("%d rows identical", n)

	// churn-beam run on the same job server scores as churn run does,
	// with a model trained on the dataset.
	reg := filepath.Join(dir, "models")
	tcfg := runConfig(t, ds, "2026-06-01", reg, filepath.Join(dir, "train-out"))
	if _, err := jobs.Train(context.Background(), tcfg, jobs.Env{Log: zerolog.Nop()}); err != nil {
		t.Fatalf("churn train: %v", err)
	}
	wantRun := churnRun(t, ds, "2026-06-01", reg, filepath.Join(dir, "churn-out"))
	sum := beamRun(t, "--runner=universal", fmt.Sprintf("--endpoint=localhost:%d", port), "--environment_type=LOOPBACK",
		"--data", ds, "--as-of", "2026-06-01", "--ranges", "3", "--registry", reg, "--out", filepath.Join(dir, "beam-out"))
	sameRun(t, &sum, wantRun, 3)
	t.Logf("%d customers scored alike", sum.Customers)
}

// emptyTemp points TMPDIR at a new empty folder and returns the check, to
// defer, that the jobs run meanwhile left nothing in it (such as the Go
// SDK's beamloopbackworker-* placeholders).
func emptyTemp(t *testing.T) func() {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "tmp")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", dir)
	return func() {
		t.Helper()
		left, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range left {
			names = append(names, e.Name())
		}
		if len(names) > 0 {
			t.Errorf("left in the temporary folder: %v", names)
		}
	}
}

// TestFeaturesBadInput: a missing dataset, a missing --out and a
// negative --ranges exit 2 before any pipeline runs, for features and run,
// and so does run --explain-out, which a distributed run does not take.
func TestFeaturesBadInput(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), "features", []string{"--data", filepath.Join(dir, "none"), "--out", filepath.Join(dir, "o")}, &stdout, &stderr); code != exitInvalid {
		t.Errorf("missing dataset: exit %d, want 2\n%s", code, stderr.String())
	}
	stderr.Reset()
	if code := run(context.Background(), "features", nil, &stdout, &stderr); code != exitInvalid || !strings.Contains(stderr.String(), "--out") {
		t.Errorf("no --out: exit %d, want 2 naming --out\n%s", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "o")); err == nil {
		t.Errorf("a failed run created its output")
	}
	stderr.Reset()
	if code := run(context.Background(), "run", []string{"--data", filepath.Join(dir, "none"), "--out", filepath.Join(dir, "r"),
		"--registry", filepath.Join(dir, "models")}, &stdout, &stderr); code != exitInvalid {
		t.Errorf("run on a missing dataset: exit %d, want 2\n%s", code, stderr.String())
	}
	stderr.Reset()
	if code := run(context.Background(), "run", []string{"--ranges", "-1"}, &stdout, &stderr); code != exitInvalid || !strings.Contains(stderr.String(), "--ranges") {
		t.Errorf("run --ranges -1: exit %d, want 2 naming --ranges\n%s", code, stderr.String())
	}
	stderr.Reset()
	if code := run(context.Background(), "run", []string{"--explain-out", filepath.Join(dir, "shap.parquet"), "--out", filepath.Join(dir, "e"),
		"--registry", filepath.Join(dir, "models")}, &stdout, &stderr); code != exitInvalid || !strings.Contains(stderr.String(), "--explain-out") {
		t.Errorf("run --explain-out: exit %d, want 2 naming --explain-out\n%s", code, stderr.String())
	}
	if _, err := os.Stat(filepath.Join(dir, "e")); err == nil {
		t.Errorf("a refused run created its output")
	}
}

// churnRun runs jobs.Run, the function `churn run` runs, with these
// dataset, date, registry and output folder, and returns its summary.
func churnRun(t *testing.T, ds, asOf, registry, out string) *jobs.RunSummary {
	t.Helper()
	cfg := runConfig(t, ds, asOf, registry, out)
	sum, err := jobs.Run(context.Background(), cfg, jobs.Env{Log: zerolog.Nop()})
	if err != nil {
		t.Fatalf("churn run: %v", err)
	}
	return sum
}

func runConfig(t *testing.T, ds, asOf, registry, out string) jobs.Config {
	t.Helper()
	cfg := jobs.DefaultConfig()
	cfg.Data, cfg.Registry, cfg.Out = ds, registry, out
	if asOf != "" {
		at, err := jobs.ParseDate(asOf)
		if err != nil {
			t.Fatal(err)
		}
		cfg.AsOf = at
	}
	return cfg
}

// beamRun runs `churn-beam run` in this process and returns its summary.
func beamRun(t *testing.T, args ...string) jobs.RunSummary {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), "run", append([]string{"--json"}, args...), &stdout, &stderr); code != exitOK {
		t.Fatalf("churn-beam run %s: exit %d\n%s", strings.Join(args, " "), code, tail(stderr.String(), 4000))
	}
	var sum jobs.RunSummary
	if err := json.Unmarshal(stdout.Bytes(), &sum); err != nil {
		t.Fatalf("churn-beam run --json: %v: %s", err, stdout.String())
	}
	return sum
}

// sameRun fails unless the run of the churn-beam summary got holds the
// rows of the churn run of want, part after part (the same scores,
// reasons, values and segments, row for row, floats bit for bit), which
// DuckDB also reads as the same rows, one part per range (ranges), and a
// manifest and summary with the same figures.
func sameRun(t *testing.T, got, want *jobs.RunSummary, ranges int) {
	t.Helper()
	sameRunRows(t, got, want, ranges)
	sameInDuckDB(t, filepath.Join(got.Output, "part-*.parquet"), filepath.Join(want.Output, "part-00000.parquet"))
}

// sameRunRows is sameRun with our reader only, not DuckDB, and without
// comparing the manifests' keys skip.
func sameRunRows(t *testing.T, got, want *jobs.RunSummary, ranges int, skip ...string) {
	t.Helper()
	for _, name := range []string{"_SUCCESS", "manifest.json"} {
		if _, err := os.Stat(filepath.Join(got.Output, name)); err != nil {
			t.Fatalf("churn-beam run: %v", err)
		}
	}
	if len(got.Parts) != ranges {
		t.Errorf("churn-beam run wrote parts %v, want %d", got.Parts, ranges)
	}
	var rows [2][]data.OutColumn
	for k, sum := range []*jobs.RunSummary{got, want} {
		r, err := runs.Open(filepath.Dir(sum.Output), sum.AsOf)
		if err != nil {
			t.Fatal(err)
		}
		if k == 0 && !slices.Equal(r.Parts, got.Parts) {
			t.Errorf("manifest parts %v, summary %v", r.Parts, got.Parts)
		}
		if rows[k], err = r.Read(); err != nil {
			t.Fatal(err)
		}
	}
	if len(rows[0]) != len(rows[1]) {
		t.Fatalf("%d columns, churn run %d", len(rows[0]), len(rows[1]))
	}
	for j, w := range rows[1] {
		g := rows[0][j]
		if g.Name != w.Name || g.Kind != w.Kind || !slices.Equal(g.Strings, w.Strings) || len(g.Floats) != len(w.Floats) {
			t.Fatalf("column %d: churn-beam %s, churn run %s: differ", j, g.Name, w.Name)
		}
		for i := range w.Floats {
			if math.Float64bits(g.Floats[i]) != math.Float64bits(w.Floats[i]) {
				t.Fatalf("column %s, row %d: churn-beam %v, churn run %v", w.Name, i, g.Floats[i], w.Floats[i])
			}
		}
	}
	var gm, wm map[string]any
	for _, m := range []struct {
		dir string
		dst *map[string]any
	}{{got.Output, &gm}, {want.Output, &wm}} {
		b, err := os.ReadFile(filepath.Join(m.dir, "manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, m.dst); err != nil {
			t.Fatal(err)
		}
	}
	for _, k := range []string{"inputs", "rows_read", "rows_skipped", "values_fixed", "feature_families", "feature_catalog",
		"model_version", "customers_scored", "segments", "risk_thresholds", "value_models", "drift",
		"earlier_runs_evaluated", "earlier_run_not_evaluated"} {
		if slices.Contains(skip, k) {
			continue
		}
		gb, _ := json.Marshal(gm[k])
		wb, _ := json.Marshal(wm[k])
		if !bytes.Equal(gb, wb) {
			t.Errorf("manifest %s: churn-beam %s\nchurn run %s", k, tail(string(gb), 600), tail(string(wb), 600))
		}
	}
	if gb, wb := fmt.Sprint(got.Top, got.Segments, got.Customers), fmt.Sprint(want.Top, want.Segments, want.Customers); gb != wb {
		t.Errorf("summary: churn-beam %s\nchurn run %s", gb, wb)
	}
}

// TestRunPrismSample: on the embedded sample, churn-beam run on Prism
// in-process, in 3 customer ranges, writes the run churn run writes with
// the same model: three part files that hold churn run's rows in order,
// and the same counts, thresholds, value fits, drift and top list. Each
// run evaluates an earlier run of its own output folder, churn-beam's in
// two parts, alike.
func TestRunPrismSample(t *testing.T) {
	dir := t.TempDir()
	defer emptyTemp(t)()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	t.Setenv("HOME", dir)
	reg := filepath.Join(dir, "models")
	churnRun(t, "", "", reg, filepath.Join(dir, "train-out")) // trains the model first
	churnRun(t, "", "2026-07-01", reg, filepath.Join(dir, "churn-out"))
	beamRun(t, "--runner=prism", "--endpoint=", "--ranges", "2", "--as-of", "2026-07-01", "--registry", reg, "--out", filepath.Join(dir, "beam-out"))
	want := churnRun(t, "", "", reg, filepath.Join(dir, "churn-out"))
	if len(want.Segments) == 0 {
		t.Fatal("churn run: no segments")
	}
	sum := beamRun(t, "--runner=prism", "--endpoint=", "--ranges", "3", "--registry", reg, "--out", filepath.Join(dir, "beam-out"))
	if sum.TrainedFirst {
		t.Errorf("churn-beam run trained a model: the registry had one")
	}
	sameRun(t, &sum, want, 3)
	m, err := runs.Open(filepath.Join(dir, "beam-out"), sum.AsOf)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Manifest.Evaluations) != 1 {
		t.Errorf("churn-beam run evaluated %v (%s)", m.Manifest.Evaluations, m.Manifest.NotEvaluated)
	}
	left, _ := filepath.Glob(filepath.Join(dir, "beam-out", ".tmp-*"))
	if len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
	t.Logf("%d customers scored alike", sum.Customers)
}

package main

// Outside checks of the churn binary: the binary is built
// once in TestMain and driven as a subprocess, the way a scheduler drives
// it. Shared fixtures (a registry trained on the embedded sample, a
// generated dataset) are made once, lazily, and only read afterwards.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	"churn/data"
	"churn/data/runs"
	"churn/internal/fsutil"
)

var (
	churnBin string // the binary under test
	fixtures string // folder of the shared fixtures, removed at the end
)

func TestMain(m *testing.M) {
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "churn-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	fixtures = dir
	churnBin = filepath.Join(dir, "churn")
	build := exec.Command("go", "build", "-o", churnBin, "./cmd/churn")
	build.Dir = filepath.Join("..", "..") // the module root
	if out, err := build.CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "go build: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// result is what one invocation of the binary did.
type result struct {
	code           int
	stdout, stderr string
}

func (r result) String() string {
	return fmt.Sprintf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, lastLines(r.stderr, 15))
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// churnCmd returns the binary with args, run in dir, with the sample cache
// in the shared fixtures folder.
func churnCmd(dir string, args ...string) *exec.Cmd {
	cmd := exec.Command(churnBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "XDG_CACHE_HOME="+filepath.Join(fixtures, "cache"), "HOME="+filepath.Join(fixtures, "home"))
	return cmd
}

// churn runs the binary to completion.
func churn(t testing.TB, dir string, args ...string) result {
	t.Helper()
	cmd := churnCmd(dir, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("churn %s: %v", strings.Join(args, " "), err)
		}
		code = ee.ExitCode()
	}
	return result{code, stdout.String(), stderr.String()}
}

// once is a fixture made at most once, whose failure every user reports.
type once struct {
	sync.Once
	val string
	err error
}

func (o *once) get(t testing.TB, make func() (string, error)) string {
	t.Helper()
	o.Do(func() { o.val, o.err = make() })
	if o.err != nil {
		t.Fatalf("fixture: %v", o.err)
	}
	return o.val
}

var sampleFix, genFix once

// sampleRun runs `churn run` with no flags in an empty folder, once, and
// returns the folder: churn-out/ and churn-registry/ (a model trained on
// the sample) are inside, with the run's output in stdout.txt.
func sampleRun(t testing.TB) string {
	return sampleFix.get(t, func() (string, error) {
		dir := filepath.Join(fixtures, "sample-run")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return "", err
		}
		r := churn(t, dir)
		if r.code != 0 {
			return "", fmt.Errorf("churn run with no flags: %s", r)
		}
		if err := os.WriteFile(filepath.Join(dir, "stdout.txt"), []byte(r.stdout), 0o644); err != nil {
			return "", err
		}
		return dir, nil
	})
}

// registry is the sample-trained registry; tests only read it.
func registry(t testing.TB) string { return filepath.Join(sampleRun(t), "churn-registry") }

// genAsOf is the end of the generated dataset and the as-of of runs on it.
const genAsOf = "2026-11-01"

// generated is a synthetic dataset big enough that a run takes a few
// seconds: 800 customers over a year.
func generated(t testing.TB) string {
	return genFix.get(t, func() (string, error) {
		out := filepath.Join(fixtures, "gen800")
		r := churn(t, fixtures, "generate", "--customers", "800", "--days", "365", "--end", genAsOf, "--seed", "5", "--out", out)
		if r.code != 0 {
			return "", fmt.Errorf("churn generate: %s", r)
		}
		return out, nil
	})
}

// runGen runs `churn run` on the generated dataset into out.
func runGen(t testing.TB, out string, extra ...string) result {
	t.Helper()
	args := append([]string{"run", "--data", generated(t), "--registry", registry(t), "--out", out, "--as-of", genAsOf}, extra...)
	return churn(t, t.TempDir(), args...)
}

// reasonCode is the shape of a reason code: a family (spend and purchase
// for spending) and what happened, such as usage_decline.
var reasonCode = regexp.MustCompile(`^(usage|visits|support|nps|spend|purchase)_[a-z]+$`)

// manifest is a run's manifest, with the section that the job writes as
// raw JSON (inputs) decoded as these tests read it.
type manifest struct {
	runs.Manifest
	Inputs []struct {
		Table  string `json:"table"`
		Path   string `json:"path"`
		Rows   int64  `json:"rows"`
		SHA256 string `json:"sha256"`
	} `json:"inputs"`
}

func readManifest(t testing.TB, dir string) manifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, runs.ManifestFile))
	if err != nil {
		t.Fatalf("manifest: %v", err)
	}
	var m manifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("manifest %s: %v", dir, err)
	}
	return m
}

func column(t testing.TB, cols []data.OutColumn, name string) *data.OutColumn {
	t.Helper()
	for i := range cols {
		if cols[i].Name == name {
			return &cols[i]
		}
	}
	t.Fatalf("column %s missing from the output", name)
	return nil
}

// checkRunFolder reads a complete as_of= folder: the manifest names every
// part file, each part reads, has the contract columns and sane values,
// and the manifest's counts per segment match the rows. It returns the
// rows' segments counted.
func checkRunFolder(t testing.TB, dir string) map[string]int {
	t.Helper()
	m := readManifest(t, dir)
	if len(m.Parts) == 0 {
		t.Fatalf("%s: manifest names no part file", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "part-") && !slices.Contains(m.Parts, e.Name()) {
			t.Errorf("%s: part file %s is not named in the manifest %v", dir, e.Name(), m.Parts)
		}
	}
	if fi, err := os.Stat(filepath.Join(dir, runs.SuccessFile)); err != nil || fi.Size() != 0 {
		t.Errorf("%s: no empty %s marker: %v", dir, runs.SuccessFile, err)
	}
	counts := map[string]int{}
	rows := 0
	for _, p := range m.Parts {
		cols, err := data.ReadColumns(filepath.Join(dir, p))
		if err != nil {
			t.Fatalf("read part %s: %v", p, err)
		}
		for _, c := range runs.Columns {
			if got := column(t, cols, c.Name); got.Kind != c.Kind {
				t.Errorf("%s: column %s is %s, want %s", p, c.Name, got.Kind, c.Kind)
			}
		}
		ids := column(t, cols, "customer_id").Strings
		prob := column(t, cols, "churn_probability").Floats
		value := column(t, cols, "predicted_value").Floats
		var_ := column(t, cols, "value_at_risk").Floats
		seg := column(t, cols, "segment").Strings
		reasons := column(t, cols, "reasons").Strings
		codes := column(t, cols, "reason_codes").Strings
		risk := column(t, cols, "churn_risk").Strings
		versions := column(t, cols, "model_version").Strings
		for i := range cols {
			if cols[i].Name == "as_of" {
				t.Errorf("%s: part %s holds an as_of column besides the folder's Hive key", dir, p)
			}
		}
		rows += len(ids)
		for i := range ids {
			if math.IsNaN(prob[i]) || prob[i] < 0 || prob[i] > 1 {
				t.Errorf("%s row %d (%s): churn_probability %v, want in [0, 1]", p, i, ids[i], prob[i])
			}
			want := prob[i] * value[i]
			if math.Abs(var_[i]-want) > 1e-9*math.Max(1, math.Abs(want)) {
				t.Errorf("%s row %d (%s): value_at_risk %v, want churn_probability x predicted_value = %v", p, i, ids[i], var_[i], want)
			}
			if !slices.Contains(runs.Segments, seg[i]) {
				t.Errorf("%s row %d (%s): segment %q, want one of %v", p, i, ids[i], seg[i], runs.Segments)
			}
			if strings.TrimSpace(reasons[i]) == "" {
				t.Errorf("%s row %d (%s): empty reasons", p, i, ids[i])
			}
			if codes[i] != "" && len(strings.Split(codes[i], ";")) != len(strings.Split(reasons[i], "; ")) {
				t.Errorf("%s row %d (%s): codes %q do not pair with reasons %q", p, i, ids[i], codes[i], reasons[i])
			}
			for _, c := range strings.Split(codes[i], ";") {
				if codes[i] != "" && !reasonCode.MatchString(c) {
					t.Errorf("%s row %d (%s): reason code %q, want family_what", p, i, ids[i], c)
				}
			}
			if !slices.Contains([]string{"high", "medium", "low"}, risk[i]) {
				t.Errorf("%s row %d (%s): churn_risk %q", p, i, ids[i], risk[i])
			}
			if versions[i] != m.ModelVersion {
				t.Errorf("%s row %d: model_version %q, manifest says %q", p, i, versions[i], m.ModelVersion)
			}
		}
		for _, s := range seg {
			counts[s]++
		}
	}
	if m.Customers != rows {
		t.Errorf("%s: manifest says %d customers scored, the parts hold %d rows", dir, m.Customers, rows)
	}
	seen := map[string]bool{}
	for _, s := range m.Segments {
		seen[s.Segment] = true
		if counts[s.Segment] != s.Customers {
			t.Errorf("%s: manifest counts %d customers in %s, the parts hold %d", dir, s.Customers, s.Segment, counts[s.Segment])
		}
	}
	for s, n := range counts {
		if !seen[s] {
			t.Errorf("%s: %d rows in segment %s, which the manifest does not count", dir, n, s)
		}
	}
	return counts
}

func TestRunNoFlagsOnSample(t *testing.T) {
	t.Parallel()
	dir := sampleRun(t)
	runDir := runs.Dir(filepath.Join(dir, "churn-out"), "2026-11-01")
	for _, f := range []string{runs.PartFile, runs.ManifestFile} {
		if _, err := os.Stat(filepath.Join(runDir, f)); err != nil {
			t.Fatalf("churn run with no flags: %v", err)
		}
	}
	counts := checkRunFolder(t, runDir)
	m := readManifest(t, runDir)
	if m.AsOf != "2026-11-01" {
		t.Errorf("manifest as_of %q, want 2026-11-01", m.AsOf)
	}
	if m.Customers < 100 {
		t.Errorf("only %d customers scored on the sample", m.Customers)
	}
	if len(m.Inputs) < 6 {
		t.Errorf("manifest lists %d inputs, want the six tables of the sample", len(m.Inputs))
	}
	for _, in := range m.Inputs {
		if len(in.SHA256) != 64 || in.Rows <= 0 {
			t.Errorf("manifest input %+v: want a SHA-256 and a row count", in)
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "stdout.txt"))
	if err != nil {
		t.Fatal(err)
	}
	out := string(b)
	wantCustomers := fmt.Sprintf("%s customers scored", thousands(float64(m.Customers), 0))
	for _, want := range []string{wantCustomers, "as of 2026-11-01", "trained first", "value at risk", "Top 10 customers"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
	for s, n := range counts {
		if !strings.Contains(out, s) || !strings.Contains(out, thousands(float64(n), 0)) {
			t.Errorf("stdout does not show segment %s with %d customers:\n%s", s, n, out)
		}
	}
	// The top list: ten lines after its header, each naming a customer.
	_, top, ok := strings.Cut(out, "main reason\n")
	if !ok {
		t.Fatalf("stdout has no top list header:\n%s", out)
	}
	lines := 0
	for _, l := range strings.Split(top, "\n") {
		if strings.HasPrefix(l, "C") {
			lines++
		}
	}
	if lines != 10 {
		t.Errorf("top list has %d customer lines, want 10:\n%s", lines, top)
	}
}

// treeBytes maps every regular file under root (relative path) to its bytes.
func treeBytes(t testing.TB, root string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		b, err := os.ReadFile(path)
		files[rel] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestRunDeterministic(t *testing.T) {
	t.Parallel()
	a, b := t.TempDir(), t.TempDir()
	for _, out := range []string{a, b} {
		if r := runGen(t, out); r.code != 0 {
			t.Fatalf("run into %s: %s", out, r)
		}
	}
	name := filepath.Join(runs.Folder(genAsOf), runs.PartFile)
	pa, err := os.ReadFile(filepath.Join(a, name))
	if err != nil {
		t.Fatal(err)
	}
	pb, err := os.ReadFile(filepath.Join(b, name))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(pa, pb) {
		t.Errorf("two runs of one as-of wrote different part files (%d and %d bytes)", len(pa), len(pb))
	}
	checkRunFolder(t, runs.Dir(a, genAsOf))
}

func TestGenerateDeterministic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var trees []map[string][]byte
	for _, out := range []string{"a", "b"} {
		r := churn(t, dir, "generate", "--customers", "300", "--days", "120", "--end", "2026-06-01", "--seed", "11", "--out", out)
		if r.code != 0 {
			t.Fatalf("generate: %s", r)
		}
		trees = append(trees, treeBytes(t, filepath.Join(dir, out)))
	}
	if len(trees[0]) < 2 {
		t.Fatalf("generate wrote %d files, want a file per table", len(trees[0]))
	}
	if _, ok := trees[0][filepath.Join("customers", "part-00000.parquet")]; !ok {
		t.Errorf("generate wrote no customers/part-00000.parquet: %v", keys(trees[0]))
	}
	for name, b := range trees[0] {
		if !bytes.Equal(b, trees[1][name]) {
			t.Errorf("generate with one seed: %s differs between two runs", name)
		}
	}
	if len(trees[0]) != len(trees[1]) {
		t.Errorf("generate with one seed wrote %d then %d files", len(trees[0]), len(trees[1]))
	}
	// Another seed must change the data, or the check above proves nothing.
	r := churn(t, dir, "generate", "--customers", "300", "--days", "120", "--end", "2026-06-01", "--seed", "12", "--out", "c")
	if r.code != 0 {
		t.Fatalf("generate: %s", r)
	}
	c := treeBytes(t, filepath.Join(dir, "c"))
	name := filepath.Join("sessions", "part-00000.parquet")
	if bytes.Equal(c[name], trees[0][name]) {
		t.Errorf("generate with seeds 11 and 12 wrote the same %s", name)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// tmpLeftovers lists the .tmp-* entries of dir.
func tmpLeftovers(t testing.TB, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), fsutil.TempPrefix) {
			out = append(out, e.Name())
		}
	}
	return out
}

// copyTree copies the files of src into dst.
func copyTree(t testing.TB, src, dst string) {
	t.Helper()
	for rel, b := range treeBytes(t, src) {
		p := filepath.Join(dst, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestRunIdempotentAndAtomic(t *testing.T) {
	t.Parallel()
	out := t.TempDir()
	if r := runGen(t, out); r.code != 0 {
		t.Fatalf("first run: %s", r)
	}
	runDir := runs.Dir(out, genAsOf)
	first := treeBytes(t, runDir)
	if r := runGen(t, out); r.code != 0 {
		t.Fatalf("second run of the same as-of: %s", r)
	}
	second := treeBytes(t, runDir)
	if !bytes.Equal(first[runs.PartFile], second[runs.PartFile]) {
		t.Errorf("re-running the same as-of changed the part file")
	}
	if len(second) != 3 || second[runs.SuccessFile] == nil {
		t.Errorf("after a re-run the folder holds %v, want the part file, the manifest and %s", keys(second), runs.SuccessFile)
	}
	if left := tmpLeftovers(t, out); len(left) > 0 {
		t.Errorf("temporary files left after two good runs: %v", left)
	}

	// A dataset whose customers file is truncated: exit 2, nothing written,
	// the earlier good output untouched.
	bad := t.TempDir()
	copyTree(t, generated(t), bad)
	cust := filepath.Join(bad, "customers", "part-00000.parquet")
	b, err := os.ReadFile(cust)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cust, b[:len(b)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	for _, asOf := range []string{genAsOf, "2026-10-01"} {
		r := churn(t, t.TempDir(), "run", "--data", bad, "--registry", registry(t), "--out", out, "--as-of", asOf)
		if r.code != 2 {
			t.Fatalf("run on a truncated customers file, as of %s: %s, want exit 2", asOf, r)
		}
		if !strings.Contains(r.stderr, filepath.Join("customers", "part-00000.parquet")) {
			t.Errorf("run on a truncated file: stderr does not name the file:\n%s", lastLines(r.stderr, 5))
		}
	}
	if _, err := os.Stat(runs.Dir(out, "2026-10-01")); !os.IsNotExist(err) {
		t.Errorf("a failed run left as_of=2026-10-01 (stat: %v)", err)
	}
	if left := tmpLeftovers(t, out); len(left) > 0 {
		t.Errorf("a failed run left temporary files: %v", left)
	}
	after := treeBytes(t, runDir)
	for name, b := range second {
		if !bytes.Equal(b, after[name]) {
			t.Errorf("a failed run changed the earlier good output's %s", name)
		}
	}
}

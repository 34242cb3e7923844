package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"churn/data"
	"churn/data/runs"
	"churn/data/sample"
	"churn/internal/s3test"
)

// putFiles uploads files (relative key -> bytes) as bucket/prefix/KEY.
func putFiles(t *testing.T, srv *s3test.Server, bucket, prefix string, files map[string][]byte) {
	t.Helper()
	for k, b := range files {
		srv.Put(t, bucket, prefix+"/"+k, b)
	}
}

// sameRun holds the run of day under b equal to the one under a (each a
// folder or a bucket URL), row for row and column for column, and returns
// the number of rows.
func sameRun(t *testing.T, a, b, day string) int {
	t.Helper()
	read := func(out string) []data.OutColumn {
		t.Helper()
		r, err := runs.Open(out, day)
		if err != nil {
			t.Fatalf("open the run of %s under %s: %v", day, out, err)
		}
		cols, err := r.Read()
		if err != nil {
			t.Fatalf("read the run of %s under %s: %v", day, out, err)
		}
		return cols
	}
	ca, cb := read(a), read(b)
	if len(ca) != len(cb) || len(ca) == 0 {
		t.Fatalf("%d columns under %s, %d under %s", len(cb), b, len(ca), a)
	}
	rows := 0
	for i := range ca {
		x, y := ca[i], cb[i]
		if x.Name != y.Name || x.Kind != y.Kind {
			t.Fatalf("column %d: %s (%s) under %s, %s (%s) under %s", i, y.Name, y.Kind, b, x.Name, x.Kind, a)
		}
		// NaN != NaN: compare the values written out.
		ja, _ := json.Marshal([]any{x.Strings, x.Ints, x.Times, fmtFloats(x.Floats)})
		jb, _ := json.Marshal([]any{y.Strings, y.Ints, y.Times, fmtFloats(y.Floats)})
		if !bytes.Equal(ja, jb) {
			t.Errorf("column %s differs between %s and %s", x.Name, a, b)
		}
		rows = max(rows, len(x.Strings), len(x.Ints), len(x.Times), len(x.Floats))
	}
	return rows
}

func fmtFloats(fs []float64) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = strconv.FormatFloat(f, 'g', -1, 64)
	}
	return out
}

// TestRunAllInS3: churn run with --data, --registry and --out all on S3
// (gofakes3, the real protocol) writes the rows a run between folders
// writes, row for row, and churn lists --scores on the bucket writes the
// list it writes from the folder, line for line.
func TestRunAllInS3(t *testing.T) {
	srv := s3test.Start(t, "lake", "models", "scores")
	local, err := sample.Materialize(filepath.Join(t.TempDir(), "sample"))
	if err != nil {
		t.Fatal(err)
	}
	srv.PutDir(t, "lake", "histories", local)
	reg := registry(t)
	putFiles(t, srv, "models", "churn", folderFiles(t, reg))
	dir := t.TempDir()
	folderOut := filepath.Join(dir, "scores")
	if r := churn(t, dir, "run", "--data", local, "--registry", reg, "--out", folderOut, "--as-of", sample.End); r.code != 0 {
		t.Fatalf("run between folders: %s", r)
	}
	remoteOut := srv.URL("scores", "nightly")
	r := churn(t, dir, "run", "--data", srv.URL("lake", "histories"), "--registry", srv.URL("models", "churn"), "--out", remoteOut, "--as-of", sample.End)
	if r.code != 0 {
		t.Fatalf("run with everything on S3: %s", r)
	}
	if !strings.Contains(r.stdout, "s3://scores/nightly/as_of="+sample.End) {
		t.Errorf("the summary does not name the run's URL:\n%s", r.stdout)
	}
	if n := sameRun(t, folderOut, remoteOut, sample.End); n < 100 {
		t.Errorf("the runs hold %d rows, want the sample's customers", n)
	}
	if got := srv.Keys(t, "scores", "nightly/"); !reflect.DeepEqual(got, prefixed("nightly/as_of="+sample.End+"/", []string{"_SUCCESS", "manifest.json", runs.PartFile})) {
		t.Errorf("the bucket holds %v, want the run folder's three objects and no lock", got)
	}
	for _, args := range [][]string{
		{"--segment", "at_risk_high_value"}, // the README's command
		{"--top", "50", "--format", "json"},
		{"--risk", "high", "--format", "csv"},
	} {
		var lines [2][]string
		for i, scores := range []string{folderOut, remoteOut} {
			out := filepath.Join(dir, "list.csv")
			r := churn(t, dir, append([]string{"lists", "--scores", scores, "--out", out}, args...)...)
			if r.code != 0 {
				t.Fatalf("lists --scores %s %v: %s", scores, args, r)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			lines[i] = strings.Split(string(b), "\n")
		}
		if len(lines[0]) < 3 {
			t.Errorf("lists %v wrote %d lines from the folder, want a list", args, len(lines[0]))
		}
		if !reflect.DeepEqual(lines[0], lines[1]) {
			t.Errorf("lists %v: %d lines from S3, %d from the folder, or other lines", args, len(lines[1]), len(lines[0]))
		}
	}
}

// TestRunFileURLs: the README's trial of the bucket code path on one
// machine, churn run --data file:///... --out file:///..., writes the rows
// a run between folders writes, and lists reads them back.
func TestRunFileURLs(t *testing.T) {
	local, err := sample.Materialize(filepath.Join(t.TempDir(), "sample"))
	if err != nil {
		t.Fatal(err)
	}
	fileURL := func(p string) string { return "file:///" + strings.TrimPrefix(filepath.ToSlash(p), "/") }
	reg := registry(t)
	dir := t.TempDir()
	folderOut, urlOut := filepath.Join(dir, "folder"), filepath.Join(dir, "url")
	if r := churn(t, dir, "run", "--data", local, "--registry", reg, "--out", folderOut, "--as-of", sample.End); r.code != 0 {
		t.Fatalf("run between folders: %s", r)
	}
	if r := churn(t, dir, "run", "--data", fileURL(local), "--registry", reg, "--out", fileURL(urlOut), "--as-of", sample.End); r.code != 0 {
		t.Fatalf("run between file:// URLs: %s", r)
	}
	if n := sameRun(t, folderOut, fileURL(urlOut), sample.End); n < 100 {
		t.Errorf("the runs hold %d rows, want the sample's customers", n)
	}
	a := churn(t, dir, "lists", "--scores", folderOut, "--top", "20")
	b := churn(t, dir, "lists", "--scores", fileURL(urlOut), "--top", "20")
	if a.code != 0 || b.code != 0 || a.stdout != b.stdout {
		t.Errorf("lists from file:// %s\nwant, as from the folder, %s", b, a)
	}
}

// TestReadsRangedFromS3: churn features reads Parquet from a bucket with
// ranged GETs, several at once, and never the whole object: an events
// file made large by a column churn does not read is fetched once whole
// by the checksum's stream (8 MiB ranges) and otherwise only in the
// contract columns' chunks; the features are those read from the folder.
func TestReadsRangedFromS3(t *testing.T) {
	srv := s3test.Start(t, "lake")
	dir := t.TempDir()
	local := filepath.Join(dir, "wide")
	if err := os.CopyFS(local, os.DirFS(generated(t))); err != nil {
		t.Fatal(err)
	}
	events := filepath.Join(local, "events", "part-00000.parquet")
	cols, err := data.ReadColumns(events)
	if err != nil {
		t.Fatal(err)
	}
	n := len(cols[0].Strings)
	rng := rand.New(rand.NewPCG(7, 8))
	payload := make([]string, n)
	raw := make([]byte, 12<<20/n+1)
	for i := range payload {
		for j := range raw {
			raw[j] = byte(rng.Uint32())
		}
		payload[i] = hex.EncodeToString(raw)
	}
	cols = append(cols, data.OutColumn{Name: "payload", Kind: data.String, Strings: payload})
	if err := os.Remove(events); err != nil {
		t.Fatal(err)
	}
	if err := data.WriteParquet(events, cols, data.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(events)
	if err != nil {
		t.Fatal(err)
	}
	srv.PutDir(t, "lake", "d", local)
	key := "lake/d/events/part-00000.parquet"
	var outs [][]byte
	for _, src := range []string{local, srv.URL("lake", "d")} {
		srv.ResetGets()
		// A little latency, as a real store has, so that requests made
		// at once overlap.
		srv.Before(func(r *http.Request) { time.Sleep(3 * time.Millisecond) })
		outs = append(outs, featureTable(t, dir, src, genAsOf, "--workers", "2"))
		srv.Before(nil)
	}
	if !bytes.Equal(outs[0], outs[1]) {
		t.Errorf("the features read from S3 differ from those read from the folder")
	}
	gets, peak := srv.Gets()
	var served int64
	var count int
	for _, g := range gets {
		if !strings.HasSuffix(g.Key, ".parquet") {
			continue
		}
		if g.Range == "" {
			t.Errorf("a GET of all of %s, without a range", g.Key)
		}
		if g.Key == key {
			count++
			served += g.Bytes
			if g.Bytes >= fi.Size() {
				t.Errorf("a GET of %d bytes (%s) of the %d-byte %s: the whole object", g.Bytes, g.Range, fi.Size(), key)
			}
		}
	}
	// The manifest's checksum is the ETag of the listing, which reads
	// nothing; the reads of its contract columns, in every pass, come to
	// much less than its payload.
	if served > fi.Size()/4 {
		t.Errorf("served %d bytes of the %d-byte %s, want at most a quarter of its size", served, fi.Size(), key)
	}
	if peak < 2 {
		t.Errorf("at most %d GETs at once, want parallel ranged reads", peak)
	}
	t.Logf("%s: %d bytes, %d GETs serving %d bytes; %d GETs in all, %d at most at once", key, fi.Size(), count, served, len(gets), peak)
}

// TestHiveOnS3: a dataset whose tables sit under Hive key=value prefixes,
// with Spark's markers, hidden and temporary files beside them, gives on
// S3 and through file:// the features it gives in a folder, and the same
// as without the partitions.
func TestHiveOnS3(t *testing.T) {
	srv := s3test.Start(t, "lake")
	plain, err := sample.Materialize(filepath.Join(t.TempDir(), "sample"))
	if err != nil {
		t.Fatal(err)
	}
	hive := filepath.Join(t.TempDir(), "hive")
	moved := 0
	err = filepath.WalkDir(plain, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(plain, p)
		table, file, _ := strings.Cut(filepath.ToSlash(rel), "/")
		dst := filepath.Join(hive, table, "source=crm", "load_date=2026-11-01", file)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		moved++
		return os.WriteFile(dst, b, 0o644)
	})
	if err != nil || moved == 0 {
		t.Fatalf("partition the sample: %d files, %v", moved, err)
	}
	for _, junk := range []string{"sessions/_SUCCESS", "sessions/source=crm/_SUCCESS", "events/source=crm/load_date=2026-11-01/.part-00000.parquet.crc",
		"events/_temporary/0/part-00009.parquet", "orders/.staging/part-00001.parquet", "orders/source=crm/_committed_123"} {
		p := filepath.Join(hive, filepath.FromSlash(junk))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("not parquet: readers must skip this"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	srv.PutDir(t, "lake", "hive", hive)
	dir := t.TempDir()
	var outs [][]byte
	srcs := []string{plain, hive, srv.URL("lake", "hive"), "file://" + filepath.ToSlash(hive)}
	for _, src := range srcs {
		outs = append(outs, featureTable(t, dir, src, sample.End))
	}
	for i := 1; i < len(outs); i++ {
		if !bytes.Equal(outs[i], outs[0]) {
			t.Errorf("features from %s differ from those of the unpartitioned folder", srcs[i])
		}
	}
}

// TestEarlierRunOnS3: a run into a bucket evaluates the latest earlier
// run there whose horizon has passed, and only one with _SUCCESS: once
// that marker is gone (a run being uploaded looks so), the earlier run is
// neither evaluated nor listed. When the bucket refuses the listing of
// the runs, the run still scores and its manifest says why nothing was
// evaluated.
func TestEarlierRunOnS3(t *testing.T) {
	srv := s3test.Start(t, "scores")
	local, err := sample.Materialize(filepath.Join(t.TempDir(), "sample"))
	if err != nil {
		t.Fatal(err)
	}
	reg := registry(t)
	dir := t.TempDir()
	remote := srv.URL("scores", "nightly")
	const early = "2026-07-01"
	var m runs.Manifest
	evaluated := func() []string {
		t.Helper()
		r := churn(t, dir, "run", "--data", local, "--registry", reg, "--out", remote, "--as-of", sample.End)
		if r.code != 0 {
			t.Fatalf("run as of %s: %s", sample.End, r)
		}
		b, ok := srv.Get(t, "scores", "nightly/as_of="+sample.End+"/manifest.json")
		if !ok {
			t.Fatal("no manifest")
		}
		m = runs.Manifest{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		var days []string
		for _, e := range m.Evaluations {
			days = append(days, e.AsOf)
		}
		return days
	}
	if r := churn(t, dir, "run", "--data", local, "--registry", reg, "--out", remote, "--as-of", early); r.code != 0 {
		t.Fatalf("run as of %s: %s", early, r)
	}
	if got := evaluated(); !reflect.DeepEqual(got, []string{early}) {
		t.Errorf("the run evaluated %v, want the finished run of %s", got, early)
	}
	if m.NotEvaluated != "" {
		t.Errorf("earlier_run_not_evaluated %q after an evaluation that ran", m.NotEvaluated)
	}
	// The listing of every run (prefix nightly/) is denied; the run's own
	// upload lists only its temporary prefix and its folder.
	srv.Deny(func(r *http.Request) bool {
		return r.Method == http.MethodGet && r.URL.Query().Has("list-type") && r.URL.Query().Get("prefix") == "nightly/"
	})
	got := evaluated()
	srv.Deny(nil)
	if len(got) != 0 {
		t.Errorf("the run evaluated %v with the listing denied", got)
	}
	for _, want := range []string{"s3://scores/nightly", "AccessDenied"} {
		if !strings.Contains(m.NotEvaluated, want) {
			t.Errorf("earlier_run_not_evaluated %q does not say %q", m.NotEvaluated, want)
		}
	}
	srv.Delete(t, "scores", "nightly/as_of="+early+"/_SUCCESS")
	if got := evaluated(); len(got) != 0 || m.NotEvaluated != "" {
		t.Errorf("the run evaluated %v (not evaluated: %q), want nothing and no failure: the run of %s has no _SUCCESS", got, m.NotEvaluated, early)
	}
	if r := churn(t, dir, "lists", "--scores", remote, "--as-of", early); r.code != 2 || !strings.Contains(r.stderr, "no run of "+early) {
		t.Errorf("lists of the run without _SUCCESS: %s; want exit 2, no run of %s", r, early)
	}
}

// noGCPCredentials leaves Application Default Credentials nothing to
// find but the metadata server, which is not there: no key file, an empty
// gcloud configuration.
func noGCPCredentials(t *testing.T) {
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", "")
	t.Setenv("CLOUDSDK_CONFIG", t.TempDir())
	t.Setenv("GCE_METADATA_HOST", "")
}

// TestRunFromS3BadInput: each way the data's bucket can fail during churn
// run, with the scores going to another bucket, gives an error naming the
// URL, exit 2 for what the user must fix (at once, whatever the
// store) and 1 for what a retry may fix, and leaves nothing in the scores
// bucket (no run, no _SUCCESS, no lock).
// Throttling that stops within the retries costs nothing: the run
// succeeds with the scores of a run from the folder.
func TestRunFromS3BadInput(t *testing.T) {
	lake := s3test.Start(t, "lake")
	scores := s3test.Start(t, "scores")
	local, err := sample.Materialize(filepath.Join(t.TempDir(), "sample"))
	if err != nil {
		t.Fatal(err)
	}
	lake.PutDir(t, "lake", "h", local)
	lake.Put(t, "lake", "empty/README.txt", []byte("no tables here"))
	reg := registry(t)
	dir := t.TempDir()
	out := scores.URL("scores", "nightly")
	events := "h/events/part-00000.parquet"
	if _, ok := lake.Get(t, "lake", events); !ok {
		t.Fatalf("the sample has no %s: %v", events, lake.Keys(t, "lake", "h/"))
	}
	var once sync.Once
	for _, c := range []struct {
		name  string
		data  string
		setup func(t *testing.T)
		code  int
		says  []string
	}{
		{"a prefix with no tables", lake.URL("lake", "empty"), nil, 2, []string{"s3://lake/empty", "no dataset"}},
		{"no such bucket", lake.URL("nolake", "h"), nil, 2, []string{"s3://nolake/h", "does the bucket exist"}},
		{"unreachable endpoint", "s3://lake/h?endpoint=http://127.0.0.1:1&use_path_style=true&disable_https=true", nil, 1,
			[]string{"s3://lake/h", "connection refused", "store unavailable"}},
		{"throttled past the retries", lake.URL("lake", "h"), func(t *testing.T) { lake.Throttle(1 << 30); t.Cleanup(func() { lake.Throttle(0) }) }, 1,
			[]string{"s3://lake/h", "SlowDown", "store unavailable"}},
		{"gcs without credentials", "gs://lake/h", noGCPCredentials, 2, []string{"gs://lake/h", "credentials"}},
		{"reads of one object failing past the retries", lake.URL("lake", "h"), func(t *testing.T) {
			lake.Reject(func(r *http.Request) bool {
				return r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, events) && r.Header.Get("Range") != ""
			})
			t.Cleanup(func() { lake.Reject(nil) })
		}, 1, []string{"s3://lake/" + events, "InternalError", "store unavailable"}},
		{"an object deleted between listing and reading", lake.URL("lake", "h"), func(t *testing.T) {
			body, _ := lake.Get(t, "lake", events)
			lake.Before(func(r *http.Request) {
				if r.Method == http.MethodGet && r.URL.Query().Has("list-type") {
					return // the listing sees it
				}
				once.Do(func() { lake.Delete(t, "lake", events) })
			})
			t.Cleanup(func() { lake.Before(nil); lake.Put(t, "lake", events, body) })
		}, 1, []string{"s3://lake/" + events, "disappeared after it was listed"}},
		{"an object replaced between listing and reading", lake.URL("lake", "h"), func(t *testing.T) {
			body, _ := lake.Get(t, "lake", events)
			other, _ := lake.Get(t, "lake", "h/customers/part-00000.parquet")
			var replace sync.Once
			lake.Before(func(r *http.Request) {
				if r.Method == http.MethodGet && r.URL.Query().Has("list-type") {
					return
				}
				replace.Do(func() { lake.Put(t, "lake", events, other) })
			})
			t.Cleanup(func() { lake.Before(nil); lake.Put(t, "lake", events, body) })
		}, 1, []string{"s3://lake/" + events, "replaced by other content"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.setup != nil {
				c.setup(t)
			}
			start := time.Now()
			r := churn(t, dir, "run", "--data", c.data, "--registry", reg, "--out", out, "--as-of", sample.End)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d: %s", r.code, c.code, r)
			}
			if took := time.Since(start); c.code == 2 && took > 15*time.Second {
				t.Errorf("took %v to refuse what the user must fix", took)
			}
			for _, want := range c.says {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr does not say %q:\n%s", want, lastLines(r.stderr, 5))
				}
			}
			if keys := scores.Keys(t, "scores", "nightly/"); len(keys) != 0 {
				t.Errorf("the failed run left %v in the scores bucket", keys)
			}
		})
	}

	t.Run("scores to gcs without credentials", func(t *testing.T) {
		noGCPCredentials(t)
		start := time.Now()
		r := churn(t, dir, "run", "--data", local, "--registry", reg, "--out", "gs://scores/nightly", "--as-of", sample.End)
		if r.code != 2 || !strings.Contains(r.stderr, "gs://scores/nightly") || !strings.Contains(r.stderr, "credentials") {
			t.Errorf("run --out gs:// without credentials: %s; want exit 2 naming the URL and the credentials", r)
		}
		if took := time.Since(start); took > 15*time.Second {
			t.Errorf("took %v to refuse missing credentials", took)
		}
	})

	t.Run("throttled within the retries", func(t *testing.T) {
		folder := filepath.Join(t.TempDir(), "scores")
		if r := churn(t, dir, "run", "--data", local, "--registry", reg, "--out", folder, "--as-of", sample.End); r.code != 0 {
			t.Fatalf("run from the folder: %s", r)
		}
		// Every 13th distinct request (method, object, range) is
		// answered 503 SlowDown three times before it is served: no
		// request is refused more often than the retries allow, however
		// many are in flight.
		var mu sync.Mutex
		seen := 0
		refused := map[string]int{} // request -> refusals; absent: never refused
		lake.ThrottleIf(func(r *http.Request) bool {
			mu.Lock()
			defer mu.Unlock()
			key := r.Method + " " + r.URL.Path + " " + r.Header.Get("Range")
			n, ok := refused[key]
			if !ok {
				if seen++; seen%13 != 0 {
					refused[key] = 3
					return false
				}
			}
			if n >= 3 {
				return false
			}
			refused[key] = n + 1
			return true
		})
		defer lake.ThrottleIf(nil)
		r := churn(t, dir, "run", "--data", lake.URL("lake", "h"), "--registry", reg, "--out", out, "--as-of", sample.End)
		if r.code != 0 {
			t.Fatalf("run throttled within the retries: %s", r)
		}
		mu.Lock()
		if seen < 26 {
			t.Errorf("only %d requests: the throttling was not exercised", seen)
		}
		mu.Unlock()
		if n := sameRun(t, folder, out, sample.End); n == 0 {
			t.Errorf("no rows")
		}
	})
}

// TestListsFromS3Failing: churn lists exits 1 when the bucket fails while
// it reads a run (a retry may succeed) and names the object.
func TestListsFromS3Failing(t *testing.T) {
	srv := s3test.Start(t, "scores")
	srv.PutDir(t, "scores", "nightly", filepath.Join(sampleRun(t), "churn-out"))
	remote := srv.URL("scores", "nightly")
	part := "nightly/as_of=" + sample.End + "/" + runs.PartFile
	t.Run("throttled past the retries", func(t *testing.T) {
		srv.Reject(func(r *http.Request) bool { return strings.HasSuffix(r.URL.Path, part) })
		defer srv.Reject(nil)
		r := churn(t, t.TempDir(), "lists", "--scores", remote)
		if r.code != 1 || !strings.Contains(r.stderr, "s3://scores/"+part) || !strings.Contains(r.stderr, "store unavailable") {
			t.Errorf("lists whose part cannot be read: %s; want exit 1 naming it", r)
		}
	})
	t.Run("part deleted after listing", func(t *testing.T) {
		body, _ := srv.Get(t, "scores", part)
		var once sync.Once
		srv.Before(func(r *http.Request) {
			if strings.HasSuffix(r.URL.Path, "/manifest.json") {
				once.Do(func() { srv.Delete(t, "scores", part) })
			}
		})
		defer func() { srv.Before(nil); srv.Put(t, "scores", part, body) }()
		r := churn(t, t.TempDir(), "lists", "--scores", remote)
		if r.code != 1 || !strings.Contains(r.stderr, "s3://scores/"+part) || !strings.Contains(r.stderr, "disappeared") {
			t.Errorf("lists whose part vanished: %s; want exit 1 naming it", r)
		}
	})
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/rs/zerolog"

	"churn/data/runs"
	"churn/data/sample"
	"churn/internal/s3test"
	"churn/jobs"
)

// download copies every object of bucket under prefix into dir, keeping
// the keys below prefix as paths, and returns the keys.
func download(t *testing.T, srv *s3test.Server, bucket, prefix, dir string) []string {
	t.Helper()
	keys := srv.Keys(t, bucket, prefix+"/")
	for _, k := range keys {
		b, ok := srv.Get(t, bucket, k)
		if !ok {
			t.Fatalf("%s/%s listed but gone", bucket, k)
		}
		p := filepath.Join(dir, filepath.FromSlash(strings.TrimPrefix(k, prefix+"/")))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// hidden returns the keys of bucket that a reader skips (a name starting
// with "."): what a commit left of its temporary prefix.
func hidden(t *testing.T, srv *s3test.Server, bucket string) []string {
	t.Helper()
	var left []string
	for _, k := range srv.Keys(t, bucket, "") {
		for _, name := range strings.Split(k, "/") {
			if strings.HasPrefix(name, ".") {
				left = append(left, k)
				break
			}
		}
	}
	return left
}

// TestBucketPrism: the embedded sample in an S3 bucket (gofakes3, the
// real protocol, in this process), the model registry in another, on
// Prism in-process: churn-beam features, its table written into the
// bucket (every partial spilled to the launcher's temporary folder),
// gives exactly the rows of churn features on the sample's folder, and
// churn-beam run, its run written into the bucket, the rows and figures
// of churn run on the folder with the same registry; each committed with
// a manifest and _SUCCESS, nothing left under a temporary prefix or in
// the temporary folder.
func TestBucketPrism(t *testing.T) {
	dir := t.TempDir()
	defer emptyTemp(t)()
	t.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	srv := s3test.Start(t, "lake", "models")
	local, err := sample.Materialize(filepath.Join(dir, "sample"))
	if err != nil {
		t.Fatal(err)
	}
	srv.PutDir(t, "lake", "histories", local)
	remote := srv.URL("lake", "histories")

	want := filepath.Join(dir, "churn.parquet")
	churnFeatures(t, local, sample.End, want, 2)
	def := spillBytes
	defer func() { spillBytes = def }()
	spillBytes = 0
	beamFeatures(t, "--runner=prism", "--endpoint=", "--data", remote, "--as-of", sample.End, "--cutoffs", "2",
		"--ranges", "2", "--out", srv.URL("lake", "features"))
	spillBytes = def
	table := filepath.Join(dir, "features")
	keys := download(t, srv, "lake", "features", table)
	if len(keys) != 4 || keys[len(keys)-1] != "features/part-00001.parquet" {
		t.Errorf("the table in the bucket holds %v, want _SUCCESS, manifest.json and two parts", keys)
	}
	if _, err := os.Stat(filepath.Join(table, "_SUCCESS")); err != nil {
		t.Errorf("the table has no _SUCCESS: %v", err)
	}
	t.Logf("%d rows identical", sameTable(t, table, want))

	// With --temp_location a bucket URL, what the steps hand each other
	// (the spilled partials, the manifest; for the run below its spilled
	// ranges and results too) goes through a prefix of the bucket, as on
	// Dataflow, whose workers share no folder: the same rows, the spills
	// read back from the bucket, nothing left under the prefix.
	defer flag.Set("temp_location", "")
	tempLoc := "--temp_location=" + srv.URL("lake", "tmp")
	srv.ResetGets()
	spillBytes = 0
	beamFeatures(t, "--runner=prism", "--endpoint=", tempLoc, "--data", remote, "--as-of", sample.End, "--cutoffs", "2",
		"--ranges", "2", "--out", srv.URL("lake", "features-temp"))
	spillBytes = def
	throughBucket(t, srv, "features")
	table = filepath.Join(dir, "features-temp")
	download(t, srv, "lake", "features-temp", table)
	sameTable(t, table, want)

	reg := srv.URL("models", "churn")
	cfg := runConfig(t, local, sample.End, reg, filepath.Join(dir, "train-out"))
	if _, err := jobs.Train(context.Background(), cfg, jobs.Env{Log: zerolog.Nop()}); err != nil {
		t.Fatalf("churn train --registry %s: %v", reg, err)
	}
	wantRun := churnRun(t, local, sample.End, reg, filepath.Join(dir, "churn-out"))
	srv.ResetGets()
	sum := beamRun(t, "--runner=prism", "--endpoint=", tempLoc, "--data", remote, "--as-of", sample.End, "--ranges", "3",
		"--registry", reg, "--out", srv.URL("lake", "scores"))
	throughBucket(t, srv, "run")
	if want := "s3://lake/scores/" + runs.Folder(sample.End); sum.Output != want {
		t.Errorf("churn-beam run wrote %s, want %s", sum.Output, want)
	}
	got := sum
	got.Output = filepath.Join(dir, "beam-out", runs.Folder(sample.End))
	download(t, srv, "lake", "scores/"+runs.Folder(sample.End), got.Output)
	// The inputs' checksums are the bucket's ETags, not SHA-256s: the
	// rest of each input is compared.
	sameRunRows(t, &got, wantRun, 3, "inputs")
	var gm, wm struct{ Inputs []jobs.InputFile }
	for _, m := range []struct {
		dir string
		dst any
	}{{got.Output, &gm}, {wantRun.Output, &wm}} {
		b, err := os.ReadFile(filepath.Join(m.dir, "manifest.json"))
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, m.dst); err != nil {
			t.Fatal(err)
		}
	}
	if len(gm.Inputs) != len(wm.Inputs) || len(gm.Inputs) == 0 {
		t.Fatalf("inputs: %d from the bucket, %d from the folder", len(gm.Inputs), len(wm.Inputs))
	}
	for i, in := range gm.Inputs {
		w := wm.Inputs[i]
		if !strings.HasPrefix(in.StoreChecksum, "etag:") || in.SHA256 != "" {
			t.Errorf("input %s: checksum %q, sha256 %q; want the listing's ETag", in.Path, in.StoreChecksum, in.SHA256)
		}
		in.StoreChecksum, w.SHA256 = "", ""
		if in != w {
			t.Errorf("input %d: %+v from the bucket, %+v from the folder", i, in, w)
		}
	}
	if left := hidden(t, srv, "lake"); len(left) > 0 {
		t.Errorf("left under temporary prefixes: %v", left)
	}
	t.Logf("%d customers scored alike", sum.Customers)

	// A bucket that does not exist, as --data or as --out: exit 2, naming it.
	refused(t, "run", "s3://nobucket/histories", "--data", srv.URL("nobucket", "histories"), "--out", filepath.Join(dir, "r"), "--registry", reg)
	refused(t, "run", "s3://nobucket/scores", "--data", remote, "--out", srv.URL("nobucket", "scores"), "--registry", reg)
}

// throughBucket holds a job run with --temp_location s3://lake/tmp to have
// read what its steps handed each other (a spilled partial, the manifest
// or the run's results) from a prefix of its own there, and to have left
// nothing under it.
func throughBucket(t *testing.T, srv *s3test.Server, cmd string) {
	t.Helper()
	gets, _ := srv.Gets()
	read := map[string]int{}
	for _, g := range gets {
		rest, ok := strings.CutPrefix(g.Key, "lake/tmp/churn-beam-")
		if !ok || g.Status != http.StatusOK {
			continue
		}
		_, name, _ := strings.Cut(rest, "/")
		read[strings.SplitN(name, "/", 2)[0]]++
	}
	want := []string{spillFolder, jobs.FeaturesManifestName}
	if cmd == "run" {
		want = []string{spillFolder, rangesFolder, finishFile}
	}
	for _, w := range want {
		if read[w] == 0 {
			t.Errorf("churn-beam %s --temp_location: nothing read from the bucket's %s (read %v)", cmd, w, read)
		}
	}
	if left := srv.Keys(t, "lake", "tmp/"); len(left) > 0 {
		t.Errorf("churn-beam %s --temp_location: left in the bucket: %v", cmd, left)
	}
}

// TestBucketBadInput: for churn-beam features, a bucket that does not
// exist, as --data or --out, and a prefix that holds no tables exit 2 with
// an error that names the URL, before any pipeline runs; so does --out a
// prefix that holds something other than a feature table, which is left
// as it was, and so does a bucket without credentials. (TestBucketPrism
// checks churn-beam run's.)
func TestBucketBadInput(t *testing.T) {
	dir := t.TempDir()
	srv := s3test.Start(t, "lake")
	local, err := sample.Materialize(filepath.Join(dir, "sample"))
	if err != nil {
		t.Fatal(err)
	}
	srv.PutDir(t, "lake", "histories", local)
	srv.Put(t, "lake", "other/notes.txt", []byte("keep me"))
	noBucket := srv.URL("nobucket", "histories")
	for _, c := range []struct {
		args []string
		name string // what stderr must name
	}{
		{[]string{"--data", noBucket, "--out", filepath.Join(dir, "f")}, "s3://nobucket/histories"},
		{[]string{"--data", srv.URL("lake", "empty"), "--out", filepath.Join(dir, "f")}, "s3://lake/empty"},
		{[]string{"--data", srv.URL("lake", "histories"), "--out", srv.URL("nobucket", "f")}, "s3://nobucket/f"},
		{[]string{"--data", srv.URL("lake", "histories"), "--out", srv.URL("lake", "other")}, "s3://lake/other"},
	} {
		refused(t, "features", c.name, c.args...)
	}
	if b, ok := srv.Get(t, "lake", "other/notes.txt"); !ok || string(b) != "keep me" {
		t.Errorf("a refused --out lost its object: %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "f")); err == nil {
		t.Errorf("a refused command created its --out")
	}
	// No credentials anywhere in the AWS default chain.
	s3test.ClearCredentials(t)
	refused(t, "features", "s3://lake/histories", "--data", srv.URL("lake", "histories"), "--out", filepath.Join(dir, "f"))
}

// refused fails unless churn-beam cmd with args exits 2 naming name.
func refused(t *testing.T, cmd, name string, args ...string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), cmd, append([]string{"--runner=prism", "--endpoint="}, args...), &stdout, &stderr)
	if code != exitInvalid || !strings.Contains(stderr.String(), name) {
		t.Errorf("churn-beam %s %s: exit %d, want 2 naming %s\n%s", cmd, strings.Join(args, " "), code, name, tail(stderr.String(), 2000))
	}
}

// TestBucketObjectGone: a history file deleted from the bucket after the
// job listed it (at its worker's first request for it: the launcher
// reads no orders file) fails churn-beam features with exit 1, which a
// retry may fix, naming the object's URL, and leaves nothing in --out,
// a bucket prefix: neither a table nor a temporary prefix.
func TestBucketObjectGone(t *testing.T) {
	dir := t.TempDir()
	defer emptyTemp(t)()
	srv := s3test.Start(t, "lake")
	local, err := sample.Materialize(filepath.Join(dir, "sample"))
	if err != nil {
		t.Fatal(err)
	}
	srv.PutDir(t, "lake", "histories", local)
	var gone string
	var once sync.Once
	srv.Before(func(r *http.Request) {
		if key, ok := strings.CutPrefix(r.URL.Path, "/lake/"); ok && strings.HasPrefix(key, "histories/orders/") {
			once.Do(func() {
				gone = key
				srv.Delete(t, "lake", key)
			})
		}
	})
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), "features", []string{"--runner=prism", "--endpoint=", "--data", srv.URL("lake", "histories"),
		"--out", srv.URL("lake", "features")}, &stdout, &stderr)
	srv.Before(nil)
	if gone == "" {
		t.Fatal("no orders file was requested")
	}
	if code != exitFailed || !strings.Contains(stderr.String(), "s3://lake/"+gone) {
		t.Errorf("an object deleted during the job: exit %d, want 1 naming s3://lake/%s\n%s", code, gone, tail(stderr.String(), 3000))
	}
	if keys := srv.Keys(t, "lake", "features"); len(keys) > 0 {
		t.Errorf("a failed job left %v", keys)
	}
	if left := hidden(t, srv, "lake"); len(left) > 0 {
		t.Errorf("a failed job left %v", left)
	}
}

package main

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"

	"churn/data/runs"
	"churn/data/sample"
	"churn/data/store"
	"churn/internal/s3test"
)

// featureTable runs churn features on src as of asOf, with any further
// flags, in dir and returns the feature table's bytes; a failing command
// fails the test.
func featureTable(t *testing.T, dir, src, asOf string, flags ...string) []byte {
	t.Helper()
	out := filepath.Join(dir, "features.parquet")
	if r := churn(t, dir, append([]string{"features", "--data", src, "--as-of", asOf, "--out", out}, flags...)...); r.code != 0 {
		t.Fatalf("features --data %s: %s", src, r)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestDataFromS3 reads the embedded sample from an S3 endpoint (gofakes3,
// the real protocol, in this process) and from a folder: churn features
// and churn run write the same bytes from both.
func TestDataFromS3(t *testing.T) {
	srv := s3test.Start(t, "lake")
	local, err := sample.Materialize(filepath.Join(t.TempDir(), "sample"))
	if err != nil {
		t.Fatal(err)
	}
	srv.PutDir(t, "lake", "histories/v1", local)
	remote := srv.URL("lake", "histories/v1")
	reg := registry(t)

	t.Run("features", func(t *testing.T) {
		dir := t.TempDir()
		var outs [][]byte
		for _, data := range []string{local, remote} {
			outs = append(outs, featureTable(t, dir, data, sample.End))
		}
		if !bytes.Equal(outs[0], outs[1]) {
			t.Errorf("features from S3 (%d bytes) differ from features from the folder (%d bytes)", len(outs[1]), len(outs[0]))
		}
	})

	t.Run("run", func(t *testing.T) {
		dir := t.TempDir()
		var runs []string
		for i, data := range []string{local, remote} {
			out := filepath.Join(dir, []string{"local", "s3"}[i])
			if r := churn(t, dir, "run", "--data", data, "--registry", reg, "--out", out, "--as-of", sample.End); r.code != 0 {
				t.Fatalf("run --data %s: %s", data, r)
			}
			runs = append(runs, filepath.Join(out, "as_of="+sample.End))
		}
		ma, mb := readManifest(t, runs[0]), readManifest(t, runs[1])
		if !reflect.DeepEqual(ma.Parts, mb.Parts) || len(ma.Parts) == 0 {
			t.Fatalf("parts %v from the folder, %v from S3", ma.Parts, mb.Parts)
		}
		for _, p := range ma.Parts {
			a, err := os.ReadFile(filepath.Join(runs[0], p))
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(runs[1], p))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a, b) {
				t.Errorf("%s: the run on S3 wrote %d bytes, on the folder %d, or other bytes", p, len(b), len(a))
			}
		}
		inputs := func(dir string) ([]map[string]any, string) {
			b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
			if err != nil {
				t.Fatal(err)
			}
			var m struct {
				Inputs []map[string]any
				Data   string
			}
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			return m.Inputs, m.Data
		}
		// The folder's inputs carry the SHA-256 churn hashed; S3's, the
		// ETag its listing gave (of these one-part uploads, the MD5 of
		// the file), and nothing else differs.
		a, _ := inputs(runs[0])
		b, data := inputs(runs[1])
		if len(a) != len(b) || len(a) == 0 {
			t.Fatalf("%d inputs from S3, %d from the folder", len(b), len(a))
		}
		for i := range a {
			body, err := os.ReadFile(filepath.Join(local, filepath.FromSlash(a[i]["path"].(string))))
			if err != nil {
				t.Fatal(err)
			}
			sha, md := sha256.Sum256(body), md5.Sum(body)
			if a[i]["sha256"] != hex.EncodeToString(sha[:]) || a[i]["store_checksum"] != nil {
				t.Errorf("input %v from the folder: want its sha256 and no store_checksum", a[i])
			}
			if b[i]["store_checksum"] != "etag:"+hex.EncodeToString(md[:]) || b[i]["sha256"] != nil {
				t.Errorf("input %v from S3: want store_checksum etag:MD5 and no sha256", b[i])
			}
			delete(a[i], "sha256")
			delete(b[i], "store_checksum")
		}
		if !reflect.DeepEqual(a, b) {
			t.Errorf("manifest inputs (paths, sizes, rows) differ:\nfolder %v\nS3     %v", a, b)
		}
		if data != remote {
			t.Errorf("the manifest's data is %q, want %q as given", data, remote)
		}
	})
}

// TestDataFromS3BadInput: each way a bucket can fail gives an error that
// names the URL, and exit 2 for what the user must fix, 1 for what a retry
// may fix.
func TestDataFromS3BadInput(t *testing.T) {
	srv := s3test.Start(t, "lake")
	local, err := sample.Materialize(filepath.Join(t.TempDir(), "sample"))
	if err != nil {
		t.Fatal(err)
	}
	srv.PutDir(t, "lake", "h", local)
	srv.Put(t, "lake", "empty/README.txt", []byte("no tables here"))
	for _, c := range []struct {
		name  string
		data  string
		setup func(t *testing.T)
		code  int
		says  []string
	}{
		{"a prefix with no tables", srv.URL("lake", "empty"), nil, 2, []string{"s3://lake/empty", "no dataset"}},
		{"no such bucket", srv.URL("nolake", "h"), nil, 2, []string{"s3://nolake/h", "does the bucket exist"}},
		{"missing credentials", srv.URL("lake", "h"), func(t *testing.T) { s3test.ClearCredentials(t) }, 2, []string{"s3://lake/h", "credentials"}},
		{"throttled past the retries", srv.URL("lake", "h"), func(t *testing.T) { srv.Throttle(1 << 30); t.Cleanup(func() { srv.Throttle(0) }) }, 1,
			[]string{"s3://lake/h", "SlowDown", "store unavailable"}},
		{"unreachable endpoint", "s3://lake/h?endpoint=http://127.0.0.1:1&use_path_style=true&disable_https=true", nil, 1,
			[]string{"s3://lake/h", "connection refused"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.setup != nil {
				c.setup(t)
			}
			out := filepath.Join(t.TempDir(), "f.parquet")
			r := churn(t, t.TempDir(), "features", "--data", c.data, "--as-of", sample.End, "--out", out)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d: %s", r.code, c.code, r)
			}
			for _, want := range c.says {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr does not say %q:\n%s", want, r.stderr)
				}
			}
			if _, err := os.Stat(out); err == nil {
				t.Errorf("%s written by a failed command", out)
			}
		})
	}
}

// TestListsFromS3: churn lists --scores on a bucket reads the latest run
// that has _SUCCESS and prints what it prints from the folder; a run
// folder still being written (no _SUCCESS yet) is not read.
func TestListsFromS3(t *testing.T) {
	srv := s3test.Start(t, "scores")
	runs := sampleRun(t)
	out := filepath.Join(runs, "churn-out")
	srv.PutDir(t, "scores", "nightly", out)
	day := "as_of=" + sample.End
	if _, ok := srv.Get(t, "scores", "nightly/"+day+"/_SUCCESS"); !ok {
		t.Fatalf("the sample run has no _SUCCESS: %v", srv.Keys(t, "scores", "nightly/"))
	}
	// A later run whose upload has not finished: parts, no _SUCCESS.
	srv.Put(t, "scores", "nightly/as_of=2026-11-02/part-00000.parquet", []byte("half written"))
	remote := srv.URL("scores", "nightly")
	local := churn(t, t.TempDir(), "lists", "--scores", out, "--top", "20")
	if local.code != 0 {
		t.Fatalf("lists from the folder: %s", local)
	}
	got := churn(t, t.TempDir(), "lists", "--scores", remote, "--top", "20")
	if got.code != 0 {
		t.Fatalf("lists from S3: %s", got)
	}
	if got.stdout != local.stdout || len(got.stdout) == 0 {
		t.Errorf("lists from S3 printed\n%s\nwant, as from the folder,\n%s", got.stdout, local.stdout)
	}
	if r := churn(t, t.TempDir(), "lists", "--scores", remote, "--as-of", "2026-11-02"); r.code != 2 || !strings.Contains(r.stderr, "no run of 2026-11-02") {
		t.Errorf("lists of the unfinished run: %s; want exit 2, no run of 2026-11-02", r)
	}
	if r := churn(t, t.TempDir(), "lists", "--scores", srv.URL("scores", "nothing")); r.code != 2 || !strings.Contains(r.stderr, "s3://scores/nothing") {
		t.Errorf("lists of an empty prefix: %s; want exit 2 naming the URL", r)
	}
}

// TestRunOutToS3: churn run --out on a bucket writes the parts a run into
// a folder writes, byte for byte, uploading the parts, then the manifest,
// then _SUCCESS last, and leaves no lock behind; churn lists reads it back.
// A lock object exits 75 naming it. An upload that fails or is throttled
// past the retries exits 1 and leaves the earlier run whole; a copy into
// place that fails or is throttled exits 1 and leaves no _SUCCESS, so
// readers see no run; neither leaves its temporary prefix or the lock.
func TestRunOutToS3(t *testing.T) {
	srv := s3test.Start(t, "out")
	local, err := sample.Materialize(filepath.Join(t.TempDir(), "sample"))
	if err != nil {
		t.Fatal(err)
	}
	reg := registry(t)
	dir := t.TempDir()
	day := "as_of=" + sample.End
	localOut := filepath.Join(dir, "local")
	if r := churn(t, dir, "run", "--data", local, "--registry", reg, "--out", localOut, "--as-of", sample.End); r.code != 0 {
		t.Fatalf("run into a folder: %s", r)
	}
	var puts []string
	var mu sync.Mutex
	staging := regexp.MustCompile(`^\.tmp-(as_of=[0-9-]+)-[0-9a-f]{16}/`)
	srv.Before(func(r *http.Request) {
		if r.Method == http.MethodPut {
			key := staging.ReplaceAllString(strings.TrimPrefix(r.URL.Path, "/out/nightly/"), ".tmp-$1-*/")
			if r.Header.Get("X-Amz-Copy-Source") != "" {
				key = "copy to " + key
			}
			mu.Lock()
			puts = append(puts, key)
			mu.Unlock()
		}
	})
	// What a commit that was killed left under a temporary prefix.
	srv.Put(t, "out", "nightly/.tmp-"+day+"-00000000deadbeef/part-00000.parquet", []byte("half uploaded"))
	remote := srv.URL("out", "nightly")
	if r := churn(t, dir, "run", "--data", local, "--registry", reg, "--out", remote, "--as-of", sample.End); r.code != 0 {
		t.Fatalf("run into S3: %s", r)
	}
	srv.Before(nil)
	m := readManifest(t, filepath.Join(localOut, day))
	for _, p := range m.Parts {
		want, err := os.ReadFile(filepath.Join(localOut, day, p))
		if err != nil {
			t.Fatal(err)
		}
		if got, ok := srv.Get(t, "out", "nightly/"+day+"/"+p); !ok || !bytes.Equal(got, want) {
			t.Errorf("%s on S3: %d bytes, want the folder's %d", p, len(got), len(want))
		}
	}
	// The lock is written twice (the second conditional write checks
	// that the store refuses it); the parts and the manifest go under a
	// temporary prefix, are copied into place, and _SUCCESS comes last.
	wantOrder := append([]string{".churn.lock", ".churn.lock"}, prefixed(".tmp-"+day+"-*/", m.Parts)...)
	wantOrder = append(wantOrder, ".tmp-"+day+"-*/manifest.json")
	wantOrder = append(wantOrder, prefixed("copy to "+day+"/", m.Parts)...)
	wantOrder = append(wantOrder, "copy to "+day+"/manifest.json", day+"/_SUCCESS")
	if !reflect.DeepEqual(puts, wantOrder) {
		t.Errorf("PUTs %v, want %v", puts, wantOrder)
	}
	if got, want := srv.Keys(t, "out", "nightly/"), prefixed("nightly/"+day+"/", []string{"_SUCCESS", "manifest.json", runs.PartFile}); !reflect.DeepEqual(got, want) {
		t.Errorf("the bucket holds %v, want %v: no temporary prefix, no lock", got, want)
	}
	if _, ok := srv.Get(t, "out", "nightly/.churn.lock"); ok {
		t.Errorf("the run left its lock object")
	}
	if r, want := churn(t, dir, "lists", "--scores", remote, "--top", "5"), churn(t, dir, "lists", "--scores", localOut, "--top", "5"); r.code != 0 || r.stdout != want.stdout {
		t.Errorf("lists of the S3 run: %s\nwant %s", r, want.stdout)
	}

	t.Run("locked", func(t *testing.T) {
		srv.Put(t, "out", "nightly/.churn.lock", []byte(`{"pid":1,"host":"elsewhere","command":"churn run"}`))
		defer srv.Delete(t, "out", "nightly/.churn.lock")
		r := churn(t, dir, "run", "--data", local, "--registry", reg, "--out", remote, "--as-of", sample.End)
		if r.code != 75 || !strings.Contains(r.stderr, "s3://out/nightly/.churn.lock") || !strings.Contains(r.stderr, "elsewhere") {
			t.Errorf("run with the lock taken: %s; want exit 75 naming the lock object and its holder", r)
		}
	})

	lists := churn(t, dir, "lists", "--scores", remote)
	if lists.code != 0 {
		t.Fatalf("lists: %s", lists)
	}
	t.Run("upload fails", func(t *testing.T) {
		// The upload under the temporary prefix fails: the run that was
		// there stays whole and trusted.
		srv.Reject(func(r *http.Request) bool {
			return r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/.tmp-") && strings.HasSuffix(r.URL.Path, "/manifest.json")
		})
		defer srv.Reject(nil)
		r := churn(t, dir, "run", "--data", local, "--registry", reg, "--out", remote, "--as-of", sample.End)
		if r.code != 1 || !strings.Contains(r.stderr, "s3://out/nightly/.tmp-"+day+"-") || !strings.Contains(r.stderr, "/manifest.json") {
			t.Errorf("run whose manifest upload fails: %s; want exit 1 naming the object", r)
		}
		if _, ok := srv.Get(t, "out", "nightly/"+day+"/_SUCCESS"); !ok {
			t.Errorf("a failed upload took the earlier run's _SUCCESS")
		}
		if r := churn(t, dir, "lists", "--scores", remote); r.code != 0 || r.stdout != lists.stdout {
			t.Errorf("lists after the failed upload: %s; want the earlier run's list", r)
		}
		if got, want := srv.Keys(t, "out", "nightly/"), prefixed("nightly/"+day+"/", []string{"_SUCCESS", "manifest.json", runs.PartFile}); !reflect.DeepEqual(got, want) {
			t.Errorf("the bucket holds %v, want %v: the failed run's uploads removed", got, want)
		}
	})

	// A burst of 503 SlowDown answers as long as the retries, from the
	// first request that when picks.
	throttleAt := func(when func(r *http.Request) bool) {
		var once sync.Once
		srv.Before(func(r *http.Request) {
			if when(r) {
				once.Do(func() { srv.Throttle(store.DefaultRetry.Attempts) })
			}
		})
	}
	tmpKeys := func() []string {
		var tmp []string
		for _, k := range srv.Keys(t, "out", "nightly/") {
			if strings.Contains(k, "/.tmp-") || strings.HasSuffix(k, "/"+".churn.lock") {
				tmp = append(tmp, k)
			}
		}
		return tmp
	}
	t.Run("throttled during the upload", func(t *testing.T) {
		throttleAt(func(r *http.Request) bool {
			return r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/.tmp-") && strings.HasSuffix(r.URL.Path, "/manifest.json")
		})
		defer srv.Before(nil)
		r := churn(t, dir, "run", "--data", local, "--registry", reg, "--out", remote, "--as-of", sample.End)
		if r.code != 1 || !strings.Contains(r.stderr, "SlowDown") || !strings.Contains(r.stderr, "s3://out/nightly/.tmp-"+day+"-") {
			t.Errorf("run throttled past the retries while uploading its manifest: %s; want exit 1 naming the object and SlowDown", r)
		}
		if r := churn(t, dir, "lists", "--scores", remote); r.code != 0 || r.stdout != lists.stdout {
			t.Errorf("lists after the throttled upload: %s; want the earlier run's list", r)
		}
		if tmp := tmpKeys(); len(tmp) != 0 {
			t.Errorf("the throttled run left %v", tmp)
		}
	})

	t.Run("throttled during the copies", func(t *testing.T) {
		throttleAt(func(r *http.Request) bool {
			return r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != ""
		})
		defer srv.Before(nil)
		r := churn(t, dir, "run", "--data", local, "--registry", reg, "--out", remote, "--as-of", sample.End)
		if r.code != 1 || !strings.Contains(r.stderr, "SlowDown") || !strings.Contains(r.stderr, "s3://out/nightly/"+day+"/") {
			t.Errorf("run throttled past the retries while copying into place: %s; want exit 1 naming the object and SlowDown", r)
		}
		if _, ok := srv.Get(t, "out", "nightly/"+day+"/_SUCCESS"); ok {
			t.Errorf("a throttled commit left _SUCCESS: readers would trust a half-written run")
		}
		if r := churn(t, dir, "lists", "--scores", remote); r.code != 2 {
			t.Errorf("lists after the throttled commit: %s; want exit 2, no finished run", r)
		}
		if tmp := tmpKeys(); len(tmp) != 0 {
			t.Errorf("the throttled run left %v", tmp)
		}
	})

	t.Run("copy fails", func(t *testing.T) {
		// The copy into place fails: the date has no _SUCCESS, so readers
		// see no run rather than a mixture.
		srv.Reject(func(r *http.Request) bool {
			return r.Method == http.MethodPut && r.Header.Get("X-Amz-Copy-Source") != "" && strings.HasSuffix(r.URL.Path, day+"/manifest.json")
		})
		defer srv.Reject(nil)
		r := churn(t, dir, "run", "--data", local, "--registry", reg, "--out", remote, "--as-of", sample.End)
		if r.code != 1 || !strings.Contains(r.stderr, "s3://out/nightly/"+day+"/manifest.json") {
			t.Errorf("run whose manifest copy fails: %s; want exit 1 naming the object", r)
		}
		if _, ok := srv.Get(t, "out", "nightly/"+day+"/_SUCCESS"); ok {
			t.Errorf("a failed commit left _SUCCESS: readers would trust a half-written run")
		}
		if r := churn(t, dir, "lists", "--scores", remote); r.code != 2 {
			t.Errorf("lists after the failed commit: %s; want exit 2, no finished run", r)
		}
	})
}

func prefixed(p string, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = p + n
	}
	return out
}

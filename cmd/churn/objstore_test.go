package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"churn/data/sample"
	"churn/internal/s3test"
)

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
		for i, data := range []string{local, remote} {
			out := filepath.Join(dir, []string{"local", "s3"}[i]+".parquet")
			if r := churn(t, dir, "features", "--data", data, "--as-of", sample.End, "--out", out); r.code != 0 {
				t.Fatalf("features --data %s: %s", data, r)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			outs = append(outs, b)
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
		inputs := func(dir string) ([]any, string) {
			b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
			if err != nil {
				t.Fatal(err)
			}
			var m struct {
				Inputs []any
				Data   string
			}
			if err := json.Unmarshal(b, &m); err != nil {
				t.Fatal(err)
			}
			return m.Inputs, m.Data
		}
		a, _ := inputs(runs[0])
		b, data := inputs(runs[1])
		if !reflect.DeepEqual(a, b) || len(a) == 0 {
			t.Errorf("manifest inputs (paths, sizes, sha256) differ:\nfolder %v\nS3     %v", a, b)
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

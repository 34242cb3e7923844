package main

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"

	"churn/data/sample"
	"churn/internal/s3test"
)

// modelsJSON runs churn models --json on reg and decodes its summary.
func modelsJSON(t *testing.T, reg string) (promoted string, versions []string) {
	t.Helper()
	r := churn(t, t.TempDir(), "models", "--registry", reg, "--json")
	if r.code != 0 {
		t.Fatalf("models --registry %s: %s", reg, r)
	}
	var s struct {
		Promoted string
		Versions []struct{ Version string }
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil {
		t.Fatalf("models --json: %v\n%s", err, r.stdout)
	}
	for _, v := range s.Versions {
		versions = append(versions, v.Version)
	}
	return s.Promoted, versions
}

// folderFiles returns the files under dir, "/"-separated, except the
// feature cache, with their bytes.
func folderFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() && rel == "cache" {
			return filepath.SkipDir
		}
		if !d.IsDir() {
			files[filepath.ToSlash(rel)], err = os.ReadFile(p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestRegistryOnS3: churn train into a registry on S3 (gofakes3, the real
// protocol) writes the objects a folder registry holds, the model's bytes
// the same, in the commit order (a claim by conditional write, the files,
// meta.json last, then PROMOTED); promote, models and export-model work on
// it, and churn run from it writes the parts a run from the folder
// registry writes, byte for byte. A version without meta.json is neither
// listed nor promoted.
func TestRegistryOnS3(t *testing.T) {
	srv := s3test.Start(t, "models")
	local, err := sample.Materialize(filepath.Join(t.TempDir(), "sample"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	folder := filepath.Join(dir, "reg")
	remote := srv.URL("models", "churn")
	var puts []string
	var mu sync.Mutex
	srv.Before(func(r *http.Request) {
		if r.Method == http.MethodPut {
			key := strings.TrimPrefix(r.URL.Path, "/models/churn/")
			if strings.HasPrefix(key, ".churn-probe-") {
				key = ".churn-probe-*"
			}
			mu.Lock()
			puts = append(puts, key)
			mu.Unlock()
		}
	})
	for _, reg := range []string{folder, remote} {
		if r := churn(t, dir, "train", "--data", local, "--as-of", sample.End, "--registry", reg); r.code != 0 {
			t.Fatalf("train --registry %s: %s", reg, r)
		}
	}
	srv.Before(nil)
	want := []string{".churn-probe-*", ".v0001.claim", "v0001/model.bin", "v0001/metrics.json", "v0001/features.json",
		"v0001/MODEL_CARD.md", "v0001/meta.json", "PROMOTED"}
	if !slices.Equal(puts, want) {
		t.Errorf("train's PUTs %v, want %v", puts, want)
	}
	files := folderFiles(t, folder)
	var keys []string
	for k := range files {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if got := srv.Keys(t, "models", "churn/"); !slices.Equal(got, prefixed("churn/", keys)) {
		t.Errorf("the bucket holds %v, the folder %v", got, keys)
	}
	for _, k := range []string{"PROMOTED", "v0001/model.bin", "v0001/features.json", "v0001/metrics.json"} {
		if b, _ := srv.Get(t, "models", "churn/"+k); !bytes.Equal(b, files[k]) || len(b) == 0 {
			t.Errorf("%s: %d bytes on S3, %d in the folder, or other bytes", k, len(b), len(files[k]))
		}
	}

	// A second version, promoted by hand.
	for _, reg := range []string{folder, remote} {
		if r := churn(t, dir, "train", "--data", local, "--as-of", sample.End, "--registry", reg); r.code != 0 || !strings.Contains(r.stdout, "v0002 is registered but not promoted") {
			t.Fatalf("second train --registry %s: %s", reg, r)
		}
		if r := churn(t, dir, "promote", "--registry", reg, "v0002"); r.code != 0 {
			t.Fatalf("promote --registry %s v0002: %s", reg, r)
		}
	}
	if promoted, versions := modelsJSON(t, remote); promoted != "v0002" || !slices.Equal(versions, []string{"v0001", "v0002"}) {
		t.Errorf("models on S3: %v, promoted %s; want v0001, v0002, promoted v0002", versions, promoted)
	}

	t.Run("run", func(t *testing.T) {
		var outs []string
		for i, reg := range []string{folder, remote} {
			out := filepath.Join(dir, []string{"out-folder", "out-s3"}[i])
			if r := churn(t, dir, "run", "--data", local, "--registry", reg, "--out", out, "--as-of", sample.End); r.code != 0 {
				t.Fatalf("run --registry %s: %s", reg, r)
			}
			outs = append(outs, filepath.Join(out, "as_of="+sample.End))
		}
		ma, mb := readManifest(t, outs[0]), readManifest(t, outs[1])
		if !reflect.DeepEqual(ma.Parts, mb.Parts) || len(ma.Parts) == 0 {
			t.Fatalf("parts %v with the folder registry, %v with S3's", ma.Parts, mb.Parts)
		}
		for _, p := range ma.Parts {
			a, err := os.ReadFile(filepath.Join(outs[0], p))
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(outs[1], p))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a, b) {
				t.Errorf("%s: the run from S3's registry wrote %d bytes, from the folder's %d, or other bytes", p, len(b), len(a))
			}
		}
	})

	t.Run("export-model", func(t *testing.T) {
		var got [][]byte
		for i, reg := range []string{folder, remote} {
			out := filepath.Join(dir, []string{"folder", "s3"}[i]+".json")
			if r := churn(t, dir, "export-model", "v0001", "--registry", reg, "--format", "xgboost-json", "--out", out); r.code != 0 {
				t.Fatalf("export-model --registry %s: %s", reg, r)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, b)
		}
		if !bytes.Equal(got[0], got[1]) {
			t.Errorf("the export from S3 (%d bytes) differs from the folder's (%d bytes)", len(got[1]), len(got[0]))
		}
	})

	t.Run("partial version", func(t *testing.T) {
		model, _ := srv.Get(t, "models", "churn/v0001/model.bin")
		srv.Put(t, "models", "churn/v0003/model.bin", model)
		if _, versions := modelsJSON(t, remote); !slices.Equal(versions, []string{"v0001", "v0002"}) {
			t.Errorf("models lists %v with a version being written, want v0001, v0002", versions)
		}
		if r := churn(t, dir, "promote", "--registry", remote, "--force", "v0003"); r.code != 2 || !strings.Contains(r.stderr, "v0003") {
			t.Errorf("promote of a version being written: %s; want exit 2 naming it", r)
		}
		if promoted, _ := modelsJSON(t, remote); promoted != "v0002" {
			t.Errorf("promoted %s, want v0002", promoted)
		}
	})
}

// TestRegistryOnS3BadInput: each way the registry's bucket can fail gives
// an error that names the URL, exit 2 for what the user must fix, 1 for
// what a retry may fix, and a save whose upload fails leaves no version
// visible and no object of it.
func TestRegistryOnS3BadInput(t *testing.T) {
	srv := s3test.Start(t, "models")
	local, err := sample.Materialize(filepath.Join(t.TempDir(), "sample"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	remote := srv.URL("models", "churn")
	if r := churn(t, dir, "train", "--data", local, "--as-of", sample.End, "--registry", remote); r.code != 0 {
		t.Fatalf("train: %s", r)
	}
	out := filepath.Join(dir, "out")
	for _, c := range []struct {
		name  string
		args  []string
		setup func(t *testing.T)
		code  int
		says  []string
	}{
		{"no such bucket", []string{"models", "--registry", srv.URL("nomodels", "churn")}, nil, 2,
			[]string{"s3://nomodels/churn", "does the bucket exist"}},
		{"train into no such bucket", []string{"train", "--data", local, "--as-of", sample.End, "--registry", srv.URL("nomodels", "churn")}, nil, 2,
			[]string{"s3://nomodels/churn", "does the bucket exist"}},
		{"promote in no such bucket", []string{"promote", "--registry", srv.URL("nomodels", "churn"), "v0001"}, nil, 2,
			[]string{"s3://nomodels/churn", "does the bucket exist"}},
		{"run from no such bucket", []string{"run", "--data", local, "--as-of", sample.End, "--out", out, "--registry", srv.URL("nomodels", "churn")}, nil, 2,
			[]string{"s3://nomodels/churn", "does the bucket exist"}},
		{"an empty prefix", []string{"models", "--registry", srv.URL("models", "nothing")}, nil, 2,
			[]string{"s3://models/nothing", "holds nothing"}},
		{"no promoted model", []string{"run", "--data", local, "--as-of", sample.End, "--out", out, "--registry", srv.URL("models", "nothing")}, nil, 2,
			[]string{"s3://models/nothing", "no promoted model"}},
		{"missing credentials", []string{"run", "--data", local, "--as-of", sample.End, "--out", out, "--registry", remote},
			func(t *testing.T) { s3test.ClearCredentials(t) }, 2, []string{"s3://models/churn", "credentials"}},
		{"train without credentials", []string{"train", "--data", local, "--as-of", sample.End, "--registry", remote},
			func(t *testing.T) { s3test.ClearCredentials(t) }, 2, []string{"s3://models/churn", "credentials"}},
		{"throttled past the retries", []string{"promote", "--registry", remote, "v0001"},
			func(t *testing.T) { srv.Throttle(1 << 30); t.Cleanup(func() { srv.Throttle(0) }) }, 1,
			[]string{"s3://models/churn", "SlowDown", "store unavailable"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.setup != nil {
				c.setup(t)
			}
			r := churn(t, dir, c.args...)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d: %s", r.code, c.code, r)
			}
			for _, want := range c.says {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("stderr does not say %q:\n%s", want, r.stderr)
				}
			}
		})
	}

	t.Run("upload fails", func(t *testing.T) {
		before := srv.Keys(t, "models", "churn/")
		srv.Reject(func(r *http.Request) bool {
			return r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/v0002/meta.json")
		})
		defer srv.Reject(nil)
		r := churn(t, dir, "train", "--data", local, "--as-of", sample.End, "--registry", remote)
		if r.code != 1 || !strings.Contains(r.stderr, "s3://models/churn/v0002/meta.json") {
			t.Errorf("train whose meta.json upload fails: %s; want exit 1 naming the object", r)
		}
		if got := srv.Keys(t, "models", "churn/"); !slices.Equal(got, before) {
			t.Errorf("after the failed save the bucket holds %v, want what it held: %v", got, before)
		}
	})
}

// TestRegistryOnFileURL: a folder registry read through file:// (fileblob,
// the bucket code path) lists and scores as the folder does; two trains
// started at once on one file:// registry, two processes, get distinct
// versions and exactly one promotes.
func TestRegistryOnFileURL(t *testing.T) {
	reg := registry(t)
	url := "file://" + filepath.ToSlash(reg)
	if !strings.HasPrefix(url, "file:///") {
		url = "file:///" + strings.TrimPrefix(url, "file://")
	}
	p1, v1 := modelsJSON(t, reg)
	p2, v2 := modelsJSON(t, url)
	if p1 != p2 || !slices.Equal(v1, v2) || len(v1) == 0 {
		t.Errorf("models on %s: %v promoted %s; on the folder %v promoted %s", url, v2, p2, v1, p1)
	}
	local, err := sample.Materialize(filepath.Join(t.TempDir(), "sample"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	var outs []string
	for i, r := range []string{reg, url} {
		out := filepath.Join(dir, []string{"folder", "file"}[i])
		if res := churn(t, dir, "run", "--data", local, "--registry", r, "--out", out, "--as-of", sample.End); res.code != 0 {
			t.Fatalf("run --registry %s: %s", r, res)
		}
		outs = append(outs, filepath.Join(out, "as_of="+sample.End))
	}
	for _, p := range readManifest(t, outs[0]).Parts {
		a, _ := os.ReadFile(filepath.Join(outs[0], p))
		b, _ := os.ReadFile(filepath.Join(outs[1], p))
		if !bytes.Equal(a, b) || len(a) == 0 {
			t.Errorf("%s: %d bytes from file://, %d from the folder, or other bytes", p, len(b), len(a))
		}
	}

	shared := filepath.Join(t.TempDir(), "shared")
	sharedURL := "file:///" + strings.TrimPrefix(filepath.ToSlash(shared), "/")
	var wg sync.WaitGroup
	res := make([]result, 2)
	for k := range res {
		wg.Add(1)
		go func() {
			defer wg.Done()
			res[k] = churn(t, dir, "train", "--data", local, "--as-of", sample.End, "--registry", sharedURL, "--json")
		}()
	}
	wg.Wait()
	var versions []string
	promoted := 0
	for _, r := range res {
		if r.code != 0 {
			t.Fatalf("concurrent train: %s", r)
		}
		var s struct {
			Version  string
			Promoted bool
		}
		lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
		if err := json.Unmarshal([]byte(lines[len(lines)-1]), &s); err != nil {
			t.Fatalf("train --json: %v\n%s", err, r.stdout)
		}
		versions = append(versions, s.Version)
		if s.Promoted {
			promoted++
		}
	}
	slices.Sort(versions)
	if !slices.Equal(versions, []string{"v0001", "v0002"}) || promoted != 1 {
		t.Errorf("concurrent trains saved %v, %d promoted; want v0001 and v0002, one promoted", versions, promoted)
	}
	if p, vs := modelsJSON(t, shared); !slices.Equal(vs, versions) || p == "" {
		t.Errorf("the folder lists %v, promoted %q", vs, p)
	}
}

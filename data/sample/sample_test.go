package sample

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"testing"
	"time"

	"churn/data"
	"churn/data/synth"
)

func TestFSHoldsEveryTable(t *testing.T) {
	var total int64
	for _, tb := range data.Tables {
		name := path.Join(string(tb), synth.PartName(0))
		fi, err := fs.Stat(FS(), name)
		if err != nil {
			t.Errorf("table %s: %v", tb, err)
			continue
		}
		total += fi.Size()
	}
	if total > 10<<20 {
		t.Errorf("embedded dataset is %d bytes, want at most 10 MiB", total)
	}
	end, err := data.ParseDate(End)
	if err != nil || !Config().End.Equal(end) {
		t.Errorf("End %q and Config().End %v disagree (%v)", End, Config().End, err)
	}
}

// TestEmbedIsCurrent checks that the embedded files are exactly what the
// generator writes for Config(): the generator is deterministic and the
// embed is not stale. Run `go run data/sample/gen.go` when it fails.
func TestEmbedIsCurrent(t *testing.T) {
	if testing.Short() {
		t.Skip("regenerates the sample dataset")
	}
	dir := t.TempDir()
	if _, err := synth.Generate(context.Background(), Config(), dir); err != nil {
		t.Fatal(err)
	}
	for _, tb := range data.Tables {
		name := path.Join(string(tb), synth.PartName(0))
		want, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
		if err != nil {
			t.Fatal(err)
		}
		got, err := fs.ReadFile(FS(), name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("embedded %s (%d bytes) differs from the generator's (%d bytes): run go run data/sample/gen.go",
				name, len(got), len(want))
		}
	}
}

func TestMaterialize(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "sample")
	root, err := Materialize(dir)
	if err != nil {
		t.Fatal(err)
	}
	if root != dir {
		t.Errorf("Materialize(%q) = %q, want the same folder", dir, root)
	}
	name := filepath.Join(root, string(data.Customers), synth.PartName(0))
	want, err := fs.ReadFile(FS(), path.Join(string(data.Customers), synth.PartName(0)))
	if err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(name); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("materialized customers file: %d bytes, err %v; want the embedded %d bytes", len(got), err, len(want))
	}

	// A second call leaves identical files alone and repairs a damaged one.
	old := time.Unix(1_000_000_000, 0)
	if err := os.Chtimes(name, old, old); err != nil {
		t.Fatal(err)
	}
	events := filepath.Join(root, string(data.Events), synth.PartName(0))
	if err := os.WriteFile(events, []byte("truncated"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Materialize(dir); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(name); err != nil || !fi.ModTime().Equal(old) {
		t.Errorf("Materialize rewrote an identical file (mod time %v, err %v)", fi.ModTime(), err)
	}
	wantEvents, _ := fs.ReadFile(FS(), path.Join(string(data.Events), synth.PartName(0)))
	if got, err := os.ReadFile(events); err != nil || !bytes.Equal(got, wantEvents) {
		t.Errorf("Materialize left a damaged events file (%d bytes, err %v)", len(got), err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(root, "*", ".sample-*"))
	if len(leftovers) != 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

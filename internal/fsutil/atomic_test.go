package fsutil

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestPendingCommitAndReplace(t *testing.T) {
	parent := t.TempDir()
	for i, content := range []string{"first", "second"} {
		p, err := CreatePending(parent, "as_of=2024-01-31")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(p.Dir(), "part-0.parquet"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			// Only in the old folder: must be gone after the swap.
			if _, err := os.Stat(filepath.Join(parent, "as_of=2024-01-31", "part-0.parquet")); err != nil {
				t.Fatal(err)
			}
		}
		if err := p.MarkSuccess(); err != nil {
			t.Fatal(err)
		}
		if err := p.Commit(); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(parent, "as_of=2024-01-31", "part-0.parquet"))
		if err != nil || string(got) != content {
			t.Fatalf("after commit %d: %q, %v; want %q", i, got, err, content)
		}
		part, err := os.Stat(filepath.Join(parent, "as_of=2024-01-31", "part-0.parquet"))
		if err != nil {
			t.Fatal(err)
		}
		ok, err := os.Stat(filepath.Join(parent, "as_of=2024-01-31", SuccessFile))
		if err != nil || ok.Size() != 0 || ok.ModTime().Before(part.ModTime()) {
			t.Errorf("after commit %d: %s %v, %v; want an empty marker written after the part file", i, SuccessFile, ok, err)
		}
	}
	entries, _ := os.ReadDir(parent)
	if len(entries) != 1 {
		t.Errorf("parent holds %d entries, want 1", len(entries))
	}
}

// TestExchangeByRenames: the fallback of systems without an atomic swap
// (Windows among them) swaps the two folders and leaves nothing beside.
func TestExchangeByRenames(t *testing.T) {
	parent := t.TempDir()
	a, b := filepath.Join(parent, TempPrefix+"new"), filepath.Join(parent, "as_of=2024-01-31")
	for dir, content := range map[string]string{a: "new", b: "old"} {
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "part-0.parquet"), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := exchangeByRenames(a, b); err != nil {
		t.Fatal(err)
	}
	for dir, want := range map[string]string{a: "old", b: "new"} {
		if got, err := os.ReadFile(filepath.Join(dir, "part-0.parquet")); err != nil || string(got) != want {
			t.Errorf("%s holds %q, %v; want %q", filepath.Base(dir), got, err, want)
		}
	}
	if entries, _ := os.ReadDir(parent); len(entries) != 2 {
		t.Errorf("parent holds %d entries, want the 2 folders", len(entries))
	}
}

func TestPendingAbortAndStale(t *testing.T) {
	parent := t.TempDir()
	p, err := CreatePending(parent, "x")
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Abort(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(p.Dir()); !os.IsNotExist(err) {
		t.Errorf("temporary folder still there: %v", err)
	}
	stale, err := CreatePending(parent, "y") // as if the process died
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(parent, "keep"), 0o755); err != nil {
		t.Fatal(err)
	}
	removed, err := RemoveStale(parent)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{filepath.Base(stale.Dir())}; !reflect.DeepEqual(removed, want) {
		t.Errorf("removed %v, want %v", removed, want)
	}
	if _, err := os.Stat(filepath.Join(parent, "keep")); err != nil {
		t.Errorf("removed a folder it does not own: %v", err)
	}
}

func TestWriteFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "manifest.json")
	for _, s := range []string{"{}", `{"a":1}`} {
		if err := WriteFile(path, []byte(s)); err != nil {
			t.Fatal(err)
		}
		got, _ := os.ReadFile(path)
		if string(got) != s {
			t.Errorf("got %q, want %q", got, s)
		}
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("folder holds %d entries, want 1", len(entries))
	}
}

// TestFinish: flushes run in order until one fails, whose error is
// returned; the file is closed either way.
func TestFinish(t *testing.T) {
	dir := t.TempDir()
	var ran []int
	step := func(i int, err error) func() error {
		return func() error { ran = append(ran, i); return err }
	}
	f, err := os.Create(filepath.Join(dir, "ok"))
	if err != nil {
		t.Fatal(err)
	}
	if err := Finish(f, step(1, nil), step(2, nil)); err != nil || len(ran) != 2 || ran[0] != 1 {
		t.Errorf("FinishFile: %v, flushes run %v; want nil and [1 2]", err, ran)
	}
	if _, err := f.Write([]byte("x")); err == nil {
		t.Error("file still open after FinishFile")
	}
	ran = nil
	boom := errors.New("boom")
	g, err := os.Create(filepath.Join(dir, "bad"))
	if err != nil {
		t.Fatal(err)
	}
	if err := Finish(g, step(1, boom), step(2, nil)); !errors.Is(err, boom) || len(ran) != 1 {
		t.Errorf("FinishFile: %v, flushes run %v; want boom and [1]", err, ran)
	}
	if _, err := g.Write([]byte("x")); err == nil {
		t.Error("file still open after a failed flush")
	}
}

// TestFileCommitAbortStale: a File appears at its path only on Commit, an
// aborted one leaves nothing, and one left by a killed writer is stale.
func TestFileCommitAbortStale(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "list.csv")
	f, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(filepath.Base(f.Name()), TempPrefix+"list.csv-") {
		t.Errorf("temporary name %s, want %slist.csv-*", f.Name(), TempPrefix)
	}
	if _, err := f.WriteString("a,b\n"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("%s visible before Commit: %v", path, err)
	}
	flushed := false
	if err := f.Commit(func() error { flushed = true; return nil }); err != nil || !flushed {
		t.Fatalf("Commit: %v, flushed %v", err, flushed)
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != "a,b\n" {
		t.Errorf("after Commit: %q, %v", got, err)
	}
	if err := f.Commit(); !errors.Is(err, os.ErrClosed) {
		t.Errorf("second Commit: %v, want os.ErrClosed", err)
	}
	g, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	g.Abort()
	boom := errors.New("boom")
	h, err := Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Commit(func() error { return boom }); !errors.Is(err, boom) {
		t.Errorf("Commit with a failing flush: %v, want boom", err)
	}
	if got, _ := os.ReadFile(path); string(got) != "a,b\n" {
		t.Errorf("a failed Commit changed %s to %q", path, got)
	}
	killed, err := Create(path) // as if the process died
	if err != nil {
		t.Fatal(err)
	}
	killed.Close()
	tmp := TempPath(path)
	if err := os.WriteFile(tmp, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	removed, err := RemoveStale(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 2 {
		t.Errorf("RemoveStale removed %v, want the killed writer's file and the TempPath one", removed)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("folder holds %d entries, want only %s", len(entries), filepath.Base(path))
	}
}

func TestRename(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "features.parquet")
	tmp := TempPath(path)
	if err := os.WriteFile(tmp, []byte("new"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(path); err != nil || string(got) != "new" {
		t.Errorf("after Rename: %q, %v", got, err)
	}
	if err := Rename(TempPath(path), filepath.Join(dir, "missing", "x")); err == nil {
		t.Error("Rename of a missing file: no error")
	}
}

package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestIsBootCopy: only the boot loader's own copy of the worker binary,
// /tmp/bin<digits>/worker alone in its folder, is one a worker removes.
func TestIsBootCopy(t *testing.T) {
	dir, err := os.MkdirTemp("/tmp", "bin*")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	exe := filepath.Join(dir, "worker")
	if err := os.WriteFile(exe, []byte("x"), 0o755); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	for _, c := range []struct {
		exe  string
		want bool
	}{
		{exe, true},
		{filepath.Join(dir, "churn-beam"), false},
		{filepath.Join(other, "worker"), false},
		{"/tmp/binx/worker", false},
		{"/usr/local/bin/worker", false},
	} {
		if got := isBootCopy(c.exe); got != c.want {
			t.Errorf("isBootCopy(%s) = %v, want %v", c.exe, got, c.want)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "more"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if isBootCopy(exe) {
		t.Errorf("isBootCopy(%s) with another file beside it = true, want false", exe)
	}
}

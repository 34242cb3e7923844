//go:build unix

// Modes under a umask are a POSIX notion; Windows has neither.

package model

import (
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestRegistryModesFollowUmask: what Save and Promote write is as readable
// as the umask allows (0755 folders, 0644 files under umask 022), so that
// a run under another user id can read what train wrote.
func TestRegistryModesFollowUmask(t *testing.T) {
	tr, va, ca, ytr, yva, yca := trainSets(t)
	m, err := Train(fastConfig(AlgoGBT), tr, va, ca, ytr, yva, yca)
	if err != nil {
		t.Fatal(err)
	}
	old := syscall.Umask(0o022)
	defer syscall.Umask(old)
	dir := filepath.Join(t.TempDir(), "reg")
	reg, err := OpenRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := reg.Save(m, Meta{CreatedAt: time.Unix(0, 0).UTC()}); err != nil {
		t.Fatal(err)
	}
	v2, _, err := reg.Save(m, Meta{CreatedAt: time.Unix(0, 0).UTC()})
	if err != nil {
		t.Fatal(err)
	}
	if err := reg.Promote(v2, true); err != nil {
		t.Fatal(err)
	}
	n := 0
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		st, err := os.Stat(path)
		if err != nil {
			return err
		}
		want := os.FileMode(0o644)
		if d.IsDir() {
			want = 0o755
		}
		if got := st.Mode().Perm(); got != want {
			t.Errorf("%s: mode %03o, want %03o", path, got, want)
		}
		n++
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < 10 {
		t.Errorf("walked %d entries, want the registry, two versions and their files", n)
	}
}

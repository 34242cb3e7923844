//go:build unix

// Modes under a umask are a POSIX notion; Windows has neither.

package fsutil

import (
	"os"
	"strings"
	"syscall"
	"testing"
)

// TestModesFollowUmask: files get 0666 and folders 0777 less the umask,
// like os.Create and os.Mkdir, not the 0600 and 0700 of os.CreateTemp and
// os.MkdirTemp.
func TestModesFollowUmask(t *testing.T) {
	for _, tt := range []struct {
		umask     int
		file, dir os.FileMode
	}{
		{0o022, 0o644, 0o755},
		{0o002, 0o664, 0o775},
		{0o077, 0o600, 0o700},
	} {
		old := syscall.Umask(tt.umask)
		dir := t.TempDir()
		f, err := CreateTemp(dir, ".tmp-x-")
		if err != nil {
			syscall.Umask(old)
			t.Fatal(err)
		}
		f.Close()
		d, err := MkdirTemp(dir, ".tmp-d-")
		syscall.Umask(old)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			path string
			want os.FileMode
		}{{f.Name(), tt.file}, {d, tt.dir}} {
			st, err := os.Stat(c.path)
			if err != nil {
				t.Fatal(err)
			}
			if got := st.Mode().Perm(); got != c.want {
				t.Errorf("umask %03o: %s has mode %03o, want %03o", tt.umask, c.path, got, c.want)
			}
		}
		if !strings.HasPrefix(f.Name(), dir+"/.tmp-x-") {
			t.Errorf("file %s, want it in %s named .tmp-x-*", f.Name(), dir)
		}
	}
}

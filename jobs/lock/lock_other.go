//go:build !(darwin || dragonfly || freebsd || linux || netbsd || openbsd || solaris || windows)

package lock

import (
	"fmt"
	"os"
	"runtime"
)

// lockFile refuses: this system (AIX, Plan 9, WebAssembly, ...) has no
// lock that its kernel drops when a process dies, and a lock file that
// outlives a killed run would need a person to remove it. Commands that
// take no lock (features, validate, lists, serve, generate) work here.
func lockFile(f *os.File) error {
	return fmt.Errorf("locking output folders is not implemented on %s", runtime.GOOS)
}

func unlockFile(f *os.File) error { return nil }

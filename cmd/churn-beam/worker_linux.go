package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// startWorker prepares a worker process that a runner's boot loader
// started (--worker): it leaves nothing behind once the boot loader is
// gone.
//
//   - The worker exits when the boot loader does: a runner that ends a
//     job by stopping the boot loader (Prism's PROCESS environment does,
//     and does no more) would otherwise leave the worker running, holding
//     its memory, connected to nothing.
//   - The Go SDK's boot loader runs the worker from a copy of the binary
//     in a folder of its own, /tmp/binNNN/worker, which it never removes:
//     the running worker removes that folder (its program stays mapped
//     until it exits).
func startWorker() {
	// PR_SET_PDEATHSIG: SIGKILL when the parent exits; a parent gone
	// before the call leaves the worker to init.
	if _, _, errno := syscall.RawSyscall(syscall.SYS_PRCTL, syscall.PR_SET_PDEATHSIG, uintptr(syscall.SIGKILL), 0); errno == 0 && os.Getppid() == 1 {
		os.Exit(exitFailed)
	}
	if exe, err := os.Executable(); err == nil && isBootCopy(exe) {
		os.RemoveAll(filepath.Dir(exe))
	}
}

// isBootCopy reports whether exe is where the Go SDK's boot loader copies
// the worker binary: /tmp/bin<digits>/worker, alone in its folder.
func isBootCopy(exe string) bool {
	dir := filepath.Dir(exe)
	if filepath.Base(exe) != "worker" || filepath.Dir(dir) != "/tmp" || !strings.HasPrefix(filepath.Base(dir), "bin") {
		return false
	}
	for _, c := range strings.TrimPrefix(filepath.Base(dir), "bin") {
		if c < '0' || c > '9' {
			return false
		}
	}
	entries, err := os.ReadDir(dir)
	return err == nil && len(entries) == 1
}

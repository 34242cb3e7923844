//go:build unix

package gbt

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time the process has used, user and system, so
// that benchmarks on a shared machine can report it beside wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

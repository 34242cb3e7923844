//go:build !unix

package gbt

import "time"

// cpuTime is 0 where there is no getrusage: the benchmarks then report
// CPU per row as 0.
func cpuTime() time.Duration { return 0 }

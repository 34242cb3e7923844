// Package parallel spreads independent tasks over goroutines for the
// learning code.
//
// Goroutines live in these library packages, against the house rule that
// only jobs and cmd start them, because training and scoring must use the
// machine's cores (histograms, gradients, predictions). Each call owns its
// goroutines and waits for them before returning; results never depend on
// the worker count or on scheduling, because every task writes its own
// output slot and callers reduce the slots in a fixed order afterwards.
package parallel

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Workers resolves a worker setting: 0 or less means GOMAXPROCS.
func Workers(w int) int {
	if w <= 0 {
		w = runtime.GOMAXPROCS(0)
	}
	return w
}

// For calls task(i) for i in [0, n) on up to workers goroutines and waits
// for all of them. With one worker (or one task) it runs on the caller's
// goroutine.
func For(workers, n int, task func(i int)) {
	if workers > n {
		workers = n
	}
	if workers <= 1 {
		for i := 0; i < n; i++ {
			task(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				task(i)
			}
		}()
	}
	wg.Wait()
}

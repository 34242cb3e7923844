package gbt

import (
	"runtime"
	"sync"
	"sync/atomic"
)

// Goroutines live in this library package, against the house rule that
// only jobs and cmd start them, because fitting and scoring must use every
// core for the nightly job to fit its window: Fit spreads histogram
// building and Predict spreads blocks of rows over Params.Workers
// goroutines. Each call owns its goroutines and waits for them before
// returning; results never depend on the worker count or on scheduling,
// because every task writes its own output slot and reductions run in a
// fixed order afterwards.

// workerCount resolves Params.Workers: 0 means GOMAXPROCS.
func workerCount(w int) int {
	if w <= 0 {
		w = runtime.GOMAXPROCS(0)
	}
	return w
}

// parallel calls task(i) for i in [0, n) on up to workers goroutines and
// waits for all of them.
func parallel(workers, n int, task func(i int)) {
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

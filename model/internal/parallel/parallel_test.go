package parallel

import (
	"runtime"
	"sync/atomic"
	"testing"
)

// TestFor: every task runs exactly once, for any worker count, including
// more workers than tasks, one worker and no tasks.
func TestFor(t *testing.T) {
	for _, workers := range []int{1, 2, 3, 16} {
		for _, n := range []int{0, 1, 5, 1000} {
			runs := make([]atomic.Int32, n)
			For(workers, n, func(i int) { runs[i].Add(1) })
			for i := range runs {
				if got := runs[i].Load(); got != 1 {
					t.Fatalf("workers %d, n %d: task %d ran %d times", workers, n, i, got)
				}
			}
		}
	}
}

func TestWorkers(t *testing.T) {
	if got, want := Workers(0), runtime.GOMAXPROCS(0); got != want {
		t.Errorf("Workers(0) = %d, want GOMAXPROCS %d", got, want)
	}
	if got := Workers(3); got != 3 {
		t.Errorf("Workers(3) = %d", got)
	}
}

package gbt

import "churn/internal/offheap"

// mapCodes returns n zeroed bytes and the function that gives them back.
// From a huge page up, they are mapped off the Go heap
// (internal/offheap), which nothing clears: the parallel coding loop of
// binMatrix writes them first and faults them in on every worker at
// once, where the Go heap would clear them on the goroutine that
// allocates them, page by page, before any worker starts. Below that, or
// where memory cannot be mapped, they come from the heap. The bytes must
// not be used after the release.
func mapCodes(n int) ([]byte, func()) {
	if n < offheap.HugePage {
		return make([]byte, n), func() {}
	}
	use, mapping := offheap.Map(n)
	if use == nil {
		return make([]byte, n), func() {}
	}
	return use, func() { offheap.Unmap(mapping) }
}

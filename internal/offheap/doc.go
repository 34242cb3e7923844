// Package offheap maps zeroed memory outside the Go heap, for large
// buffers that the garbage collector should neither clear nor scan: the
// feature accumulators and the training matrix (features), the bin codes
// of a tree fit (model/gbt).
//
// Memory freshly mapped is zero without being cleared: the kernel hands
// out zero pages as they are first written, so buffers filled in
// parallel are faulted in on every worker at once, where the Go heap
// would clear them on the goroutine that allocates them. Mappings of a
// huge page or more are advised for transparent huge pages where the
// kernel has them (Linux). Where memory cannot be mapped (no unix), Map
// returns nils and callers use the heap.
//
// A mapping must be unmapped exactly once, and nothing may use its bytes
// afterwards: the caller owns that rule (a cleanup, a release).
package offheap

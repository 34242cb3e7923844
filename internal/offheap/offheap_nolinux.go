//go:build unix && !linux

package offheap

// adviseHuge does nothing where there is no madvise(MADV_HUGEPAGE).
func adviseHuge(b []byte) {}

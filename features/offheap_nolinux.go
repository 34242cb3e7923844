//go:build unix && !linux

package features

// adviseHuge does nothing where there is no madvise(MADV_HUGEPAGE).
func adviseHuge(b []byte) {}

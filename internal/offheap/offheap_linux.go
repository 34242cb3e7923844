package offheap

import "syscall"

// adviseHuge asks for transparent huge pages for b. In the kernel's
// "madvise" mode this is what turns them on; in "always" mode they are on
// already, and in "never" mode, or without them, the advice changes
// nothing, so its error is ignored.
func adviseHuge(b []byte) { _ = syscall.Madvise(b, syscall.MADV_HUGEPAGE) }

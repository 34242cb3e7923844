//go:build unix

package gbt

import (
	"syscall"
	"unsafe"
)

// hugePage is the size of a transparent huge page where the kernel has
// them.
const hugePage = 2 << 20

// madvHugePage is MADV_HUGEPAGE on Linux; elsewhere the advice fails and
// is ignored.
const madvHugePage = 14

// mapCodes returns n zeroed bytes and the function that gives them back.
// From a huge page up, they are a fresh anonymous mapping advised for
// huge pages, which nothing clears: the parallel coding loop of binMatrix
// writes them first and faults them in, 2 MiB at a time where the kernel
// allows, on every worker at once. The Go heap would clear them on the
// goroutine that allocates them, page by page, before any worker starts.
// The bytes must not be used after the release.
func mapCodes(n int) ([]byte, func()) {
	if n < hugePage {
		return make([]byte, n), func() {}
	}
	b, err := syscall.Mmap(-1, 0, n+hugePage, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return make([]byte, n), func() {}
	}
	head := 0
	if p := uintptr(unsafe.Pointer(unsafe.SliceData(b))); p%hugePage != 0 {
		head = int(hugePage - p%hugePage)
	}
	use := b[head : head+n : head+n]
	_ = syscall.Madvise(use, madvHugePage) // advice: its failure changes nothing
	return use, func() { _ = syscall.Munmap(b) }
}

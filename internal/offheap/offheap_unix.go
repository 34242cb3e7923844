//go:build unix

package offheap

import (
	"syscall"
	"unsafe"
)

// HugePage is the size of a transparent huge page where the kernel has
// them (Linux on x86-64, and arm64 with 4 KiB base pages).
const HugePage = 2 << 20

// Map maps at least size bytes of zeroed private memory and returns
// the part to use and the mapping to unmap, or nils. Mappings of a huge
// page or more start the part to use on a huge-page boundary and advise
// the kernel to back it with huge pages (adviseHuge): the mapping is a
// huge page longer, which costs address space only, as the rest is never
// touched.
func Map(size int) (use, mapping []byte) {
	n := size
	if size >= HugePage {
		n = size + HugePage
	}
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil, nil
	}
	if size < HugePage {
		return b, b
	}
	head := int(-uintptr(unsafe.Pointer(unsafe.SliceData(b))) & (HugePage - 1))
	use = b[head : head+size : head+size]
	adviseHuge(use)
	return use, b
}

// Unmap gives a mapping of Map back to the system.
func Unmap(b []byte) { _ = syscall.Munmap(b) }

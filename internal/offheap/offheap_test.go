package offheap

import (
	"runtime"
	"testing"
	"unsafe"
)

// TestMap checks what callers rely on: the bytes are zero, writable, of
// the size asked, and from a huge page up start on a huge-page boundary;
// where nothing can be mapped, Map says so with nils.
func TestMap(t *testing.T) {
	for _, size := range []int{1, 4095, 4096, HugePage - 1, HugePage, 3*HugePage + 17} {
		use, mapping := Map(size)
		if use == nil {
			if runtime.GOOS != "windows" && runtime.GOOS != "plan9" && runtime.GOOS != "js" && runtime.GOOS != "wasip1" {
				t.Fatalf("Map(%d) mapped nothing on %s", size, runtime.GOOS)
			}
			continue
		}
		if len(use) != size || len(mapping) < size {
			t.Fatalf("Map(%d): %d bytes to use of a %d-byte mapping", size, len(use), len(mapping))
		}
		if size >= HugePage && uintptr(unsafe.Pointer(unsafe.SliceData(use)))%HugePage != 0 {
			t.Fatalf("Map(%d) does not start on a huge-page boundary", size)
		}
		for i := 0; i < size; i += 1 + size/97 {
			if use[i] != 0 {
				t.Fatalf("Map(%d): byte %d is %d, want 0", size, i, use[i])
			}
			use[i] = byte(i) | 1
		}
		use[size-1] = 7
		if use[size-1] != 7 {
			t.Fatalf("Map(%d): the last byte does not keep what is written", size)
		}
		Unmap(mapping)
	}
}

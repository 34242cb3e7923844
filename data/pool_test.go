package data

import (
	"testing"
	"unsafe"
)

func TestPoolAllocator(t *testing.T) {
	p := &poolAllocator{}
	for _, size := range []int{0, 1, 100, 2048, 2049, 4096, 5000, 1 << 20, 1<<26 + 1} {
		b := p.Allocate(size)
		if len(b) != size {
			t.Fatalf("Allocate(%d): len %d", size, len(b))
		}
		if size > 0 && uintptr(unsafe.Pointer(unsafe.SliceData(b)))%64 != 0 {
			t.Errorf("Allocate(%d) is not 64-byte aligned", size)
		}
		for i := range b {
			b[i] = 0xff
		}
		p.Free(b)
		// A buffer taken back from the pool is zeroed, all of its
		// capacity, as a fresh Go allocation is.
		c := p.Allocate(size)
		if len(c) != size {
			t.Fatalf("second Allocate(%d): len %d", size, len(c))
		}
		for i, v := range c[:cap(c)] {
			if v != 0 {
				t.Fatalf("reused buffer of %d bytes has byte %d = %#x", size, i, v)
			}
		}
		p.Free(c)
	}
	// Reallocate keeps the contents.
	b := p.Allocate(5000)
	copy(b, "churn")
	b = p.Reallocate(100_000, b)
	if len(b) != 100_000 || string(b[:5]) != "churn" {
		t.Errorf("Reallocate: len %d, starts %q", len(b), b[:5])
	}
	// A buffer that is not a whole pooled class is left to the collector.
	p.Free(make([]byte, 6000))
	p.Free(make([]byte, 8192)[:100:6000])
	if k, ok := poolClass(4096); !ok || k != 0 {
		t.Errorf("poolClass(4096) = %d, %v", k, ok)
	}
	if _, ok := poolClass(1<<26 + 1); ok {
		t.Error("a buffer above 64 MiB is pooled")
	}
}

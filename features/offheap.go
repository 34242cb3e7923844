package features

import (
	"reflect"
	"runtime"
	"unsafe"

	"churn/internal/offheap"
)

// The accumulator pages of the stores live outside the Go heap where the
// platform allows (mapped anonymous memory; package internal/offheap). They are
// most of the job's memory, hold no pointers, and live as long as their
// Builder: on the heap, the garbage collector's headroom (GOGC=100 lets the
// heap grow to twice what is live) would double them. Off the heap, the
// headroom applies to the rest only. The pages are unmapped by a cleanup
// once no store refers to them.

// arena owns the mappings of one store's pages. Pages are carved from
// chunks of chunkBytes, mapped with a hint to back them with huge pages
// (offheap.Map): the fold reaches the accumulators of customers in random
// order, and with 4 KiB pages most of those reaches would also miss the
// TLB.
type arena struct {
	maps *mappings
	free []byte // the unused rest of the newest chunk
}

// chunkBytes is the size of an arena's chunks: a multiple of the 2 MiB of
// a huge page. Memory of a chunk that no page uses is never touched, so it
// costs address space only.
const chunkBytes = 32 << 20

// mappings is what the cleanup of an arena unmaps; the arena refers to it,
// not the reverse, so that the arena can become unreachable.
type mappings struct {
	m [][]byte
}

// alloc returns size zeroed bytes off the heap, aligned to 64 bytes, or nil.
func (a *arena) alloc(size int) []byte {
	size = (size + 63) &^ 63
	if size > len(a.free) {
		mem, mapping := offheap.Map(max(size, chunkBytes))
		if mem == nil {
			return nil
		}
		a.maps.m = append(a.maps.m, mapping)
		a.free = mem
	}
	b := a.free[:size:size]
	a.free = a.free[size:]
	return b
}

// newPage returns n zero values of T, off the heap when T holds no pointers
// and the platform can map memory.
func newPage[T any](a **arena, n int) []T {
	var zero T
	size := int(unsafe.Sizeof(zero)) * n
	if size == 0 || hasPointers(reflect.TypeFor[T]()) || unsafe.Alignof(zero) > 64 {
		return make([]T, n)
	}
	if *a == nil {
		*a = &arena{maps: &mappings{}}
		runtime.AddCleanup(*a, func(m *mappings) {
			for _, b := range m.m {
				offheap.Unmap(b)
			}
		}, (*a).maps)
	}
	mem := (*a).alloc(size)
	if mem == nil {
		return make([]T, n)
	}
	return unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(mem))), n)
}

// hasPointers reports whether values of t hold pointers the garbage
// collector must see.
func hasPointers(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return false
	case reflect.Array:
		return t.Len() > 0 && hasPointers(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if hasPointers(t.Field(i).Type) {
				return true
			}
		}
		return false
	}
	return true
}

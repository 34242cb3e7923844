package data

import (
	"math/bits"
	"sync"

	"github.com/apache/arrow/go/v17/arrow/memory"
)

// poolAllocator is an Arrow allocator that recycles the buffers Arrow
// frees. Arrow's Go allocator leaves every freed buffer to the garbage
// collector; reading a big table allocates a few megabytes per batch, and
// the collections that traffic causes take a large share of the CPU.
// Buffers are kept by power-of-two capacity, from 4 KiB
// (smaller ones are cheap to allocate) to 64 MiB, in sync.Pools, so idle
// buffers still go back to the collector. A reused buffer is zeroed, as Go
// allocations are: Arrow relies on that for bitmaps.
type poolAllocator struct {
	pools [poolClasses]sync.Pool
}

const (
	poolMinShift = 12 // 4 KiB
	poolMaxShift = 26 // 64 MiB
	poolClasses  = poolMaxShift - poolMinShift + 1
)

var recycling = &poolAllocator{}

// RecyclingAllocator returns an Arrow allocator, shared by its callers,
// that reuses the buffers Arrow frees. Pass it as ReadOptions.Allocator
// only when fn keeps nothing of a batch past its return, not even a
// string: with it, a string from an earlier batch may be overwritten by a
// later one, where the Go allocator would have kept it alive.
func RecyclingAllocator() memory.Allocator { return recycling }

// poolClass returns the pool index for a buffer of size bytes, and false when
// the size is outside the pooled range.
func poolClass(size int) (int, bool) {
	if size <= 1<<(poolMinShift-1) || size > 1<<poolMaxShift {
		return 0, false
	}
	shift := bits.Len(uint(size - 1)) // smallest power of two >= size
	return max(shift, poolMinShift) - poolMinShift, true
}

func (p *poolAllocator) Allocate(size int) []byte {
	k, ok := poolClass(size)
	if !ok {
		return memory.DefaultAllocator.Allocate(size)
	}
	if v := p.pools[k].Get(); v != nil {
		b := *(v.(*[]byte))
		clear(b)
		return b[:size]
	}
	// Power-of-two sizes of 4 KiB and more come from whole pages, so the
	// buffer is 64-byte aligned as Arrow wants.
	return make([]byte, size, 1<<(k+poolMinShift))
}

func (p *poolAllocator) Reallocate(size int, b []byte) []byte {
	if cap(b) >= size {
		return b[:size]
	}
	nb := p.Allocate(size)
	copy(nb, b)
	p.Free(b)
	return nb
}

func (p *poolAllocator) Free(b []byte) {
	c := cap(b)
	if c&(c-1) != 0 {
		return // not one of ours: the collector takes it
	}
	k, ok := poolClass(c)
	if !ok || c != 1<<(k+poolMinShift) {
		return
	}
	b = b[:c]
	p.pools[k].Put(&b)
}

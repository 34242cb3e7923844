package features

import (
	"reflect"
	"testing"
	"unsafe"
)

func TestHasPointers(t *testing.T) {
	tests := []struct {
		name string
		typ  reflect.Type
		want bool
	}{
		{"sessAcc", reflect.TypeFor[sessAcc](), false},
		{"evAcc", reflect.TypeFor[evAcc](), false},
		{"tickAcc", reflect.TypeFor[tickAcc](), false},
		{"npsAcc", reflect.TypeFor[npsAcc](), false},
		{"ordAcc", reflect.TypeFor[ordAcc](), false},
		{"string", reflect.TypeFor[string](), true},
		{"slice in a struct", reflect.TypeFor[struct {
			a int
			b []int
		}](), true},
		{"pointer in an array", reflect.TypeFor[[2]*int](), true},
	}
	for _, tt := range tests {
		if got := hasPointers(tt.typ); got != tt.want {
			t.Errorf("%s: hasPointers = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestNewPage: pages are zeroed, writable and distinct, off the heap or
// not.
func TestNewPage(t *testing.T) {
	var a *arena
	p := newPage[tickAcc](&a, 1000)
	q := newPage[tickAcc](&a, 1000)
	for i := range p {
		if p[i] != (tickAcc{}) || q[i] != (tickAcc{}) {
			t.Fatalf("page value %d not zero", i)
		}
		p[i].total = int32(i)
	}
	for i := range p {
		if p[i].total != int32(i) || q[i].total != 0 {
			t.Fatalf("value %d: %d and %d, want %d and 0", i, p[i].total, q[i].total, i)
		}
	}
	if s := newPage[string](&a, 3); len(s) != 3 {
		t.Errorf("page of strings: %d values, want 3", len(s))
	}
}

// TestArenaChunks: pages carved from an arena's chunks do not overlap,
// across chunk boundaries and for a page larger than a chunk, and start
// 64-byte aligned.
func TestArenaChunks(t *testing.T) {
	var a *arena
	const n = 1 << 17 // 1 MiB of int64 a page
	var pages [][]int64
	for k := range 2*chunkBytes/(8*n) + 1 {
		p := newPage[int64](&a, n)
		if len(p) != n {
			t.Fatalf("page %d: %d values, want %d", k, len(p), n)
		}
		pages = append(pages, p)
	}
	pages = append(pages, newPage[int64](&a, chunkBytes/8+5), newPage[int64](&a, 3))
	for k, p := range pages {
		if addr := uintptr(unsafe.Pointer(unsafe.SliceData(p))); addr%64 != 0 {
			t.Errorf("page %d at %#x: not 64-byte aligned", k, addr)
		}
		for i := range p {
			if p[i] != 0 {
				t.Fatalf("page %d value %d: %d, want 0", k, i, p[i])
			}
			p[i] = int64(k)
		}
	}
	for k, p := range pages {
		for i, v := range p {
			if v != int64(k) {
				t.Fatalf("page %d value %d: %d, want %d (pages overlap)", k, i, v, k)
			}
		}
	}
	if a != nil && len(a.maps.m) < 3 {
		t.Errorf("%d mappings for %d MiB of pages, want at least 3", len(a.maps.m), 2*chunkBytes>>20)
	}
}

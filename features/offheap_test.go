package features

import (
	"reflect"
	"testing"
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

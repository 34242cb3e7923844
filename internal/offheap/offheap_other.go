//go:build !unix

package offheap

// HugePage is the size from which Map would advise huge pages.
const HugePage = 2 << 20

// Map is unavailable here: it returns nils, and pages stay on the Go heap.
func Map(size int) (use, mapping []byte) { return nil, nil }

// Unmap does nothing here.
func Unmap(b []byte) {}

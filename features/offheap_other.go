//go:build !unix

package features

// mapAnon is unavailable here: pages stay on the Go heap.
func mapAnon(size int) (use, mapping []byte) { return nil, nil }

func unmap(b []byte) {}

//go:build !unix

package gbt

// mapCodes returns n zeroed bytes from the heap where memory cannot be
// mapped, and a release that does nothing.
func mapCodes(n int) ([]byte, func()) { return make([]byte, n), func() {} }

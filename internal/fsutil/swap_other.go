//go:build !linux && !darwin

package fsutil

import "errors"

// swapDirs reports errors.ErrUnsupported: Windows and the other systems
// have no call that swaps two folder names in one step, so exchange moves
// the old folder aside and the new one into place.
func swapDirs(a, b string) error { return errors.ErrUnsupported }

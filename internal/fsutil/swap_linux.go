package fsutil

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// swapDirs exchanges the names a and b in one step with renameat2
// RENAME_EXCHANGE. Kernels before 3.15 and file systems without the flag
// answer ENOSYS, EINVAL or ENOTSUP, reported as errors.ErrUnsupported.
func swapDirs(a, b string) error {
	err := unix.Renameat2(unix.AT_FDCWD, a, unix.AT_FDCWD, b, unix.RENAME_EXCHANGE)
	if errors.Is(err, unix.ENOSYS) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOTSUP) {
		return fmt.Errorf("renameat2: %w: %w", errors.ErrUnsupported, err)
	}
	return err
}

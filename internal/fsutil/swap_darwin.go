package fsutil

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// swapDirs exchanges the names a and b in one step with renamex_np
// RENAME_SWAP (macOS 10.12 and later). File systems without it (HFS+ on
// old systems, network and FAT volumes) answer ENOTSUP or EINVAL, reported
// as errors.ErrUnsupported.
func swapDirs(a, b string) error {
	err := unix.RenamexNp(a, b, unix.RENAME_SWAP)
	if errors.Is(err, unix.ENOTSUP) || errors.Is(err, unix.EINVAL) || errors.Is(err, unix.ENOSYS) {
		return fmt.Errorf("renamex_np: %w: %w", errors.ErrUnsupported, err)
	}
	return err
}

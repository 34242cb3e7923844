package lock

import (
	"errors"
	"os"

	"golang.org/x/sys/windows"
)

// lockRegion is where the lock lies: one byte far past the end of the
// file. Windows byte-range locks are mandatory, so locking the holder
// record itself would keep the next run from reading who holds it.
func lockRegion() *windows.Overlapped { return &windows.Overlapped{OffsetHigh: 0x7fffffff} }

// lockFile takes an exclusive LockFileEx lock on f without waiting;
// errLockHeld when another process holds it. Windows releases it when the
// handle is closed or its process ends.
func lockFile(f *os.File) error {
	err := windows.LockFileEx(windows.Handle(f.Fd()), windows.LOCKFILE_EXCLUSIVE_LOCK|windows.LOCKFILE_FAIL_IMMEDIATELY, 0, 1, 0, lockRegion())
	if errors.Is(err, windows.ERROR_LOCK_VIOLATION) {
		return errLockHeld
	}
	return err
}

func unlockFile(f *os.File) error {
	return windows.UnlockFileEx(windows.Handle(f.Fd()), 0, 1, 0, lockRegion())
}

// Package lock is the exclusive lock of an output folder: one run at a
// time writes into it. Acquire takes the lock file Name inside the folder
// (flock on Linux, macOS and the BSDs, LockFileEx on Windows), which the
// system drops when its process dies, however it dies, so a lock left by
// a killed run never blocks the next one; the holder record (pid, host,
// command, start) it left behind is logged when the next run takes over.
// On a bucket the lock is an object created with a conditional write
// (S3's If-None-Match: *, GCS's does-not-exist precondition, an exclusive
// hard link for file://); a killed run leaves it, and the next run fails
// naming it. A store that ignores the condition (some S3-compatible ones)
// is caught by a second conditional write of the object, which it takes
// instead of refusing: the run then goes on under a lock that cannot
// exclude, and Acquire logs a warning (lock_excludes false) saying that
// the scheduler must keep runs apart.
//
// Acquire fails at once with ErrLocked, naming the holder, when another
// process holds the lock; it never waits. Release empties the holder
// record and drops the lock; the file stays.
package lock

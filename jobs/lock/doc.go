// Package lock is the exclusive lock of an output folder: one run at a
// time writes into it. Acquire takes the lock file Name inside the folder
// (flock on Linux, macOS and the BSDs, LockFileEx on Windows), which the
// system drops when its process dies, however it dies, so a lock left by
// a killed run never blocks the next one; the holder record (pid, host,
// command, start) it left behind is logged when the next run takes over.
// On a bucket the lock is an object created with a conditional write; a
// killed run leaves it, and the next run fails naming it.
//
// Acquire fails at once with ErrLocked, naming the holder, when another
// process holds the lock; it never waits. Release empties the holder
// record and drops the lock; the file stays.
package lock

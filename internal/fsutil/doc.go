// Package fsutil is the one atomic writer of the module: files and
// folders that appear under their final name whole or not at all, made
// durable with fsync, under one temporary-name scheme that one stale
// cleanup clears. data, data/runs, model's registry and jobs write through
// it.
//
// # Files
//
// Create opens a temporary file beside the target; File.Commit flushes,
// fsyncs, closes, renames it into place and fsyncs the folder; Abort
// removes it. WriteFile does all of that for a byte slice. Writers that
// open the path they are given (the Parquet writers of data) write to
// TempPath and move the finished file into place with Rename.
//
// # Folders
//
// The protocol of a folder, whatever the store: CreatePending, write the
// parts into Pending.Dir, then the manifest, then MarkSuccess (an empty
// _SUCCESS marker, as Spark and Hadoop write, for downstream sensors; run
// folders and imported datasets carry it), then Commit; Abort on any
// error. Commit fsyncs every file and folder under Dir and makes the
// target appear in one rename, or, when it exists, one atomic swap:
// renameat2(RENAME_EXCHANGE) on Linux, renamex_np(RENAME_SWAP) on macOS.
// Readers see the old folder or the new, never a part. Where no swap
// exists (Windows, other systems, file systems without it) the old folder
// is moved aside and the new one into place: a crash between the two
// leaves the target missing, never partial, and the old contents under a
// temporary name. Windows cannot fsync a folder; NTFS journals its names.
//
// # Temporary names
//
// Every temporary file and folder is named TempPrefix + final name + "-" +
// a random suffix, beside its target: the leading dot keeps it out of
// dataset discovery and Hive-style readers. RemoveStale clears them from a
// folder whose lock the caller holds.
//
// # Modes
//
// CreateTemp and MkdirTemp, which every writer here uses, give 0666 and
// 0777 less the process umask, what os.Create and os.Mkdir give, not the
// 0600 and 0700 of os.CreateTemp and os.MkdirTemp: a rename keeps the
// mode, and a registry version or a list written through those could be
// read only by the user who wrote it, so a run under another user id
// (another pod) could not read what train wrote.
package fsutil

package fsutil

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// TempPrefix starts the name of every temporary file and folder that the
// writers here make, beside the file or folder they will become:
// TempPrefix + final name + "-" + a random suffix. The leading dot keeps
// them out of dataset discovery and of Hive-style readers; RemoveStale
// clears the ones a killed process left.
const TempPrefix = ".tmp-"

// tempPrefixFor is the prefix of the temporary names of final.
func tempPrefixFor(final string) string { return TempPrefix + filepath.Base(final) + "-" }

// TempPath returns a fresh temporary name beside path, for a writer that
// opens the path it is given; Rename then moves it into place. It creates
// nothing.
func TempPath(path string) string {
	return filepath.Join(filepath.Dir(path), tempPrefixFor(path)+suffix())
}

// Rename moves tmp, a complete file that its writer has fsynced and
// closed, over path, then fsyncs path's folder so that the new name is
// durable. On error it removes tmp, and path is left as it was.
func Rename(tmp, path string) error {
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return err
	}
	return SyncDir(filepath.Dir(path))
}

// File is a file being written that appears under its final name only
// when complete: readers see the old file or the new one, never a part.
// Write through the embedded *os.File, then Commit or Abort.
type File struct {
	*os.File
	path string
	done bool
}

// Create opens a temporary file beside path, with mode 0666 less the
// umask, for the contents of path.
func Create(path string) (*File, error) {
	f, err := CreateTemp(filepath.Dir(path), tempPrefixFor(path))
	if err != nil {
		return nil, err
	}
	return &File{File: f, path: path}, nil
}

// Commit runs flush, in order (a bufio.Writer's Flush, an encoder's
// Close), fsyncs and closes the file, renames it to its final name and
// fsyncs the folder. On any error the temporary file is removed and the
// error returned; the final name is left as it was.
func (f *File) Commit(flush ...func() error) error {
	if f.done {
		return fmt.Errorf("commit %s: %w", f.path, os.ErrClosed)
	}
	f.done = true
	if err := Finish(f.File, flush...); err != nil {
		os.Remove(f.Name())
		return err
	}
	return Rename(f.Name(), f.path)
}

// Abort closes and removes the temporary file; after Commit it does
// nothing.
func (f *File) Abort() {
	if f.done {
		return
	}
	f.done = true
	f.Close()
	os.Remove(f.Name())
}

// WriteFile writes b to path through a temporary file in the same folder:
// write, fsync, rename, fsync the folder. Readers see the old file or the
// new one, never a part.
func WriteFile(path string, b []byte) error {
	f, err := Create(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(b); err != nil {
		f.Abort()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// Finish runs flush, in order, then fsyncs and closes f, and returns the
// first error; f is closed whatever happens. It is how a file a writer
// streamed into is made durable before it is renamed into place.
func Finish(f *os.File, flush ...func() error) error {
	var err error
	for _, fl := range flush {
		if err = fl(); err != nil {
			break
		}
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// SuccessFile is the empty marker that MarkSuccess writes, last, into a
// folder before it is committed, as Spark and Hadoop do, for downstream
// sensors (Airflow's, say) that wait for a folder to be complete.
const SuccessFile = "_SUCCESS"

// Pending is a folder being written that appears under its final name only
// when complete. The protocol, the same whatever the store: write the
// parts into Dir, then the manifest, then MarkSuccess (for folders that
// carry the marker), then Commit; Abort on any error.
type Pending struct {
	parent, name, dir string
	done              bool
}

// CreatePending makes the temporary folder parent/.tmp-<name>-<random>,
// with mode 0777 less the umask, for the contents of parent/name; it makes
// parent first when missing.
func CreatePending(parent, name string) (*Pending, error) {
	if name == "" || strings.ContainsAny(name, `/\`) || name == "." || name == ".." {
		return nil, fmt.Errorf("create pending %q: invalid name", name)
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("create pending %s: %w", name, err)
	}
	dir, err := MkdirTemp(parent, tempPrefixFor(name))
	if err != nil {
		return nil, fmt.Errorf("create pending %s: %w", name, err)
	}
	return &Pending{parent: parent, name: name, dir: dir}, nil
}

// Dir is the temporary folder to write into.
func (p *Pending) Dir() string { return p.dir }

// MarkSuccess writes the empty SuccessFile into Dir. Call it after every
// other file is written, just before Commit.
func (p *Pending) MarkSuccess() error {
	if err := os.WriteFile(filepath.Join(p.dir, SuccessFile), nil, 0o644); err != nil {
		return fmt.Errorf("commit %s: %w", p.name, err)
	}
	return nil
}

// Commit fsyncs every file and folder under Dir, then makes parent/name
// appear with those contents in one step: a rename when it does not exist,
// an exchange when it does, after which the old contents are removed. It
// fsyncs parent last. After a failed Commit, call Abort.
func (p *Pending) Commit() error {
	if p.done {
		return fmt.Errorf("commit %s: %w", p.name, os.ErrClosed)
	}
	if err := syncTree(p.dir); err != nil {
		return fmt.Errorf("commit %s: %w", p.name, err)
	}
	final := filepath.Join(p.parent, p.name)
	if _, err := os.Lstat(final); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(p.dir, final); err != nil {
			return fmt.Errorf("commit %s: %w", p.name, err)
		}
	} else {
		if err := exchange(p.dir, final); err != nil {
			return fmt.Errorf("commit %s: %w", p.name, err)
		}
		// p.dir now holds the old contents.
		if err := os.RemoveAll(p.dir); err != nil {
			return fmt.Errorf("commit %s: remove old: %w", p.name, err)
		}
	}
	p.done = true
	if err := SyncDir(p.parent); err != nil {
		return fmt.Errorf("commit %s: %w", p.name, err)
	}
	return nil
}

// exchange swaps the folders a and b. Where the system can swap two names
// in one step (swapDirs: renameat2 RENAME_EXCHANGE on Linux, renamex_np
// RENAME_SWAP on macOS) it is atomic. Where the system, the kernel or the
// file system cannot (Windows and the other systems, old kernels, file
// systems without the call), it moves b aside and a into place: not
// atomic, a crash between the two renames leaves b missing and its old
// contents under a TempPrefix name that RemoveStale clears, never a
// partial b.
func exchange(a, b string) error {
	err := swapDirs(a, b)
	if err == nil {
		return nil
	}
	if !errors.Is(err, errors.ErrUnsupported) {
		return fmt.Errorf("exchange: %w", err)
	}
	return exchangeByRenames(a, b)
}

// exchangeByRenames swaps the folders a and b with three renames, through
// a+"-old", which starts with a's TempPrefix.
func exchangeByRenames(a, b string) error {
	aside := a + "-old"
	if err := os.Rename(b, aside); err != nil {
		return err
	}
	if err := os.Rename(a, b); err != nil {
		return err
	}
	return os.Rename(aside, a)
}

// Abort removes the temporary folder; after a successful Commit it does
// nothing.
func (p *Pending) Abort() error {
	if p.done {
		return nil
	}
	p.done = true
	if err := os.RemoveAll(p.dir); err != nil {
		return fmt.Errorf("abort %s: %w", p.name, err)
	}
	return nil
}

// RemoveStale removes the TempPrefix folders and files that the writers
// here left in parent when a process died, and returns their names,
// sorted. The caller must hold the lock of parent, so that none of them
// belongs to a live writer. A missing parent is not an error.
func RemoveStale(parent string) ([]string, error) {
	entries, err := os.ReadDir(parent)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("remove stale: %w", err)
	}
	var removed []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), TempPrefix) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(parent, e.Name())); err != nil {
			return removed, fmt.Errorf("remove stale: %w", err)
		}
		removed = append(removed, e.Name())
	}
	return removed, nil
}

// syncTree fsyncs every regular file and folder under root, root included.
func syncTree(root string) error {
	return filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			return SyncDir(path)
		}
		if !e.Type().IsRegular() {
			return nil
		}
		return syncFile(path)
	})
}

package data

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"churn/internal/fsutil"
)

// tmpPrefix starts the name of every temporary folder or file made here.
const tmpPrefix = ".tmp-"

// Pending is a folder being written that appears under its final name only
// when complete.
type Pending struct {
	parent, name, dir string
	done              bool
}

// CreatePending makes the temporary folder parent/.tmp-<name>-<pid>-<random>
// for the contents of parent/name.
func CreatePending(parent, name string) (*Pending, error) {
	if name == "" || strings.ContainsRune(name, os.PathSeparator) {
		return nil, fmt.Errorf("create pending %q: invalid name", name)
	}
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return nil, fmt.Errorf("create pending %s: %w", name, err)
	}
	var rnd [6]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return nil, fmt.Errorf("create pending %s: %w", name, err)
	}
	dir := filepath.Join(parent, fmt.Sprintf("%s%s-%d-%s", tmpPrefix, name, os.Getpid(), hex.EncodeToString(rnd[:])))
	if err := os.Mkdir(dir, 0o755); err != nil {
		return nil, fmt.Errorf("create pending %s: %w", name, err)
	}
	return &Pending{parent: parent, name: name, dir: dir}, nil
}

// Dir is the temporary folder to write into.
func (p *Pending) Dir() string { return p.dir }

// SuccessFile is the empty marker that Commit writes last into every
// folder it commits, as Spark and Hadoop do, for downstream sensors
// (Airflow's, say) that wait for a folder to be complete.
const SuccessFile = "_SUCCESS"

// Commit writes SuccessFile into Dir, fsyncs every file and folder under
// Dir, then makes parent/name appear with those contents in one step: a
// rename when it does not exist, an atomic exchange when it does, after
// which the old contents are removed. It fsyncs parent last. After a
// failed Commit, call Abort.
func (p *Pending) Commit() error {
	if p.done {
		return fmt.Errorf("commit %s: %w", p.name, os.ErrClosed)
	}
	if err := os.WriteFile(filepath.Join(p.dir, SuccessFile), nil, 0o644); err != nil {
		return fmt.Errorf("commit %s: %w", p.name, err)
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
	if err := syncDir(p.parent); err != nil {
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
// contents under a .tmp- name that RemoveStale clears, never a partial b.
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
// a+"-old", which starts with a's .tmp- prefix.
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

// RemoveStale removes the .tmp-* folders and files that CreatePending and
// WriteFileAtomic left in parent when a process died, and returns their
// names, sorted. The caller must hold the lock of parent, so that none of
// them belongs to a live writer. A missing parent is not an error.
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
		if !strings.HasPrefix(e.Name(), tmpPrefix) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(parent, e.Name())); err != nil {
			return removed, fmt.Errorf("remove stale: %w", err)
		}
		removed = append(removed, e.Name())
	}
	return removed, nil
}

// WriteFileAtomic writes b to path through a temporary file in the same
// folder: write, fsync, rename, fsync the folder. Readers see the old file
// or the new one, never a part.
func WriteFileAtomic(path string, b []byte) (err error) {
	dir := filepath.Dir(path)
	f, err := fsutil.CreateTemp(dir, tmpPrefix+filepath.Base(path)+"-")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
			err = fmt.Errorf("write %s: %w", path, err)
		}
	}()
	if _, err := f.Write(b); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return err
	}
	return syncDir(dir)
}

// FinishFile runs flush, in order, then fsyncs and closes f, and returns
// the first error; f is closed whatever happens. It is how a file a writer
// streamed into (a temporary file, say, renamed into place after) is
// made durable.
func FinishFile(f *os.File, flush ...func() error) error {
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

// syncTree fsyncs every regular file and folder under root, root included.
func syncTree(root string) error {
	return filepath.WalkDir(root, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.IsDir() {
			return syncDir(path)
		}
		if !e.Type().IsRegular() {
			return nil
		}
		return syncFile(path)
	})
}

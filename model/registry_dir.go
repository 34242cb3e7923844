package model

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"churn/internal/fsutil"
)

// OpenRegistry opens the registry in the folder dir, creating the folder
// if needed. A version is written into a temporary folder, fsynced, and
// renamed into place whole; PROMOTED is replaced by an atomic rename.
func OpenRegistry(dir string) (*Registry, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("open registry: %w", err)
	}
	return &Registry{b: dirBackend(dir)}, nil
}

// dirBackend is a registry in a local folder.
type dirBackend string

func (d dirBackend) String() string { return string(d) }

func (d dirBackend) close() error { return nil }

func (d dirBackend) path(elem ...string) string {
	return filepath.Join(append([]string{string(d)}, elem...)...)
}

func (d dirBackend) names() ([]string, error) {
	ents, err := os.ReadDir(string(d))
	if err != nil {
		return nil, err
	}
	names := make([]string, len(ents))
	for i, e := range ents {
		names[i] = e.Name()
	}
	return names, nil
}

// complete lists the version folders that hold a model: a folder appears
// only by the rename of a finished one.
func (d dirBackend) complete() ([]string, error) {
	ents, err := os.ReadDir(string(d))
	if err != nil {
		return nil, err
	}
	var vs []string
	for _, e := range ents {
		if _, ok := versionNumber(e.Name()); ok && e.IsDir() {
			if _, err := os.Stat(d.path(e.Name(), modelFile)); err == nil {
				vs = append(vs, e.Name())
			}
		}
	}
	return vs, nil
}

func (d dirBackend) used(version string) (bool, error) {
	_, err := os.Lstat(d.path(version))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	return err == nil, err
}

func (d dirBackend) create(name string) error {
	f, err := os.OpenFile(d.path(name), os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

func (d dirBackend) remove(name string) error {
	if err := os.Remove(d.path(name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

// commit writes the files into a temporary folder and renames it into
// place; the claim keeps the version's name free, so the rename never
// replaces a folder.
func (d dirBackend) commit(version string, files []versionFile) (err error) {
	pending, err := fsutil.CreatePending(string(d), version)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			pending.Abort()
		}
	}()
	for _, f := range files {
		if err = os.WriteFile(filepath.Join(pending.Dir(), f.name), f.data, 0o666); err != nil {
			return err
		}
	}
	return pending.Commit()
}

func (d dirBackend) read(version, name string) ([]byte, error) {
	return os.ReadFile(d.path(version, name))
}

// replace writes name through a temporary file and a rename. With ifNone
// it checks first: of two savers that find no promoted version at the
// same instant both may write the pointer, and the later one stands.
func (d dirBackend) replace(name string, b []byte, ifNone bool) error {
	if ifNone {
		if _, err := os.Lstat(d.path(name)); err == nil {
			return fmt.Errorf("%s: %w", d.path(name), fs.ErrExist)
		}
	}
	return fsutil.WriteFile(d.path(name), b)
}

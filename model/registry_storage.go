package model

import (
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// Storage is a prefix of an object store (a bucket) that holds a
// registry. Keys are "/"-separated and relative to the prefix: PROMOTED,
// v0001/model.bin. model implements no store itself: the caller adapts the
// module's blob access to this, so that model needs no cloud library. Its
// methods must be safe for concurrent use, and every error should name
// the object's URL.
type Storage interface {
	// String names the registry in messages: its URL.
	String() string
	// Get returns the whole object key; an error that wraps fs.ErrNotExist
	// when there is none.
	Get(key string) ([]byte, error)
	// Put writes the object key whole, replacing an earlier one in one
	// step: a reader gets the old bytes or the new, never a part. With
	// ifNotExist it fails, with an error that wraps fs.ErrExist, when key
	// exists, atomically (a conditional write, If-None-Match: *).
	Put(key string, data []byte, ifNotExist bool) error
	// List returns the keys of the objects under prefix, "" for all or a
	// folder such as "v0001/", at any depth.
	List(prefix string) ([]string, error)
	// Delete removes the object key; a missing one is no error.
	Delete(key string) error
}

// OpenStorageRegistry opens the registry kept in s, with the layout of a
// folder registry. An object store has no rename, so a version's files
// are uploaded one by one and its meta.json last: a version is visible,
// to Versions, List, Load and Promote, only once its meta.json exists,
// so readers never see a part of one. A version number is claimed with a
// conditional write of .vNNNN.claim, which fails when another saver
// holds it. PROMOTED is one small object, replaced in one PUT; of two
// first saves, the conditional write of PROMOTED lets exactly one
// promote its version. Nothing is contacted until the first call; Close
// closes s when it is an io.Closer.
func OpenStorageRegistry(s Storage) *Registry { return &Registry{b: storageBackend{s}} }

type storageBackend struct{ s Storage }

func (b storageBackend) String() string { return b.s.String() }

func (b storageBackend) close() error {
	if c, ok := b.s.(io.Closer); ok {
		return c.Close()
	}
	return nil
}

func (b storageBackend) names() ([]string, error) {
	keys, err := b.s.List("")
	if err != nil {
		return nil, err
	}
	var names []string
	for _, k := range keys {
		top, _, _ := strings.Cut(k, "/")
		names = append(names, top)
	}
	return names, nil
}

func (b storageBackend) complete() ([]string, error) {
	keys, err := b.s.List("")
	if err != nil {
		return nil, err
	}
	var vs []string
	for _, k := range keys {
		if v, file, ok := strings.Cut(k, "/"); ok && file == metaFile {
			if _, ok := versionNumber(v); ok {
				vs = append(vs, v)
			}
		}
	}
	return vs, nil
}

func (b storageBackend) used(version string) (bool, error) {
	keys, err := b.s.List(version + "/")
	return len(keys) > 0, err
}

func (b storageBackend) create(name string) error { return b.s.Put(name, nil, true) }

func (b storageBackend) remove(name string) error { return b.s.Delete(name) }

// commit uploads the files in order, meta.json last. When one fails, it
// deletes what it uploaded, meta.json first (its upload may have
// succeeded whatever the answer said), so that the version does not
// become visible; what it cannot delete stays invisible, and the name is
// not claimed again while anything of it exists.
func (b storageBackend) commit(version string, files []versionFile) error {
	if len(files) == 0 || files[len(files)-1].name != metaFile {
		return fmt.Errorf("commit %s: %s must come last", version, metaFile)
	}
	for i, f := range files {
		if err := b.s.Put(path.Join(version, f.name), f.data, false); err != nil {
			var errs []error
			for j := i; j >= 0; j-- {
				errs = append(errs, b.s.Delete(path.Join(version, files[j].name)))
			}
			if derr := errors.Join(errs...); derr != nil {
				return fmt.Errorf("%w (and the clean-up of what was written failed: %w)", err, derr)
			}
			return err
		}
	}
	return nil
}

func (b storageBackend) read(version, name string) ([]byte, error) {
	return b.s.Get(path.Join(version, name))
}

func (b storageBackend) replace(name string, data []byte, ifNone bool) error {
	return b.s.Put(name, data, ifNone)
}

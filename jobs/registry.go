package jobs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"

	"churn/data/store"
	"churn/jobs/output"
	"churn/model"
)

// openRegistry opens the model registry at loc: a folder, created when
// missing, or a bucket URL (s3://, gs://, file://), reached through
// data/store with the same layout and guarantees (model.OpenStorageRegistry).
// Close the registry when done.
func openRegistry(loc string) (*model.Registry, error) {
	if !store.IsURL(loc) {
		return model.OpenRegistry(loc)
	}
	ctx := context.Background()
	s, err := store.Open(ctx, loc, store.Options{})
	if err != nil {
		return nil, err
	}
	return model.OpenStorageRegistry(registryStorage{s: s, ctx: ctx}), nil
}

// registryStorage is a store.Store as the model registry's Storage: a
// missing object wraps fs.ErrNotExist, a taken key fs.ErrExist, and every
// error names the object's URL and keeps the store's marks (ErrAccess,
// ErrUnavailable), which set the exit code.
type registryStorage struct {
	s   *store.Store
	ctx context.Context
}

func (r registryStorage) String() string { return r.s.String() }

func (r registryStorage) Get(key string) ([]byte, error) { return r.s.ReadAll(r.ctx, key) }

func (r registryStorage) Put(key string, data []byte, ifNotExist bool) error {
	err := r.s.Put(r.ctx, key, data, ifNotExist)
	if errors.Is(err, store.ErrExists) {
		return fmt.Errorf("%w: %w", err, fs.ErrExist)
	}
	return err
}

func (r registryStorage) List(prefix string) ([]string, error) {
	objs, err := r.s.List(r.ctx, prefix)
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(objs))
	for i, o := range objs {
		keys[i] = o.Key
	}
	return keys, nil
}

func (r registryStorage) Delete(key string) error { return r.s.Delete(r.ctx, key) }

func (r registryStorage) Close() error { return r.s.Close() }

// probeName starts the name of the object that checkRegistryWritable
// writes and deletes; the registry ignores it.
const probeName = ".churn-probe-"

// checkRegistryWritable reports whether versions can be saved in the
// registry at loc before any work: a folder is created when missing and
// probed with a file; a bucket with an object written and deleted, which
// checks the credentials, the bucket and the permissions at once.
func checkRegistryWritable(loc string) error {
	if !store.IsURL(loc) {
		return output.CheckWritableDir(loc, true)
	}
	ctx := context.Background()
	s, err := store.Open(ctx, loc, store.Options{})
	if err != nil {
		return err
	}
	defer s.Close()
	key := fmt.Sprintf("%s%016x", probeName, rand.Uint64())
	if err := s.Put(ctx, key, nil, false); err != nil {
		return err
	}
	return s.Delete(ctx, key)
}

// registryCacheDir is the folder of train's feature cache for the
// registry at loc: its cache/ sub-folder for a folder; for a bucket, a
// folder of the user's cache (os.UserCacheDir, else the temporary
// folder) named after the registry's URL, since the cache's entries are
// large local files that only this machine's next train reads.
func registryCacheDir(loc string) string {
	if !store.IsURL(loc) {
		return filepath.Join(loc, "cache")
	}
	root, err := os.UserCacheDir()
	if err != nil {
		root = os.TempDir()
	}
	url, _, _ := strings.Cut(loc, "?")
	sum := sha256.Sum256([]byte(strings.TrimSuffix(url, "/")))
	return filepath.Join(root, "churn", "registry-"+hex.EncodeToString(sum[:8]), "cache")
}

// openExistingRegistry opens a registry that must exist already: commands
// that only read one do not create an empty folder on a typo. A bucket
// prefix that holds no object is no registry.
func openExistingRegistry(loc string) (*model.Registry, error) {
	if store.IsURL(loc) {
		ctx := context.Background()
		s, err := store.Open(ctx, loc, store.Options{})
		if err != nil {
			return nil, fmt.Errorf("registry %s: %w", loc, err)
		}
		objs, err := s.List(ctx, "")
		if err != nil {
			s.Close()
			return nil, fmt.Errorf("registry %s: %w", loc, err)
		}
		if len(objs) == 0 {
			s.Close()
			return nil, invalid(fmt.Errorf("registry %s holds nothing: no registry there (train one with churn train --registry %s)", loc, loc))
		}
		return model.OpenStorageRegistry(registryStorage{s: s, ctx: ctx}), nil
	}
	st, err := os.Stat(loc)
	if err != nil {
		return nil, invalid(fmt.Errorf("registry %s: %w", loc, err))
	}
	if !st.IsDir() {
		return nil, invalid(fmt.Errorf("registry %s is not a folder", loc))
	}
	reg, err := model.OpenRegistry(loc)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", loc, err)
	}
	return reg, nil
}

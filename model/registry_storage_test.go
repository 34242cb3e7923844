package model

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// memStorage is a Storage in memory with an object store's guarantees:
// a Put is whole, a conditional Put is atomic. fail, when set, may fail
// an operation before it takes effect.
type memStorage struct {
	mu   sync.Mutex
	objs map[string][]byte
	puts []string
	fail func(op, key string) error
}

func newMemStorage() *memStorage { return &memStorage{objs: map[string][]byte{}} }

func (s *memStorage) String() string { return "mem://reg" }

func (s *memStorage) check(op, key string) error {
	if s.fail != nil {
		if err := s.fail(op, key); err != nil {
			return fmt.Errorf("%s mem://reg/%s: %w", op, key, err)
		}
	}
	return nil
}

func (s *memStorage) Get(key string) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check("get", key); err != nil {
		return nil, err
	}
	b, ok := s.objs[key]
	if !ok {
		return nil, fmt.Errorf("read mem://reg/%s: %w", key, fs.ErrNotExist)
	}
	return bytes.Clone(b), nil
}

func (s *memStorage) Put(key string, data []byte, ifNotExist bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check("put", key); err != nil {
		return err
	}
	if _, ok := s.objs[key]; ok && ifNotExist {
		return fmt.Errorf("write mem://reg/%s: %w", key, fs.ErrExist)
	}
	s.objs[key] = bytes.Clone(data)
	s.puts = append(s.puts, key)
	return nil
}

func (s *memStorage) List(prefix string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check("list", prefix); err != nil {
		return nil, err
	}
	var keys []string
	for k := range s.objs {
		if strings.HasPrefix(k, prefix) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	return keys, nil
}

func (s *memStorage) Delete(key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.check("delete", key); err != nil {
		return err
	}
	delete(s.objs, key)
	return nil
}

func (s *memStorage) keys() []string {
	k, _ := s.List("")
	return k
}

// TestStorageRegistryLayout: a registry on object storage holds the
// objects a folder registry holds as files, with the same bytes, so that
// either can be copied into the other; a version's meta.json is uploaded
// last and no claim is left behind.
func TestStorageRegistryLayout(t *testing.T) {
	tr, va, ca, ytr, yva, yca := trainSets(t)
	m, err := Train(fastConfig(AlgoGBT), tr, va, ca, ytr, yva, yca)
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "reg")
	folder, err := OpenRegistry(dir)
	if err != nil {
		t.Fatal(err)
	}
	mem := newMemStorage()
	bucket := OpenStorageRegistry(mem)
	meta := Meta{CreatedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), CodeVersion: "test"}
	card := VersionFile{Name: "CARD.md", Render: func(v string) ([]byte, error) { return []byte("# " + v + "\n"), nil }}
	for _, reg := range []*Registry{folder, bucket} {
		for range 2 {
			if _, _, err := reg.Save(m, meta, card); err != nil {
				t.Fatal(err)
			}
		}
		if err := reg.Promote("v0002", true); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string][]byte{}
	err = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)], err = os.ReadFile(p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 11 || len(mem.objs) != len(files) {
		t.Fatalf("the folder holds %d files, the storage %d objects (%v), want 2 versions of 5 and PROMOTED", len(files), len(mem.objs), mem.keys())
	}
	for k, b := range files {
		if !bytes.Equal(mem.objs[k], b) {
			t.Errorf("%s: the storage holds %d bytes, the folder %d, or other bytes", k, len(mem.objs[k]), len(b))
		}
	}
	want := []string{".v0001.claim", "v0001/model.bin", "v0001/metrics.json", "v0001/features.json", "v0001/CARD.md", "v0001/meta.json", "PROMOTED"}
	if got := mem.puts[:len(want)]; !slices.Equal(got, want) {
		t.Errorf("first save's PUTs %v, want %v", got, want)
	}
}

// TestStorageRegistryHidesPartialVersions: a version whose meta.json has
// not been uploaded (being written, or left by a saver that died) is not
// listed, loaded or promoted, and its number is not reused.
func TestStorageRegistryHidesPartialVersions(t *testing.T) {
	tr, va, ca, ytr, yva, yca := trainSets(t)
	m, err := Train(fastConfig(AlgoGBT), tr, va, ca, ytr, yva, yca)
	if err != nil {
		t.Fatal(err)
	}
	mem := newMemStorage()
	reg := OpenStorageRegistry(mem)
	meta := Meta{CreatedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	if _, _, err := reg.Save(m, meta); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{modelFile, metricsFile, featuresFile} {
		mem.objs["v0002/"+f] = bytes.Clone(mem.objs["v0001/"+f])
	}
	if vs, err := reg.Versions(); err != nil || !slices.Equal(vs, []string{"v0001"}) {
		t.Errorf("versions = %v, %v; want v0001 only", vs, err)
	}
	if _, _, err := reg.Load("v0002"); !errors.Is(err, ErrNoModel) {
		t.Errorf("load of a partial version: err = %v, want ErrNoModel", err)
	}
	if err := reg.Promote("v0002", true); !errors.Is(err, ErrNoModel) {
		t.Errorf("promote of a partial version: err = %v, want ErrNoModel", err)
	}
	// A claim left by a saver that died keeps its number too.
	mem.objs[".v0003.claim"] = nil
	if v, promoted, err := reg.Save(m, meta); err != nil || v != "v0004" || promoted {
		t.Errorf("save = %s, %v, %v; want v0004, not promoted", v, promoted, err)
	}
	if cur, err := reg.Promoted(); err != nil || cur != "v0001" {
		t.Errorf("promoted = %s, %v; want v0001", cur, err)
	}
}

// TestStorageRegistryFailedSave: a save whose upload fails, at any of its
// objects, returns the store's error, leaves no object of the version and
// no claim, and the next save takes the number.
func TestStorageRegistryFailedSave(t *testing.T) {
	tr, va, ca, ytr, yva, yca := trainSets(t)
	m, err := Train(fastConfig(AlgoGBT), tr, va, ca, ytr, yva, yca)
	if err != nil {
		t.Fatal(err)
	}
	meta := Meta{CreatedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	for _, failing := range []string{modelFile, featuresFile, metaFile} {
		t.Run(failing, func(t *testing.T) {
			mem := newMemStorage()
			reg := OpenStorageRegistry(mem)
			if _, _, err := reg.Save(m, meta); err != nil {
				t.Fatal(err)
			}
			before := mem.keys()
			boom := errors.New("503 SlowDown")
			mem.fail = func(op, key string) error {
				if op == "put" && key == "v0002/"+failing {
					return boom
				}
				return nil
			}
			_, _, err := reg.Save(m, meta)
			if !errors.Is(err, boom) || !strings.Contains(err.Error(), "mem://reg/v0002/"+failing) {
				t.Errorf("save = %v, want the store's error naming the object", err)
			}
			if got := mem.keys(); !slices.Equal(got, before) {
				t.Errorf("after the failed save the storage holds %v, want %v", got, before)
			}
			mem.fail = nil
			if v, _, err := reg.Save(m, meta); err != nil || v != "v0002" {
				t.Errorf("next save = %s, %v; want v0002", v, err)
			}
		})
	}
}

// TestStorageRegistryConcurrentFirstSaves: savers that start on an empty
// registry at once get distinct versions, and exactly one of them
// promotes its own.
func TestStorageRegistryConcurrentFirstSaves(t *testing.T) {
	tr, va, ca, ytr, yva, yca := trainSets(t)
	m, err := Train(fastConfig(AlgoGBT), tr, va, ca, ytr, yva, yca)
	if err != nil {
		t.Fatal(err)
	}
	reg := OpenStorageRegistry(newMemStorage())
	meta := Meta{CreatedAt: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)}
	var wg sync.WaitGroup
	versions := make([]string, 6)
	promoted := make([]bool, len(versions))
	for k := range versions {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if versions[k], promoted[k], err = reg.Save(m, meta); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	cur, err := reg.Promoted()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for k, v := range versions {
		if promoted[k] {
			n++
			if v != cur {
				t.Errorf("save of %s says promoted, PROMOTED names %s", v, cur)
			}
		}
	}
	slices.Sort(versions)
	if n != 1 || versions[0] == "" || len(slices.Compact(slices.Clone(versions))) != len(versions) {
		t.Errorf("versions %v, %d promoted; want distinct versions, one promoted", versions, n)
	}
}

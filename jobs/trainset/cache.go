package trainset

import (
	"bufio"
	"cmp"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"churn/data"
	"churn/features"
	"churn/internal/fsutil"
	"churn/jobs/ingest"
)

// Cache keeps each training cutoff's feature rows on disk, so that
// a train retried after a failure, or run again on the same inputs, does
// not read the histories again for the cutoffs it has already built.
//
// An entry is a gob message of the entry with its frame's X left out,
// followed by X (features.WriteMatrix).
//
// An entry's key covers everything its rows depend on: every input file's
// path, size and modification time (a file rewritten in place changes its
// time; checksumming a terabyte to look up a cache would defeat it), the
// features config, the column mapping, the bad-row policy, the end of the
// data (which decides which labels are complete), the cutoff and the code
// version. Entries unused for cacheMaxAge are removed.
type Cache struct {
	dir  string
	base string // hex key of everything but the cutoff
}

// Dir is the folder that holds the entries.
func (c *Cache) Dir() string { return c.dir }

// cacheFormat is the layout of an entry file; it is part of the key, so
// entries of another layout are never read, and are pruned with age.
const cacheFormat = 5

// cacheMaxAge is how long an unused cache entry is kept.
const cacheMaxAge = 14 * 24 * time.Hour

// Entry is one cutoff's rows, with the statistics of the read that
// built them (the same for every cutoff of one read).
type Entry struct {
	Frame *features.Frame
	// Built is the number of rows the cutoff has in all, labelled or not,
	// when Frame holds its labelled rows alone.
	Built   int
	Inputs  []ingest.InputFile
	Rows    map[data.Table]int64
	Skipped map[string]int64
	Cleaned map[string]int64
}

// cacheHead is an entry as gob writes it before the floats: the count
// maps as pairs sorted by key, because gob writes a map in Go's random
// iteration order and an entry's bytes must not depend on it.
type cacheHead struct {
	Frame   *features.Frame
	Built   int
	Inputs  []ingest.InputFile
	Rows    []tableCount
	Skipped []nameCount
	Cleaned []nameCount
}

type tableCount struct {
	Table data.Table
	N     int64
}

type nameCount struct {
	Name string
	N    int64
}

func newCacheHead(e *Entry, fr *features.Frame) *cacheHead {
	h := &cacheHead{Frame: fr, Built: e.Built, Inputs: e.Inputs}
	for t, n := range e.Rows {
		h.Rows = append(h.Rows, tableCount{t, n})
	}
	slices.SortFunc(h.Rows, func(a, b tableCount) int { return cmp.Compare(a.Table, b.Table) })
	h.Skipped = sortedCounts(e.Skipped)
	h.Cleaned = sortedCounts(e.Cleaned)
	return h
}

func sortedCounts(m map[string]int64) []nameCount {
	var out []nameCount
	for k, n := range m {
		out = append(out, nameCount{k, n})
	}
	slices.SortFunc(out, func(a, b nameCount) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

// entry is the inverse of newCacheHead; empty counts read back as nil
// maps, as gob gave them back when it carried the maps itself.
func (h *cacheHead) entry() *Entry {
	e := &Entry{Frame: h.Frame, Built: h.Built, Inputs: h.Inputs,
		Skipped: countMap(h.Skipped), Cleaned: countMap(h.Cleaned)}
	if len(h.Rows) > 0 {
		e.Rows = make(map[data.Table]int64, len(h.Rows))
		for _, c := range h.Rows {
			e.Rows[c.Table] = c.N
		}
	}
	return e
}

func countMap(cs []nameCount) map[string]int64 {
	if len(cs) == 0 {
		return nil
	}
	m := make(map[string]int64, len(cs))
	for _, c := range cs {
		m[c.Name] = c.N
	}
	return m
}

// NewCache opens the cache in dir for the files of ds, the end of the data
// dataEnd and the code version code; key is every setting the rows depend
// on (features config, column mapping, bad-row policy), hashed as its JSON.
func NewCache(dir, code string, ds *data.Dataset, dataEnd int64, key any) (*Cache, error) {
	h := sha256.New()
	fmt.Fprintf(h, "format %d\ncode %s\nend %d\n", cacheFormat, code, dataEnd)
	for _, t := range data.Tables {
		for _, f := range ds.Files[t] {
			fmt.Fprintf(h, "file %s %d %d\n", f.Rel, f.Size, f.ModTime.UnixNano())
		}
	}
	b, err := json.Marshal(key)
	if err != nil {
		return nil, fmt.Errorf("cache key: %w", err)
	}
	h.Write(b)
	return &Cache{dir: dir, base: hex.EncodeToString(h.Sum(nil))}, nil
}

func (c *Cache) path(cutoff int64) string {
	h := sha256.Sum256([]byte(c.base + "/" + strconv.FormatInt(cutoff, 10)))
	return filepath.Join(c.dir, "features-"+hex.EncodeToString(h[:16])+".gob")
}

// Load returns the cached rows of a cutoff; ok is false on a miss. A
// damaged entry is a miss, and is removed.
func (c *Cache) Load(cutoff int64) (e *Entry, ok bool) {
	p := c.path(cutoff)
	f, err := os.Open(p)
	if err != nil {
		return nil, false
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 1<<20)
	var head cacheHead
	if err := gob.NewDecoder(r).Decode(&head); err != nil || head.Frame == nil {
		os.Remove(p)
		return nil, false
	}
	e = head.entry()
	n := e.Frame.Rows() * len(e.Frame.Names)
	x, err := features.ReadMatrix(r, n)
	if err != nil || len(x) != n {
		os.Remove(p)
		return nil, false
	}
	e.Frame.X = x
	now := time.Now()
	os.Chtimes(p, now, now) // keep entries in use from being pruned
	return e, true
}

// Store writes a cutoff's rows so that the entry appears whole.
func (c *Cache) Store(cutoff int64, e *Entry) error {
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return fmt.Errorf("feature cache: %w", err)
	}
	f, err := fsutil.Create(c.path(cutoff))
	if err != nil {
		return fmt.Errorf("feature cache: %w", err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	fr := *e.Frame
	fr.X = nil
	head := newCacheHead(e, &fr)
	err = f.Commit(func() error {
		if err := gob.NewEncoder(w).Encode(&head); err != nil {
			return err
		}
		return features.WriteMatrix(w, e.Frame.X)
	}, w.Flush)
	if err != nil {
		return fmt.Errorf("feature cache: %w", err)
	}
	return nil
}

// Prune removes entries unused for cacheMaxAge, and temporary files left by
// a process that died while writing one.
func (c *Cache) Prune(now time.Time) error {
	entries, err := os.ReadDir(c.dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("feature cache: %w", err)
	}
	for _, de := range entries {
		info, err := de.Info()
		if err != nil {
			continue
		}
		if now.Sub(info.ModTime()) > cacheMaxAge {
			os.Remove(filepath.Join(c.dir, de.Name()))
		}
	}
	return nil
}

package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"churn/data/store"
	"churn/internal/fsutil"
)

// A job's shared location is where one step leaves what a later step,
// maybe in another worker process, reads: the spilled partials, a run's
// spilled ranges and its results, a bucket table's manifest before the
// launcher commits it. It is a folder every worker reaches (one of the
// launcher's, or beside --out), or, with --temp_location a bucket URL, a
// prefix of that bucket under it: Dataflow's workers share no folder. The
// functions below take a location (a path or a URL, with its query) and
// write and read there alike; what they write appears whole or not at all.

// tempLocation returns the bucket prefix of a job's shared location under
// Beam's --temp_location when it is a bucket URL (a prefix of its own:
// churn-beam-PID-TIME), or "" for a folder.
func tempLocation() string {
	f := flag.Lookup("temp_location")
	if f == nil || !store.IsURL(f.Value.String()) {
		return ""
	}
	return subLocation(f.Value.String(), "churn-beam-"+strconv.Itoa(os.Getpid())+"-"+strconv.FormatInt(time.Now().UnixNano(), 36))
}

// subLocation returns the location of name under loc: a path's child, or
// the URL with name added to its path (its query kept).
func subLocation(loc, name string) string {
	if !store.IsURL(loc) {
		return filepath.Join(loc, name)
	}
	u, err := url.Parse(loc)
	if err != nil { // store.IsURL parsed it; kept as it was for the error to name
		return loc + "/" + name
	}
	u.Path = path.Join("/", u.Path, name)
	return u.String()
}

// putShared writes b as name under loc and returns its location, which
// getShared reads.
func putShared(ctx context.Context, loc, name string, b []byte) (string, error) {
	at := subLocation(loc, name)
	if !store.IsURL(loc) {
		if err := os.MkdirAll(loc, 0o755); err != nil {
			return "", err
		}
		return at, fsutil.WriteFile(at, b)
	}
	s, err := store.Shared(ctx, loc)
	if err != nil {
		return "", err
	}
	if err := s.Put(ctx, name, b, false); err != nil {
		return "", err
	}
	return at, nil
}

// getShared appends to dst the bytes putShared wrote at the location at.
func getShared(ctx context.Context, at string, dst []byte) ([]byte, error) {
	if !store.IsURL(at) {
		return readInto(at, dst)
	}
	dir, name, err := store.Parent(at)
	if err != nil {
		return dst, err
	}
	s, err := store.Shared(ctx, dir)
	if err != nil {
		return dst, err
	}
	b, err := s.ReadAll(ctx, name)
	if err != nil {
		return dst, err
	}
	return append(dst, b...), nil
}

// removeShared removes loc and everything under it: a bucket's objects
// removeParallel at a time, as a job spills an object per fold and range.
func removeShared(ctx context.Context, loc string) error {
	if !store.IsURL(loc) {
		return os.RemoveAll(loc)
	}
	s, err := store.Shared(ctx, loc)
	if err != nil {
		return err
	}
	objs, err := s.List(ctx, "")
	if err != nil {
		return err
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		slots = make(chan struct{}, removeParallel)
	)
	for _, o := range objs {
		slots <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-slots; wg.Done() }()
			if err := s.Delete(ctx, o.Key); err != nil {
				mu.Lock()
				if first == nil {
					first = fmt.Errorf("remove %s: %w", s.URL(o.Key), err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

// removeParallel is how many objects removeShared deletes at once.
const removeParallel = 32

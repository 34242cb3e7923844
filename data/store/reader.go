package store

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"sync"

	"golang.org/x/sync/errgroup"
)

// tailSize is how much of an object's end Open fetches at once: Parquet's
// footer (the last 8 bytes and the metadata before them) is read by
// every reader first, often twice, and rarely exceeds it.
const tailSize = 64 << 10

// Sizes of what a bucket Reader keeps of an object, besides its tail.
const (
	// windowSize is what a small read that misses fetches, from its
	// offset on: Parquet readers read a page header of a few hundred
	// bytes, then the page, then the next header, so one request serves
	// many reads.
	windowSize = 1 << 20
	// minWindowRead is the smallest read that fetches a window: a read
	// of a few bytes (Parquet's magic number at the start) is fetched as
	// asked.
	minWindowRead = 64
	// maxWindows is how many such windows a Reader keeps, the least
	// recently used going first: enough for the column chunks of a row
	// group read side by side.
	maxWindows = 8
	// prefetchBudget bounds what Prefetch fetches: ranges beyond it are
	// left to the windows.
	prefetchBudget = 64 << 20
	// prefetchParallel is how many ranges Prefetch fetches at once.
	prefetchParallel = 4
)

// Reader is an object opened for random access: an io.ReaderAt of known
// Size, and an io.Seeker for readers that find the size by seeking to the
// end. ReadAt is safe for concurrent use; Seek is not.
type Reader struct {
	f *os.File // a local file; nil for an object

	s       *Store
	ctx     context.Context
	key     string
	size    int64
	tail    []byte // the object's last bytes, from tailOff
	tailOff int64
	pos     int64 // for Seek

	mu      sync.Mutex
	err     error    // the first failed request's error
	windows []window // most recently used last
	fetched []window // what the latest Prefetch fetched
}

// window is a range of the object's bytes held in memory.
type window struct {
	off int64
	b   []byte
}

func (w window) holds(off, n int64) bool { return off >= w.off && off+n <= w.off+int64(len(w.b)) }

// Size is the object's size in bytes.
func (r *Reader) Size() int64 { return r.size }

// ReadAt reads len(p) bytes at off; it returns io.EOF with fewer bytes at
// the object's end. On a bucket the bytes come from the cached tail, from
// what Prefetch fetched, or from a window of the bytes from off on
// (windowSize, one ranged request) kept for the reads that follow; a read
// of a window's size or more, or of a few bytes, is one ranged request of
// its own bytes.
func (r *Reader) ReadAt(p []byte, off int64) (int, error) {
	if r.f != nil {
		return r.f.ReadAt(p, off)
	}
	if off < 0 {
		return 0, fmt.Errorf("read %s: negative offset %d", r.s.URL(r.key), off)
	}
	if off >= r.size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), r.size-off))
	switch {
	case off >= r.tailOff:
		copy(p[:n], r.tail[off-r.tailOff:])
	case r.cached(p[:n], off):
	case n < minWindowRead || n >= windowSize || off+int64(n) > r.tailOff:
		if err := r.fetch(r.ctx, p[:n], off); err != nil {
			return 0, err
		}
	default:
		w := window{off: off, b: make([]byte, min(windowSize, r.tailOff-off))}
		if err := r.fetch(r.ctx, w.b, off); err != nil {
			return 0, err
		}
		copy(p[:n], w.b)
		r.mu.Lock()
		if len(r.windows) == maxWindows {
			r.windows = slices.Delete(r.windows, 0, 1)
		}
		r.windows = append(r.windows, w)
		r.mu.Unlock()
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// cached copies into p the bytes at off if a window or a prefetched range
// holds them all.
func (r *Reader) cached(p []byte, off int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, w := range r.fetched {
		if w.holds(off, int64(len(p))) {
			copy(p, w.b[off-w.off:])
			return true
		}
	}
	for i := len(r.windows) - 1; i >= 0; i-- {
		if w := r.windows[i]; w.holds(off, int64(len(p))) {
			copy(p, w.b[off-w.off:])
			r.windows = append(slices.Delete(r.windows, i, i+1), w)
			return true
		}
	}
	return false
}

// Range is a byte range of an object: Len bytes from Off.
type Range struct{ Off, Len int64 }

// Prefetch fetches the ranges, several requests at once, and keeps them
// for the reads that follow in place of what the previous Prefetch
// fetched: a Parquet reader prefetches the column chunks of a row group
// before it reads them. Ranges are clipped to the object; those past
// prefetchBudget bytes in all are left to ReadAt. On a local file it does
// nothing.
func (r *Reader) Prefetch(ctx context.Context, ranges []Range) error {
	if r.f != nil {
		return nil
	}
	var ws []window
	budget := int64(prefetchBudget)
	for _, g := range ranges {
		off, end := max(g.Off, 0), min(g.Off+g.Len, r.tailOff)
		if end <= off || end-off > budget {
			continue
		}
		budget -= end - off
		ws = append(ws, window{off: off, b: make([]byte, end-off)})
	}
	r.mu.Lock()
	r.fetched = nil // released before the next ones are fetched
	r.mu.Unlock()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(prefetchParallel)
	for _, w := range ws {
		g.Go(func() error { return r.fetch(gctx, w.b, w.off) })
	}
	if err := g.Wait(); err != nil {
		return err
	}
	r.mu.Lock()
	r.fetched = ws
	r.mu.Unlock()
	return nil
}

// fetch fills p from off with one ranged request, retried as Store does.
func (r *Reader) fetch(ctx context.Context, p []byte, off int64) error {
	err := r.s.do(ctx, func() error {
		rr, err := r.s.bucket.NewRangeReader(ctx, r.key, off, int64(len(p)), nil)
		if err != nil {
			return err
		}
		_, err = io.ReadFull(rr, p)
		if cerr := rr.Close(); err == nil {
			err = cerr
		}
		return err
	})
	if err == nil {
		return nil
	}
	err = r.s.fail("read", r.key, err)
	r.mu.Lock()
	if r.err == nil {
		r.err = err
	}
	r.mu.Unlock()
	return err
}

// Err returns the first error of a request to the store, so that a caller
// whose decoder wrapped or replaced it can report what failed.
func (r *Reader) Err() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.err
}

// Seek sets the offset Seek reports; ReadAt ignores it.
func (r *Reader) Seek(offset int64, whence int) (int64, error) {
	if r.f != nil {
		return r.f.Seek(offset, whence)
	}
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.pos
	case io.SeekEnd:
		offset += r.size
	default:
		return 0, fmt.Errorf("seek %s: whence %d", r.s.URL(r.key), whence)
	}
	if offset < 0 {
		return 0, fmt.Errorf("seek %s: negative offset %d", r.s.URL(r.key), offset)
	}
	r.pos = offset
	return offset, nil
}

// Close releases what a bucket Reader holds in memory and closes a local
// file; an object holds nothing open between reads.
func (r *Reader) Close() error {
	if r.f != nil {
		return r.f.Close()
	}
	r.mu.Lock()
	r.windows, r.fetched = nil, nil
	r.mu.Unlock()
	return nil
}

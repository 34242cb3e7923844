package store

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
)

// tailSize is how much of an object's end Open fetches at once: Parquet's
// footer (the last 8 bytes and the metadata before them) is read by
// every reader first, often twice, and rarely exceeds it.
const tailSize = 64 << 10

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

	mu  sync.Mutex
	err error // the first failed request's error
}

// Size is the object's size in bytes.
func (r *Reader) Size() int64 { return r.size }

// ReadAt reads len(p) bytes at off with one ranged request, or from the
// cached tail; it returns io.EOF with fewer bytes at the object's end.
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
	if off >= r.tailOff {
		copy(p[:n], r.tail[off-r.tailOff:])
	} else if err := r.fetch(p[:n], off); err != nil {
		return 0, err
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// fetch fills p from off with one ranged request, retried as Store does.
func (r *Reader) fetch(p []byte, off int64) error {
	err := r.s.do(r.ctx, func() error {
		rr, err := r.s.bucket.NewRangeReader(r.ctx, r.key, off, int64(len(p)), nil)
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

// Close closes a local file; an object holds nothing open between reads.
func (r *Reader) Close() error {
	if r.f != nil {
		return r.f.Close()
	}
	return nil
}

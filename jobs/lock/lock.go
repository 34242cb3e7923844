package lock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/rs/zerolog"

	"churn/data/store"
)

// Name is the lock file inside an output folder.
const Name = ".churn.lock"

// ErrLocked is returned when another run holds the folder's lock.
var ErrLocked = errors.New("another run holds the lock")

// errLockHeld is what lockFile returns when another process holds the lock.
var errLockHeld = errors.New("lock held by another process")

// holder says who holds a lock; it is the lock file's content.
type holder struct {
	PID       int       `json:"pid"`
	Host      string    `json:"host"`
	StartedAt time.Time `json:"started_at"`
	Command   string    `json:"command"`
}

func (h holder) String() string {
	return fmt.Sprintf("pid %d on %s, %s since %s", h.PID, h.Host, h.Command, h.StartedAt.Format(time.RFC3339))
}

// Lock is an exclusive lock on a folder's lock file: flock(2) on
// Linux, macOS and the BSDs, LockFileEx on Windows (lock_*.go). The system
// drops it when its process dies, however it dies, so a lock left by a
// killed run never blocks the next one; the holder record it left behind
// is reported when the next run takes over.
type Lock struct {
	f *os.File

	s   *store.Store // a bucket's lock object, instead of f
	ctx context.Context
}

// Acquire takes the lock of dir, creating dir if needed. It fails at once
// with ErrLocked, naming the holder, when another process holds it.
func Acquire(dir, command string, now time.Time, log zerolog.Logger) (*Lock, error) {
	if store.IsURL(dir) {
		return acquireStore(context.Background(), dir, command, now, log)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	path := filepath.Join(dir, Name)
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := lockFile(f); err != nil {
		prev, _ := readHolder(f)
		f.Close()
		if errors.Is(err, errLockHeld) {
			return nil, fmt.Errorf("%w on %s: %s", ErrLocked, dir, prev)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if prev, ok := readHolder(f); ok {
		log.Warn().Int("stale_pid", prev.PID).Str("stale_host", prev.Host).Time("stale_started_at", prev.StartedAt).
			Str("lock", path).Msg("taking over a lock left by a run that did not finish")
	}
	host, _ := os.Hostname()
	b, _ := json.Marshal(holder{PID: os.Getpid(), Host: host, StartedAt: now.UTC(), Command: command})
	if err := writeAll(f, b); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return &Lock{f: f}, nil
}

// readHolder reads the holder record; ok is false when the file is empty
// (released cleanly) or unreadable.
func readHolder(f *os.File) (holder, bool) {
	var h holder
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return h, false
	}
	b, err := io.ReadAll(f)
	if err != nil || len(b) == 0 {
		return h, false
	}
	return h, json.Unmarshal(b, &h) == nil
}

func writeAll(f *os.File, b []byte) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(b, 0); err != nil {
		return err
	}
	return f.Sync()
}

// Release empties the holder record and drops the lock. The file stays:
// removing it would let two runs lock two different files of one name.
func (l *Lock) Release() error {
	if l != nil && l.s != nil {
		defer l.s.Close()
		return l.s.Delete(l.ctx, Name)
	}
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Truncate(0)
	if uerr := unlockFile(l.f); err == nil {
		err = uerr
	}
	if cerr := l.f.Close(); err == nil {
		err = cerr
	}
	l.f = nil
	return err
}

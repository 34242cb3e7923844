package lock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/rs/zerolog"

	"churn/data/store"
)

// acquireStore takes the lock of an output bucket prefix: the object
// .churn.lock, created with the store's conditional write (S3's
// If-None-Match: *, GCS's does-not-exist precondition, an exclusive hard
// link for file://), which fails when it exists. A bucket has no lock
// that dies with its process: a run that is killed leaves the object, and
// the next run exits with ErrLocked naming it and its holder; once no run
// is alive, delete it (or let the scheduler, which knows, do so).
//
// Some S3-compatible stores ignore If-None-Match and overwrite: there the
// object cannot keep two runs apart. Having created it, acquireStore
// writes it again under the same condition, which a store that honours it
// refuses; when the store takes the write, the lock is kept (it still
// names the holder) but does not exclude, and acquireStore logs a warning
// that says so: the scheduler must then be the lock.
func acquireStore(ctx context.Context, out, command string, now time.Time, log zerolog.Logger) (*Lock, error) {
	s, err := store.Open(ctx, out, store.Options{})
	if err != nil {
		return nil, fmt.Errorf("lock: %w", err)
	}
	host, _ := os.Hostname()
	b, _ := json.Marshal(holder{PID: os.Getpid(), Host: host, StartedAt: now.UTC(), Command: command})
	err = s.Put(ctx, Name, b, true)
	if errors.Is(err, store.ErrExists) {
		var h holder
		prev, _ := s.ReadAll(ctx, Name)
		_ = json.Unmarshal(prev, &h)
		s.Close()
		return nil, fmt.Errorf("%w on %s: %s (a killed run leaves it: delete %s once no run is alive)",
			ErrLocked, out, h, s.URL(Name))
	}
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("lock: %w", err)
	}
	l := &Lock{s: s, ctx: context.WithoutCancel(ctx)}
	switch err := s.Put(ctx, Name, b, true); {
	case errors.Is(err, store.ErrExists):
	case err == nil:
		log.Warn().Str("lock", s.URL(Name)).Bool("lock_excludes", false).
			Msg("the store ignores conditional writes (If-None-Match: *): the lock cannot keep two runs apart; let the scheduler run one at a time")
	default:
		l.Release()
		return nil, fmt.Errorf("lock: %w", err)
	}
	return l, nil
}

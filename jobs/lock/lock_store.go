package lock

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"churn/data/store"
)

// acquireStore takes the lock of an output bucket prefix: the object
// .churn.lock, created with the store's conditional write (If-None-Match:
// *), which fails when it exists. A bucket has no lock that dies with its
// process: a run that is killed leaves the object, and the next run exits
// with ErrLocked naming it and its holder; once no run is alive, delete it
// (or let the scheduler, which knows, do so).
func acquireStore(ctx context.Context, out, command string, now time.Time) (*Lock, error) {
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
	return &Lock{s: s, ctx: context.WithoutCancel(ctx)}, nil
}

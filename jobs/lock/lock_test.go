package lock

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

func TestLockAcquireRelease(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out") // created by Acquire
	now := time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)
	l, err := Acquire(dir, "churn run", now, zerolog.Nop())
	if err != nil {
		t.Fatalf("acquire: %v", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, Name))
	if err != nil {
		t.Fatal(err)
	}
	var h holder
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatalf("holder record %q: %v", b, err)
	}
	host, _ := os.Hostname()
	if h.PID != os.Getpid() || h.Host != host || !h.StartedAt.Equal(now) || h.Command != "churn run" {
		t.Errorf("holder %+v, want pid %d, host %s, start %v", h, os.Getpid(), host, now)
	}

	// Contention: a second acquire (another open file description, as a
	// second process would have) fails at once naming the holder.
	_, err = Acquire(dir, "churn run", now, zerolog.Nop())
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("second acquire: %v, want ErrLocked", err)
	}
	for _, want := range []string{strconv.Itoa(os.Getpid()), host, "2026-11-02T01:00:00Z"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("contention error %q does not name %s", err, want)
		}
	}

	if err := l.Release(); err != nil {
		t.Fatalf("release: %v", err)
	}
	if err := l.Release(); err != nil {
		t.Errorf("second release: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, Name)); len(b) != 0 {
		t.Errorf("after release the lock file holds %q, want it empty", b)
	}
	var log bytes.Buffer
	l2, err := Acquire(dir, "churn run", now, zerolog.New(&log))
	if err != nil {
		t.Fatalf("acquire after release: %v", err)
	}
	defer l2.Release()
	if strings.Contains(log.String(), "taking over") {
		t.Errorf("a cleanly released lock was reported as stale: %s", log.String())
	}
}

func TestLockStale(t *testing.T) {
	dir := t.TempDir()
	stale := holder{PID: 999999, Host: "old-host", StartedAt: time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), Command: "churn run"}
	b, _ := json.Marshal(stale)
	if err := os.WriteFile(filepath.Join(dir, Name), b, 0o644); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	l, err := Acquire(dir, "churn run", time.Now(), zerolog.New(&log))
	if err != nil {
		t.Fatalf("acquire over a stale lock: %v", err)
	}
	defer l.Release()
	var m map[string]any
	if err := json.Unmarshal(bytes.TrimSpace(log.Bytes()), &m); err != nil {
		t.Fatalf("want one JSON warning, got %q: %v", log.String(), err)
	}
	if m["level"] != "warn" || m["stale_pid"] != float64(999999) || m["stale_host"] != "old-host" {
		t.Errorf("warning %v: want level warn naming stale_pid 999999 and stale_host old-host", m)
	}
	b, _ = os.ReadFile(filepath.Join(dir, Name))
	var h holder
	if err := json.Unmarshal(b, &h); err != nil || h.PID != os.Getpid() {
		t.Errorf("after the take-over the holder is %q, want this process", b)
	}
}

func TestLockBadFolder(t *testing.T) {
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Acquire(filepath.Join(f, "out"), "churn run", time.Now(), zerolog.Nop()); err == nil || errors.Is(err, ErrLocked) {
		t.Errorf("lock under a regular file: %v, want an I/O error that is not ErrLocked", err)
	}
}

package lock

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"churn/internal/s3test"
)

// TestLockOnBuckets: on S3 (gofakes3, which honours If-None-Match) and on
// a file:// URL, the lock object keeps a second run out, naming the
// holder, and Release deletes it. On an S3 store that ignores the
// condition, the lock is taken but Acquire warns that it cannot exclude.
func TestLockOnBuckets(t *testing.T) {
	srv := s3test.Start(t, "scores")
	now := time.Date(2026, 11, 2, 1, 0, 0, 0, time.UTC)
	for _, out := range []string{srv.URL("scores", "nightly"), "file://" + filepath.ToSlash(t.TempDir())} {
		t.Run(strings.SplitN(out, ":", 2)[0], func(t *testing.T) {
			var log bytes.Buffer
			l, err := Acquire(out, "churn run", now, zerolog.New(&log))
			if err != nil {
				t.Fatalf("acquire: %v", err)
			}
			if log.Len() != 0 {
				t.Errorf("the lock on a store that honours conditional writes logged %s", log.String())
			}
			_, err = Acquire(out, "churn run", now, zerolog.Nop())
			if !errors.Is(err, ErrLocked) {
				t.Fatalf("second acquire: %v, want ErrLocked", err)
			}
			for _, want := range []string{strconv.Itoa(os.Getpid()), "2026-11-02T01:00:00Z", Name} {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("contention error %q does not name %s", err, want)
				}
			}
			if err := l.Release(); err != nil {
				t.Fatalf("release: %v", err)
			}
			l, err = Acquire(out, "churn run", now, zerolog.Nop())
			if err != nil {
				t.Fatalf("acquire after release: %v", err)
			}
			if err := l.Release(); err != nil {
				t.Fatalf("release: %v", err)
			}
		})
	}

	t.Run("a store that ignores If-None-Match", func(t *testing.T) {
		srv.Before(func(r *http.Request) { r.Header.Del("If-None-Match") })
		defer srv.Before(nil)
		out := srv.URL("scores", "ignored")
		var log bytes.Buffer
		l, err := Acquire(out, "churn run", now, zerolog.New(&log))
		if err != nil {
			t.Fatalf("acquire: %v", err)
		}
		defer l.Release()
		var m map[string]any
		if err := json.Unmarshal(bytes.TrimSpace(log.Bytes()), &m); err != nil {
			t.Fatalf("want one JSON warning, got %q: %v", log.String(), err)
		}
		if m["level"] != "warn" || m["lock_excludes"] != false || m["lock"] != "s3://scores/ignored/"+Name ||
			!strings.Contains(m["message"].(string), "If-None-Match") {
			t.Errorf("warning %v: want level warn, lock_excludes false, the lock's URL and If-None-Match", m)
		}
		if b, ok := srv.Get(t, "scores", "ignored/"+Name); !ok || !bytes.Contains(b, []byte(strconv.Itoa(os.Getpid()))) {
			t.Errorf("the lock object holds %q, want this process as holder", b)
		}
	})
}

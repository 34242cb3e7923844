package serve

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/rs/zerolog"
)

// lockedBuffer is a log destination that the test reads while the server
// writes to it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestListenAndServeStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	var logs lockedBuffer
	done := make(chan error, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusNoContent) })
	go func() { done <- ListenAndServe(ctx, "127.0.0.1:0", h, zerolog.New(&logs)) }()
	// The log line names the address actually bound.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(logs.String(), `"serving"`) {
		if time.Now().After(deadline) {
			t.Fatalf("no serving log line: %s", logs.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("got %v, want nil after a clean shutdown", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("did not stop when the context ended")
	}
	if strings.Contains(logs.String(), "beyond this machine") {
		t.Errorf("warned about 127.0.0.1: %s", logs.String())
	}
}

func TestListenAndServeAddressInUse(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	err = ListenAndServe(context.Background(), ln.Addr().String(), http.NotFoundHandler(), zerolog.Nop())
	if err == nil || !strings.Contains(err.Error(), ln.Addr().String()) {
		t.Fatalf("got %v, want an error naming the address", err)
	}
}

// Package s3test runs an S3 server in the test process: gofakes3, which
// speaks the real protocol (signed requests, ranged GETs, listings,
// conditional PUTs), behind an httptest server that counts what it serves
// and can throttle or fail requests on demand. Tests point churn's store
// at it with the URL of Bucket.
package s3test

import (
	"bytes"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Server is a running fake S3 endpoint.
type Server struct {
	Endpoint string // http://127.0.0.1:PORT

	backend *s3mem.Backend
	srv     *httptest.Server

	requests atomic.Int64 // requests answered, throttled ones included
	served   atomic.Int64 // body bytes of GET answers
	throttle atomic.Int64 // answer the next this many requests with 503 SlowDown
	// Before, when set, runs before each request is answered.
	before atomic.Pointer[func(r *http.Request)]
	// reject, when set and true for a request, answers it 500.
	reject atomic.Pointer[func(r *http.Request) bool]
	// deny, when set and true for a request, answers it 403.
	deny atomic.Pointer[func(r *http.Request) bool]
	// slow, when set and true for a request, answers it 503 SlowDown.
	slow atomic.Pointer[func(r *http.Request) bool]

	mu       sync.Mutex
	log      []Request // the GETs answered, in the order they ended
	inFlight int       // GETs being answered now, throttled ones included
	peak     int       // the most GETs answered at once
}

// Request is one GET the server answered.
type Request struct {
	Key    string // BUCKET/KEY
	Range  string // the Range header; "" for the whole object
	Status int
	Bytes  int64 // body bytes sent
}

// Start starts a server with the named buckets, closed when t ends. It
// sets static credentials and a region in the environment (the AWS default
// chain's first link) and turns off the instance metadata lookup, so that
// nothing outside the test is asked.
func Start(t testing.TB, buckets ...string) *Server {
	t.Helper()
	SetCredentials(t)
	s := &Server{backend: s3mem.New()}
	fake := gofakes3.New(s.backend, gofakes3.WithTimeSkewLimit(0))
	h := fake.Server()
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.requests.Add(1)
		if r.Method == http.MethodGet {
			s.mu.Lock()
			s.inFlight++
			s.peak = max(s.peak, s.inFlight)
			s.mu.Unlock()
			defer func() {
				s.mu.Lock()
				s.inFlight--
				s.mu.Unlock()
			}()
		}
		if f := s.before.Load(); f != nil {
			(*f)(r)
		}
		if f := s.reject.Load(); f != nil && (*f)(r) {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusInternalServerError)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>`)
			return
		}
		if f := s.deny.Load(); f != nil && (*f)(r) {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
			return
		}
		slow := s.slow.Load()
		if (slow != nil && (*slow)(r)) || s.throttle.Add(-1) >= 0 {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
			return
		}
		s.throttle.Store(0)
		cw := &countingWriter{ResponseWriter: w, status: http.StatusOK}
		if r.Method != http.MethodGet {
			h.ServeHTTP(cw, r)
			return
		}
		h.ServeHTTP(cw, r)
		s.served.Add(cw.n)
		s.mu.Lock()
		s.log = append(s.log, Request{Key: strings.TrimPrefix(r.URL.Path, "/"), Range: r.Header.Get("Range"), Status: cw.status, Bytes: cw.n})
		s.mu.Unlock()
	}))
	t.Cleanup(s.srv.Close)
	s.Endpoint = s.srv.URL
	for _, b := range buckets {
		if err := s.backend.CreateBucket(b); err != nil {
			t.Fatalf("create bucket %s: %v", b, err)
		}
	}
	return s
}

// SetCredentials sets static AWS credentials and a region for the test
// and keeps the SDK from reading ~/.aws or asking an instance metadata
// service.
func SetCredentials(t testing.TB) {
	t.Helper()
	ClearCredentials(t)
	t.Setenv("AWS_ACCESS_KEY_ID", "churn-test")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "churn-test-secret")
}

// ClearCredentials leaves the AWS default chain with nothing to find: no
// key in the environment, no shared files, no instance metadata.
func ClearCredentials(t testing.TB) {
	t.Helper()
	none := filepath.Join(t.TempDir(), "none")
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SESSION_TOKEN": "",
		"AWS_PROFILE": "", "AWS_DEFAULT_PROFILE": "", "AWS_ROLE_ARN": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "",
		"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI": "", "AWS_CONTAINER_CREDENTIALS_FULL_URI": "",
		"AWS_SHARED_CREDENTIALS_FILE": none, "AWS_CONFIG_FILE": none,
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_REGION": "us-east-1",
	} {
		t.Setenv(k, v)
	}
}

// URL is the store URL of prefix in bucket on this server.
func (s *Server) URL(bucket, prefix string) string {
	u := "s3://" + bucket
	if prefix != "" {
		u += "/" + strings.Trim(prefix, "/")
	}
	return u + "?endpoint=" + s.Endpoint + "&use_path_style=true&disable_https=true&region=us-east-1"
}

// Put stores data as bucket/key, behind the protocol's back.
func (s *Server) Put(t testing.TB, bucket, key string, data []byte) {
	t.Helper()
	if _, err := s.backend.PutObject(bucket, key, map[string]string{}, bytes.NewReader(data), int64(len(data)), nil); err != nil {
		t.Fatalf("put %s/%s: %v", bucket, key, err)
	}
}

// Delete removes bucket/key behind the protocol's back.
func (s *Server) Delete(t testing.TB, bucket, key string) {
	t.Helper()
	if _, err := s.backend.DeleteObject(bucket, key); err != nil {
		t.Fatalf("delete %s/%s: %v", bucket, key, err)
	}
}

// PutDir uploads every file under dir as bucket/prefix/REL.
func (s *Server) PutDir(t testing.TB, bucket, prefix, dir string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !e.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if prefix != "" {
			key = strings.Trim(prefix, "/") + "/" + key
		}
		s.Put(t, bucket, key, b)
		return nil
	})
	if err != nil {
		t.Fatalf("upload %s: %v", dir, err)
	}
}

// Get returns bucket/key, or false when it does not exist.
func (s *Server) Get(t testing.TB, bucket, key string) ([]byte, bool) {
	t.Helper()
	obj, err := s.backend.GetObject(bucket, key, nil)
	if err != nil {
		return nil, false
	}
	defer obj.Contents.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(obj.Contents); err != nil {
		t.Fatalf("get %s/%s: %v", bucket, key, err)
	}
	return buf.Bytes(), true
}

// Keys lists the keys of bucket under prefix.
func (s *Server) Keys(t testing.TB, bucket, prefix string) []string {
	t.Helper()
	p := gofakes3.NewPrefix(&prefix, nil)
	res, err := s.backend.ListBucket(bucket, &p, gofakes3.ListBucketPage{})
	if err != nil {
		t.Fatalf("list %s/%s: %v", bucket, prefix, err)
	}
	var keys []string
	for _, c := range res.Contents {
		keys = append(keys, c.Key)
	}
	return keys
}

// Throttle answers the next n requests with 503 SlowDown.
func (s *Server) Throttle(n int) { s.throttle.Store(int64(n)) }

// Before runs f before each request is answered (nil: no longer).
func (s *Server) Before(f func(r *http.Request)) {
	if f == nil {
		s.before.Store(nil)
		return
	}
	s.before.Store(&f)
}

// Reject answers 500 InternalError to every request for which f is true
// (nil: none).
func (s *Server) Reject(f func(r *http.Request) bool) { setHook(&s.reject, f) }

// ThrottleIf answers 503 SlowDown to every request for which f is true
// (nil: no longer), before Throttle's count.
func (s *Server) ThrottleIf(f func(r *http.Request) bool) { setHook(&s.slow, f) }

// setHook sets the hook p to f; a nil f clears it.
func setHook(p *atomic.Pointer[func(r *http.Request) bool], f func(r *http.Request) bool) {
	if f == nil {
		p.Store(nil)
		return
	}
	p.Store(&f)
}

// Deny answers 403 AccessDenied to every request for which f is true
// (nil: none), as a bucket policy that refuses them would.
func (s *Server) Deny(f func(r *http.Request) bool) { setHook(&s.deny, f) }

// Requests is the number of requests answered so far.
func (s *Server) Requests() int64 { return s.requests.Load() }

// BytesServed is the number of body bytes of GET answers so far,
// counted once the GETs being answered have ended (see settle).
func (s *Server) BytesServed() int64 {
	s.settle()
	return s.served.Load()
}

// Gets returns the GETs answered so far (listings included), in the order
// they ended, and the most that were being answered at once. It waits, as
// BytesServed does, for the GETs being answered to end.
func (s *Server) Gets() (log []Request, peak int) {
	s.settle()
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.log), s.peak
}

// settle waits, for at most settleWait, until no GET is being answered. A
// client has the whole body of an answer, and goes on, before the handler
// that wrote it returns and logs it; without the wait a test that reads
// the log right after its last read can miss that read's GET.
func (s *Server) settle() {
	for deadline := time.Now().Add(settleWait); time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		s.mu.Lock()
		n := s.inFlight
		s.mu.Unlock()
		if n == 0 {
			return
		}
	}
}

// settleWait bounds settle: a GET still answered after it (a client that
// went away mid-body) is left out of the counts rather than stalling a test.
const settleWait = 5 * time.Second

// ResetGets forgets the GETs answered so far.
func (s *Server) ResetGets() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log, s.peak = nil, 0
}

type countingWriter struct {
	http.ResponseWriter
	n      int64
	status int
}

func (w *countingWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *countingWriter) Write(p []byte) (int, error) {
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}

package store_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"churn/data/store"
	"churn/internal/s3test"
)

// fast keeps the retry tests short; the policy is the same.
var fast = store.Options{Retry: store.Retry{Attempts: 4, Base: time.Millisecond, Max: 5 * time.Millisecond}}

// stores opens the same logical location on every kind of store: a local
// folder, fileblob and S3 through gofakes3.
func stores(t *testing.T) map[string]*store.Store {
	t.Helper()
	srv := s3test.Start(t, "bkt")
	ctx := context.Background()
	out := map[string]*store.Store{}
	for name, loc := range map[string]string{
		"local": filepath.Join(t.TempDir(), "root"),
		"file":  "file://" + filepath.ToSlash(filepath.Join(t.TempDir(), "root")),
		"s3":    srv.URL("bkt", "some/prefix"),
	} {
		s, err := store.Open(ctx, loc, fast)
		if err != nil {
			t.Fatalf("%s: open %s: %v", name, loc, err)
		}
		t.Cleanup(func() { s.Close() })
		out[name] = s
	}
	return out
}

func TestStoreRoundTrip(t *testing.T) {
	ctx := context.Background()
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			objs, err := s.List(ctx, "")
			if err != nil || len(objs) != 0 {
				t.Fatalf("List of a new store = %v, %v; want nothing", objs, err)
			}
			body := bytes.Repeat([]byte("0123456789"), 10_000) // 100,000 bytes: more than the cached tail
			for _, key := range []string{"b/x=1/part-0.parquet", "a/_SUCCESS", "b/part-1.parquet"} {
				if err := s.Put(ctx, key, body, false); err != nil {
					t.Fatalf("Put %s: %v", key, err)
				}
			}
			objs, err = s.List(ctx, "b/")
			if err != nil {
				t.Fatal(err)
			}
			var keys []string
			for _, o := range objs {
				keys = append(keys, o.Key)
				if o.Size != int64(len(body)) {
					t.Errorf("%s: size %d, want %d", o.Key, o.Size, len(body))
				}
			}
			if want := []string{"b/part-1.parquet", "b/x=1/part-0.parquet"}; !slices.Equal(keys, want) {
				t.Errorf("List(b/) = %v, want %v", keys, want)
			}
			r, err := s.Open(ctx, "b/x=1/part-0.parquet")
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if r.Size() != int64(len(body)) {
				t.Errorf("Size = %d, want %d", r.Size(), len(body))
			}
			for _, c := range []struct{ off, n int }{{0, 10}, {5, 30_000}, {99_990, 10}, {40_000, 50_000}} {
				p := make([]byte, c.n)
				if n, err := r.ReadAt(p, int64(c.off)); n != c.n || err != nil || !bytes.Equal(p, body[c.off:c.off+c.n]) {
					t.Errorf("ReadAt(%d bytes at %d) = %d, %v; or wrong bytes", c.n, c.off, n, err)
				}
			}
			p := make([]byte, 20)
			if n, err := r.ReadAt(p, 99_990); n != 10 || err != io.EOF {
				t.Errorf("ReadAt past the end = %d, %v; want 10, EOF", n, err)
			}
			if end, err := r.Seek(0, io.SeekEnd); end != int64(len(body)) || err != nil {
				t.Errorf("Seek(0, End) = %d, %v", end, err)
			}
			if err := s.Put(ctx, "lock", []byte("one"), true); err != nil {
				t.Fatalf("first conditional Put: %v", err)
			}
			if err := s.Put(ctx, "lock", []byte("two"), true); !errors.Is(err, store.ErrExists) {
				t.Fatalf("second conditional Put = %v, want ErrExists", err)
			}
			if b, err := s.ReadAll(ctx, "lock"); string(b) != "one" || err != nil {
				t.Errorf("the taken key holds %q, %v; want the first writer's", b, err)
			}
			if err := s.Delete(ctx, "lock"); err != nil {
				t.Fatal(err)
			}
			if ok, err := s.Exists(ctx, "lock"); ok || err != nil {
				t.Errorf("Exists after Delete = %v, %v", ok, err)
			}
			if err := s.Delete(ctx, "lock"); err != nil {
				t.Errorf("Delete of a missing key = %v, want nil", err)
			}
			if _, err := s.ReadAll(ctx, "lock"); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), s.URL("lock")) {
				t.Errorf("ReadAll of a missing key = %v, want fs.ErrNotExist naming it", err)
			}
		})
	}
}

// TestRangedReads holds that opening an object and reading a little of it
// fetches the tail once and then only the bytes asked for.
func TestRangedReads(t *testing.T) {
	srv := s3test.Start(t, "bkt")
	big := bytes.Repeat([]byte{7}, 4<<20)
	srv.Put(t, "bkt", "big.bin", big)
	ctx := context.Background()
	s, err := store.Open(ctx, srv.URL("bkt", ""), fast)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Open(ctx, "big.bin")
	if err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 1000)
	for _, off := range []int64{0, 1 << 20, 4<<20 - 100} {
		if _, err := r.ReadAt(p, off); err != nil && err != io.EOF {
			t.Fatal(err)
		}
	}
	// Each small read fetches a window from its offset on, for the reads
	// that follow it (a Parquet page after its header).
	if got, max := srv.BytesServed(), int64(64<<10+3<<20); got > max {
		t.Errorf("served %d bytes for 3 small reads of a %d-byte object, want at most %d", got, len(big), max)
	}
	if gets, _ := srv.Gets(); len(gets) != 3 {
		t.Errorf("%d GETs for the tail and 2 small reads before it, want 3: %v", len(gets), gets)
	}
	for _, g := range func() []s3test.Request { g, _ := srv.Gets(); return g }() {
		if g.Range == "" || g.Bytes == int64(len(big)) {
			t.Errorf("GET %s of the whole object", g.Range)
		}
	}
}

// TestReaderWindows holds every ReadAt of a bucket Reader equal to the
// object's bytes, whatever mix of small reads (served from windows),
// large reads, reads across the tail and prefetched ranges, and counts
// the requests: a run of small reads costs one GET per window, and reads
// inside prefetched ranges none.
func TestReaderWindows(t *testing.T) {
	srv := s3test.Start(t, "bkt")
	const size = 5<<20 + 12345
	body := make([]byte, size)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := range body {
		body[i] = byte(rng.Uint32())
	}
	srv.Put(t, "bkt", "obj", body)
	ctx := context.Background()
	s, err := store.Open(ctx, srv.URL("bkt", ""), fast)
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Open(ctx, "obj")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	check := func(off int64, n int) {
		t.Helper()
		p := make([]byte, n)
		got, err := r.ReadAt(p, off)
		want := min(int64(n), size-off)
		if int64(got) != want || (err != nil && !(err == io.EOF && want < int64(n))) || !bytes.Equal(p[:got], body[off:off+want]) {
			t.Fatalf("ReadAt(%d bytes at %d) = %d, %v, or other bytes; want %d", n, off, got, err, want)
		}
	}
	// Page headers of 512 bytes, 30 KiB apart: one GET per 1 MiB window.
	srv.ResetGets()
	for off := int64(4); off < 2<<20; off += 30 << 10 {
		check(off, 512)
	}
	if gets, _ := srv.Gets(); len(gets) > 3 {
		t.Errorf("70 small reads over 2 MiB made %d GETs, want at most 3", len(gets))
	}
	// Three column chunks prefetched at once, then read in small pieces.
	chunks := []store.Range{{Off: 100, Len: 900 << 10}, {Off: 2 << 20, Len: 1500 << 10}, {Off: 4 << 20, Len: 700 << 10}}
	srv.ResetGets()
	srv.Before(func(*http.Request) { time.Sleep(20 * time.Millisecond) })
	if err := r.Prefetch(ctx, chunks); err != nil {
		t.Fatal(err)
	}
	srv.Before(nil)
	gets, peak := srv.Gets()
	if len(gets) != len(chunks) || peak < 2 {
		t.Errorf("Prefetch of %d ranges made %d GETs, %d at most at once; want one each, in parallel", len(chunks), len(gets), peak)
	}
	srv.ResetGets()
	for _, c := range chunks {
		for off := c.Off; off < c.Off+c.Len; off += 7 << 10 {
			check(off, int(min(3000, c.Off+c.Len-off)))
		}
	}
	if gets, _ := srv.Gets(); len(gets) != 0 {
		t.Errorf("reads inside prefetched ranges made %d GETs, want none: %v", len(gets), gets)
	}
	// Any mix, against the bytes.
	for range 500 {
		var n int
		switch rng.IntN(4) {
		case 0:
			n = 1 + rng.IntN(16)
		case 1:
			n = 1 + rng.IntN(4096)
		case 2:
			n = 1 + rng.IntN(2<<20)
		default:
			n = 1 + rng.IntN(100<<10)
		}
		check(rng.Int64N(size), n)
		if rng.IntN(50) == 0 {
			off := rng.Int64N(size)
			if err := r.Prefetch(ctx, []store.Range{{Off: off, Len: rng.Int64N(3 << 20)}, {Off: -5, Len: 10}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if got, max := srv.BytesServed(), int64(40*size); got > max {
		t.Errorf("served %d bytes, want at most %d", got, max)
	}
}

func TestBadStores(t *testing.T) {
	ctx := context.Background()
	t.Run("throttled then served", func(t *testing.T) {
		srv := s3test.Start(t, "bkt")
		srv.Put(t, "bkt", "d/customers/part-0.parquet", []byte("x"))
		s, _ := store.Open(ctx, srv.URL("bkt", "d"), fast)
		srv.Throttle(3)
		objs, err := s.List(ctx, "")
		if err != nil || len(objs) != 1 {
			t.Fatalf("List after 3 throttled answers = %v, %v; want the object", objs, err)
		}
	})
	type bad struct {
		name  string
		setup func(t *testing.T) (loc string, op func(*store.Store) error)
		want  error
		names string // the message names this
	}
	list := func(s *store.Store) error { _, err := s.List(ctx, ""); return err }
	for _, c := range []bad{
		{"throttled for good", func(t *testing.T) (string, func(*store.Store) error) {
			srv := s3test.Start(t, "bkt")
			srv.Throttle(1 << 30)
			return srv.URL("bkt", "d"), list
		}, store.ErrUnavailable, "s3://bkt/d"},
		{"unreachable endpoint", func(t *testing.T) (string, func(*store.Store) error) {
			s3test.SetCredentials(t)
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := l.Addr().String()
			l.Close() // nothing listens there now
			return "s3://bkt/d?endpoint=http://" + addr + "&use_path_style=true&disable_https=true", list
		}, store.ErrUnavailable, "s3://bkt/d"},
		{"missing credentials", func(t *testing.T) (string, func(*store.Store) error) {
			srv := s3test.Start(t, "bkt")
			s3test.ClearCredentials(t)
			return srv.URL("bkt", "d"), list
		}, store.ErrAccess, "s3://bkt/d"},
		{"no region", func(t *testing.T) (string, func(*store.Store) error) {
			s3test.SetCredentials(t)
			t.Setenv("AWS_REGION", "")
			t.Setenv("AWS_DEFAULT_REGION", "")
			return "s3://bkt/d", list
		}, store.ErrAccess, "s3://bkt/d"},
		{"no such bucket", func(t *testing.T) (string, func(*store.Store) error) {
			srv := s3test.Start(t, "bkt")
			return srv.URL("nobucket", "d"), list
		}, store.ErrAccess, "s3://nobucket/d"},
		{"no such bucket to read from", func(t *testing.T) (string, func(*store.Store) error) {
			srv := s3test.Start(t, "bkt")
			return srv.URL("nobucket", "d"), func(s *store.Store) error { _, err := s.ReadAll(ctx, "PROMOTED"); return err }
		}, store.ErrAccess, "s3://nobucket/d/PROMOTED"},
		{"no such bucket to write to", func(t *testing.T) (string, func(*store.Store) error) {
			srv := s3test.Start(t, "bkt")
			return srv.URL("nobucket", "d"), func(s *store.Store) error { return s.Put(ctx, "x", nil, true) }
		}, store.ErrAccess, "s3://nobucket/d/x"},
		{"gcs without credentials", func(t *testing.T) (string, func(*store.Store) error) {
			t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", filepath.Join(t.TempDir(), "missing.json"))
			return "gs://bkt/d", list
		}, store.ErrAccess, "gs://bkt/d"},
		{"object gone after open", func(t *testing.T) (string, func(*store.Store) error) {
			srv := s3test.Start(t, "bkt")
			srv.Put(t, "bkt", "d/f", bytes.Repeat([]byte{1}, 200_000))
			return srv.URL("bkt", "d"), func(s *store.Store) error {
				r, err := s.Open(ctx, "f")
				if err != nil {
					return err
				}
				srv.Delete(t, "bkt", "d/f")
				_, err = r.ReadAt(make([]byte, 10), 0)
				if err != nil && r.Err() == nil {
					t.Errorf("Reader.Err is nil after a failed read")
				}
				return err
			}
		}, store.ErrGone, "s3://bkt/d/f"},
	} {
		t.Run(c.name, func(t *testing.T) {
			loc, op := c.setup(t)
			s, err := store.Open(ctx, loc, fast)
			if err == nil {
				err = op(s)
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("err = %v, want %v", err, c.want)
			}
			if !strings.Contains(err.Error(), c.names) {
				t.Errorf("err = %q does not name %s", err, c.names)
			}
		})
	}
}

// TestPendingCommit: a commit publishes the staged files and _SUCCESS,
// replaces an earlier output of the name (dropping what the new one lacks)
// and clears the temporary prefixes of the name, its own and a killed
// commit's; an aborted one leaves the earlier output as it was.
func TestPendingCommit(t *testing.T) {
	ctx := context.Background()
	stage := func(t *testing.T, s *store.Store, files map[string]string) *store.Pending {
		t.Helper()
		p, err := s.CreatePending(ctx, "as_of=2026-01-01")
		if err != nil {
			t.Fatal(err)
		}
		for name, body := range files {
			if err := os.WriteFile(filepath.Join(p.Dir(), name), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return p
	}
	keys := func(t *testing.T, s *store.Store) map[string]string {
		t.Helper()
		objs, err := s.List(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, o := range objs {
			b, err := s.ReadAll(ctx, o.Key)
			if err != nil {
				t.Fatal(err)
			}
			out[o.Key] = string(b)
		}
		return out
	}
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			if err := s.Put(ctx, ".tmp-as_of=2026-01-01-00000000deadbeef/part-00000.parquet", []byte("killed"), false); err != nil {
				t.Fatal(err)
			}
			p := stage(t, s, map[string]string{"part-00000.parquet": "a0", "part-00001.parquet": "a1", "manifest.json": "ma"})
			if err := p.Commit(); err != nil {
				t.Fatal(err)
			}
			first := map[string]string{"as_of=2026-01-01/part-00000.parquet": "a0", "as_of=2026-01-01/part-00001.parquet": "a1",
				"as_of=2026-01-01/manifest.json": "ma", "as_of=2026-01-01/_SUCCESS": ""}
			if got := keys(t, s); !maps.Equal(got, first) {
				t.Errorf("after the first commit the store holds %v, want %v", got, first)
			}
			if _, err := os.Stat(p.Dir()); !errors.Is(err, fs.ErrNotExist) {
				t.Errorf("the staging folder is left: %v", err)
			}
			p = stage(t, s, map[string]string{"part-00000.parquet": "b0", "manifest.json": "mb"})
			if err := p.Commit(); err != nil {
				t.Fatal(err)
			}
			second := map[string]string{"as_of=2026-01-01/part-00000.parquet": "b0", "as_of=2026-01-01/manifest.json": "mb", "as_of=2026-01-01/_SUCCESS": ""}
			if got := keys(t, s); !maps.Equal(got, second) {
				t.Errorf("after the second commit the store holds %v, want %v", got, second)
			}
			p = stage(t, s, map[string]string{"part-00000.parquet": "c0", "manifest.json": "mc"})
			if err := p.Abort(); err != nil {
				t.Fatal(err)
			}
			if got := keys(t, s); !maps.Equal(got, second) {
				t.Errorf("after an abort the store holds %v, want %v", got, second)
			}
		})
	}
}

// TestPendingStagedByOthers: parts that another process uploads under a
// Pending's Staging location (PutStaged: the workers of a distributed
// job) are published with the manifest of its Dir, parts first, _SUCCESS
// last; Staged finds them and names a missing one; Abort removes them.
func TestPendingStagedByOthers(t *testing.T) {
	ctx := context.Background()
	for name, s := range stores(t) {
		t.Run(name, func(t *testing.T) {
			src := filepath.Join(t.TempDir(), "part")
			p, err := s.CreatePending(ctx, "as_of=2026-01-01")
			if err != nil {
				t.Fatal(err)
			}
			for _, part := range []string{"part-00001.parquet", "part-00000.parquet"} {
				if err := os.WriteFile(src, []byte("x"+part[5:10]), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := store.PutStaged(ctx, p.Staging(), part, src); err != nil {
					t.Fatalf("put %s into %s: %v", part, p.Staging(), err)
				}
			}
			if err := p.Staged("part-00001.parquet"); err != nil {
				t.Errorf("a part put under the staging prefix: %v", err)
			}
			if err := p.Staged("part-00002.parquet"); !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "part-00002.parquet") {
				t.Errorf("a missing part: %v, want fs.ErrNotExist naming it", err)
			}
			if err := os.WriteFile(filepath.Join(p.Dir(), "manifest.json"), []byte("m"), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := p.Commit(); err != nil {
				t.Fatal(err)
			}
			objs, err := s.List(ctx, "")
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, o := range objs {
				got = append(got, o.Key)
			}
			want := []string{"as_of=2026-01-01/_SUCCESS", "as_of=2026-01-01/manifest.json",
				"as_of=2026-01-01/part-00000.parquet", "as_of=2026-01-01/part-00001.parquet"}
			if !slices.Equal(got, want) {
				t.Errorf("after the commit the store holds %v, want %v", got, want)
			}
			if b, err := s.ReadAll(ctx, "as_of=2026-01-01/part-00001.parquet"); err != nil || string(b) != "x00001" {
				t.Errorf("part-00001: %q, %v", b, err)
			}
			p, err = s.CreatePending(ctx, "as_of=2026-01-02")
			if err != nil {
				t.Fatal(err)
			}
			if err := store.PutStaged(ctx, p.Staging(), "part-00000.parquet", src); err != nil {
				t.Fatal(err)
			}
			if err := p.Abort(); err != nil {
				t.Fatal(err)
			}
			if objs, err := s.List(ctx, ""); err != nil || len(objs) != len(want) {
				t.Errorf("after an abort the store holds %v (%v), want the %d objects of the commit", objs, err, len(want))
			}
		})
	}
}

func TestParent(t *testing.T) {
	for loc, want := range map[string][2]string{
		"s3://b/x/features?region=eu-west-1": {"s3://b/x?region=eu-west-1", "features"},
		"s3://b/features/":                   {"s3://b/", "features"},
		"gs://b/a/b/c":                       {"gs://b/a/b", "c"},
		"file:///tmp/out":                    {"file:///tmp", "out"},
	} {
		parent, name, err := store.Parent(loc)
		if err != nil || parent != want[0] || name != want[1] {
			t.Errorf("Parent(%q) = %q, %q, %v; want %q, %q", loc, parent, name, err, want[0], want[1])
		}
	}
	if _, _, err := store.Parent("s3://b?region=x"); !errors.Is(err, store.ErrAccess) {
		t.Errorf("Parent of a bucket's root: %v, want ErrAccess", err)
	}
}

// TestAbortBounded: an Abort whose store answers nothing but 503 gives up
// after AbortWait, rather than retrying its requests with the default
// backoff (at least 3.1 s for the one listing here), and removes the
// local staging folder; once the store answers again, the next Commit of
// the name removes what the Abort left under its temporary prefix.
func TestAbortBounded(t *testing.T) {
	ctx := context.Background()
	srv := s3test.Start(t, "bkt")
	s, err := store.Open(ctx, srv.URL("bkt", "out"), store.Options{})
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "part")
	if err := os.WriteFile(src, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	p, err := s.CreatePending(ctx, "as_of=2026-01-01")
	if err != nil {
		t.Fatal(err)
	}
	for _, part := range []string{"part-00000.parquet", "part-00001.parquet", "part-00002.parquet"} {
		if err := store.PutStaged(ctx, p.Staging(), part, src); err != nil {
			t.Fatal(err)
		}
	}
	defer func(w time.Duration) { *store.AbortWait = w }(*store.AbortWait)
	*store.AbortWait = 300 * time.Millisecond
	srv.ThrottleIf(func(*http.Request) bool { return true })
	start := time.Now()
	if err := p.Abort(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2500*time.Millisecond {
		t.Errorf("Abort against a store that answers 503 took %v, want about %v", d, *store.AbortWait)
	}
	if _, err := os.Stat(p.Dir()); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the local staging folder is left: %v", err)
	}
	if left := srv.Keys(t, "bkt", "out/"); len(left) == 0 {
		t.Fatal("the throttled Abort removed the staged parts: the test cannot tell a bounded Abort from a full one")
	}
	srv.ThrottleIf(nil)
	q, err := s.CreatePending(ctx, "as_of=2026-01-01")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(q.Dir(), "manifest.json"), []byte("m"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := q.Commit(); err != nil {
		t.Fatal(err)
	}
	want := []string{"out/as_of=2026-01-01/_SUCCESS", "out/as_of=2026-01-01/manifest.json"}
	if got := srv.Keys(t, "bkt", "out/"); !slices.Equal(got, want) {
		t.Errorf("after the next commit the bucket holds %v, want %v", got, want)
	}
}

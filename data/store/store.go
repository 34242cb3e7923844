package store

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go/logging"
	gcaws "gocloud.dev/aws"
	"gocloud.dev/blob"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/s3blob"

	"churn/internal/fsutil"
)

// Store is a local folder or a prefix of a bucket, with keys relative to
// it and separated by "/". Its methods are safe for concurrent use.
type Store struct {
	loc    string       // the folder, absolute, or the URL without its query: what messages name
	dir    string       // the local folder; "" for a bucket
	bucket *blob.Bucket // nil for a local folder
	// fileDir is the folder of a file:// bucket, where a conditional Put
	// is made exclusive across processes (fileblob's holds only within
	// one).
	fileDir string
	scheme  string // "s3", "gs" or "file" for a bucket; "" for a local folder
	query   string // the URL's query (the store's options), for Location
	retry   Retry
}

// Object is one object (a regular file, for a local folder) of a listing.
type Object struct {
	Key     string // relative to the store, "/"-separated
	Size    int64
	ModTime time.Time
	// Checksum is what the listing says of the object's content, with
	// what it is as a prefix: "md5:HEX", the MD5 that GCS keeps of an
	// object (not of a composed one), or "etag:VALUE", S3's entity tag
	// without its quotes, which a new upload of other content always
	// changes but which is the MD5 of the content only for some uploads
	// (one part, no KMS encryption). "" where the store gives neither: a
	// local folder, a file:// URL, an S3-compatible store without ETags.
	Checksum string
}

// Options tune Open.
type Options struct {
	// Retry bounds the retries of a bucket's failed requests; the zero
	// value means DefaultRetry.
	Retry Retry
}

// IsURL reports whether loc names a bucket (s3://, gs://, file://)
// rather than a local path.
func IsURL(loc string) bool {
	scheme, _, ok := strings.Cut(loc, "://")
	if !ok {
		return false
	}
	switch scheme {
	case "s3", "gs", "file":
		return true
	}
	return false
}

// Open opens loc: a local folder (a plain path; it need not exist yet), or
// a URL: s3://BUCKET/PREFIX, gs://BUCKET/PREFIX, file:///FOLDER (through
// gocloud's fileblob, which behaves as a bucket: no folder renames). S3 takes the query
// parameters of gocloud.dev/aws (region, endpoint, profile, ...) and
// use_path_style and disable_https, and its credentials from the AWS
// default chain; GCS takes Application Default Credentials. Open does not
// contact the store: the first List or Open does.
func Open(ctx context.Context, loc string, opt Options) (*Store, error) {
	s := &Store{retry: opt.Retry}
	if s.retry.Attempts <= 0 {
		s.retry = DefaultRetry
	}
	if !IsURL(loc) {
		dir, err := filepath.Abs(loc)
		if err != nil {
			return nil, fmt.Errorf("open %s: %w", loc, err)
		}
		s.loc, s.dir = dir, dir
		return s, nil
	}
	u, err := url.Parse(loc)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w: %w", loc, ErrAccess, err)
	}
	query, params := u.RawQuery, u.Query()
	u.RawQuery = ""
	s.scheme, s.query = u.Scheme, query
	s.loc = strings.TrimSuffix(u.String(), "/")
	var b *blob.Bucket
	switch u.Scheme {
	case "s3":
		b, err = openS3(ctx, u.Host, params, query)
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return nil, fmt.Errorf("open %s: file URLs name a local folder (file:///FOLDER): %w", loc, ErrAccess)
		}
		s.fileDir = filepath.FromSlash(u.Path)
		b, err = fileblob.OpenBucket(s.fileDir, &fileblob.Options{
			CreateDir: true, NoTempDir: true, Metadata: fileblob.MetadataDontWrite,
		})
		u.Path = ""
	case "gs":
		if openGCS == nil {
			return nil, fmt.Errorf("open %s: this build has no GCS driver (built with -tags nogcs): %w", s.loc, ErrAccess)
		}
		if query != "" {
			return nil, fmt.Errorf("open %s: gs:// URLs take no query parameters: %w", loc, ErrAccess)
		}
		b, err = openGCS(ctx, u.Host)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s: %w: %w", s.loc, ErrAccess, err)
	}
	if prefix := strings.Trim(u.Path, "/"); prefix != "" {
		b = blob.PrefixedBucket(b, prefix+"/")
	}
	s.bucket = b
	return s, nil
}

// openGCS opens a GCS bucket; nil in a build without the driver.
var openGCS func(ctx context.Context, bucket string) (*blob.Bucket, error)

// openS3 opens an S3 bucket with the SDK's own retries turned off: Store
// retries every request with one bounded policy, whatever the cloud.
func openS3(ctx context.Context, bucket string, q url.Values, raw string) (*blob.Bucket, error) {
	var opts []func(*s3.Options)
	for _, key := range []string{"use_path_style", "disable_https"} {
		v := q.Get(key)
		if v == "" {
			continue
		}
		q.Del(key)
		on, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("%s=%s in %q: %w", key, v, raw, err)
		}
		if key == "use_path_style" {
			opts = append(opts, func(o *s3.Options) { o.UsePathStyle = on })
		} else {
			opts = append(opts, func(o *s3.Options) { o.EndpointOptions.DisableHTTPS = on })
		}
	}
	cfg, err := gcaws.V2ConfigFromURLParams(ctx, q)
	if err != nil {
		return nil, err
	}
	cfg.Retryer = func() aws.Retryer { return aws.NopRetryer{} }
	cfg.Logger = logging.Nop{} // the SDK would print to stderr; errors come back instead
	client := s3.NewFromConfig(cfg, opts...)
	return s3blob.OpenBucket(ctx, client, bucket, &s3blob.Options{RequestChecksumCalculation: cfg.RequestChecksumCalculation})
}

// Close releases the bucket's client.
func (s *Store) Close() error {
	if s.bucket == nil {
		return nil
	}
	return s.bucket.Close()
}

// String is the folder or URL of the store.
func (s *Store) String() string { return s.loc }

// Local returns the folder of a local store; ok is false for a bucket.
func (s *Store) Local() (dir string, ok bool) { return s.dir, s.bucket == nil }

// URL names key for messages: a path for a local store, a URL for a bucket.
func (s *Store) URL(key string) string {
	if s.bucket == nil {
		return filepath.Join(s.dir, filepath.FromSlash(key))
	}
	if key == "" {
		return s.loc
	}
	return s.loc + "/" + key
}

// Location returns what Open opens as the store of the prefix key of s,
// for another process to reach it: a folder's path, or a URL with the
// query (the options, such as an endpoint or a region) that s was opened
// with. URL names a key for messages, without the query.
func (s *Store) Location(key string) string {
	if s.bucket == nil || s.query == "" {
		return s.URL(key)
	}
	return s.URL(key) + "?" + s.query
}

// Parent splits loc, a folder or a bucket URL naming a prefix, into the
// location above it (a URL keeps its query) and its last name, so that
// loc can be written as the folder name of the store of parent (Pending).
// A bucket URL without a prefix has no parent: an ErrAccess error.
func Parent(loc string) (parent, name string, err error) {
	if !IsURL(loc) {
		abs, err := filepath.Abs(loc)
		if err != nil {
			return "", "", err
		}
		return filepath.Dir(abs), filepath.Base(abs), nil
	}
	u, err := url.Parse(loc)
	if err != nil {
		return "", "", fmt.Errorf("%s: %w: %w", loc, ErrAccess, err)
	}
	p := strings.Trim(u.Path, "/")
	i := strings.LastIndex(p, "/")
	if p == "" {
		return "", "", fmt.Errorf("%s: %w: name a prefix in the bucket (%s://BUCKET/PREFIX), not its root", loc, ErrAccess, u.Scheme)
	}
	name = p[i+1:]
	u.Path = "/" + p[:max(i, 0)]
	return u.String(), name, nil
}

// shared holds the stores Shared opened, by location.
var shared = struct {
	sync.Mutex
	m map[string]*Store
}{m: map[string]*Store{}}

// Shared returns this process's Store of loc, opened by Open with the
// default options the first time and kept open for the rest of the
// process: the workers of a distributed job, which get locations as
// strings with every element, reach each bucket with one client (one
// credentials lookup, one connection pool) per process, not one per
// element. Its caller must not Close it.
func Shared(ctx context.Context, loc string) (*Store, error) {
	shared.Lock()
	defer shared.Unlock()
	if s := shared.m[loc]; s != nil {
		return s, nil
	}
	s, err := Open(ctx, loc, Options{})
	if err != nil {
		return nil, err
	}
	shared.m[loc] = s
	return s, nil
}

// List returns every object under prefix ("" for all, else a folder such
// as "customers/"), at any depth, sorted by key. A prefix that holds
// nothing gives an empty list. Locally, only regular files count, and
// symbolic links are not followed.
func (s *Store) List(ctx context.Context, prefix string) ([]Object, error) {
	var objs []Object
	if s.bucket == nil {
		root := filepath.Join(s.dir, filepath.FromSlash(prefix))
		err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
			if err != nil {
				if p == root && errors.Is(err, fs.ErrNotExist) {
					return fs.SkipAll
				}
				return err
			}
			if !e.Type().IsRegular() {
				return nil
			}
			info, err := e.Info()
			if err != nil {
				return err
			}
			rel, err := filepath.Rel(s.dir, p)
			if err != nil {
				return err
			}
			objs = append(objs, Object{Key: filepath.ToSlash(rel), Size: info.Size(), ModTime: info.ModTime()})
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", root, err)
		}
	} else {
		var token = blob.FirstPageToken
		for len(token) > 0 {
			var page []*blob.ListObject
			err := s.do(ctx, func() error {
				p, next, err := s.bucket.ListPage(ctx, token, 1000, &blob.ListOptions{Prefix: prefix})
				if err == nil {
					page, token = p, next
				}
				return err
			})
			if err != nil {
				return nil, s.fail("list", prefix, err)
			}
			for _, o := range page {
				if !o.IsDir {
					objs = append(objs, Object{Key: o.Key, Size: o.Size, ModTime: o.ModTime, Checksum: s.listedChecksum(o)})
				}
			}
		}
	}
	sort.Slice(objs, func(i, j int) bool { return objs[i].Key < objs[j].Key })
	return objs, nil
}

// checksum is Object.Checksum of an object of which the store gave etag
// and sum: S3's ETag, GCS's MD5; nothing from fileblob, whose ETag is
// made of the file's time and size and whose MD5 only covers what it
// wrote itself.
func (s *Store) checksum(etag string, sum []byte) string {
	switch s.scheme {
	case "s3":
		if tag := strings.Trim(etag, `"`); tag != "" {
			return "etag:" + tag
		}
	case "gs":
		if len(sum) == md5.Size {
			return "md5:" + hex.EncodeToString(sum)
		}
	}
	return ""
}

// listedChecksum is Object.Checksum of a listed object.
func (s *Store) listedChecksum(o *blob.ListObject) string {
	var obj s3types.Object
	if s.scheme == "s3" && o.As(&obj) {
		return s.checksum(aws.ToString(obj.ETag), nil)
	}
	return s.checksum("", o.MD5)
}

// Open opens the object key for random access. On a bucket the reads are
// ranged requests (the last 64 KiB, where Parquet keeps its footer, are
// fetched once at Open; see Reader), so nothing is downloaded whole; the
// reads use ctx. An object that is gone is an ErrGone error.
func (s *Store) Open(ctx context.Context, key string) (*Reader, error) {
	return s.OpenListed(ctx, key, "")
}

// OpenListed opens the object key as Open does and, on a bucket, checks
// that it still holds what its listing said (checksum, Object.Checksum;
// "" checks nothing): an object replaced since it was listed is an
// ErrGone error, so that a run never reads content other than the one
// its manifest names.
func (s *Store) OpenListed(ctx context.Context, key, checksum string) (*Reader, error) {
	if s.bucket == nil {
		return OpenFile(s.URL(key))
	}
	r := &Reader{s: s, ctx: ctx, key: key}
	var attrs *blob.Attributes
	err := s.do(ctx, func() error {
		var err error
		attrs, err = s.bucket.Attributes(ctx, key)
		return err
	})
	if err != nil {
		return nil, s.fail("open", key, err)
	}
	if now := s.checksum(attrs.ETag, attrs.MD5); checksum != "" && now != checksum {
		return nil, fmt.Errorf("open %s: %w: replaced by other content (listed %s, now %s)", s.URL(key), ErrGone, checksum, now)
	}
	r.size = attrs.Size
	n := min(r.size, tailSize)
	r.tail = make([]byte, n)
	r.tailOff = r.size - n
	if n > 0 {
		if err := r.fetch(ctx, r.tail, r.tailOff); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// OpenFile opens the local file name for random access.
func OpenFile(name string) (*Reader, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	return &Reader{f: f, size: fi.Size()}, nil
}

// ReadAll returns the whole object key: for small files such as
// manifests. A missing object is an error that wraps fs.ErrNotExist, on
// a bucket (where it is also ErrGone) as in a folder.
func (s *Store) ReadAll(ctx context.Context, key string) ([]byte, error) {
	if s.bucket == nil {
		return os.ReadFile(s.URL(key))
	}
	var b []byte
	err := s.do(ctx, func() error {
		var err error
		b, err = s.bucket.ReadAll(ctx, key)
		return err
	})
	if code(err) == codeNotFound && !noBucket(err) {
		return nil, fmt.Errorf("%w: %w", s.fail("read", key, err), fs.ErrNotExist)
	}
	if err != nil {
		return nil, s.fail("read", key, err)
	}
	return b, nil
}

// Exists reports whether the object key exists.
func (s *Store) Exists(ctx context.Context, key string) (bool, error) {
	if s.bucket == nil {
		fi, err := os.Stat(s.URL(key))
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil
		}
		return err == nil && fi.Mode().IsRegular(), err
	}
	var ok bool
	err := s.do(ctx, func() error {
		var err error
		ok, err = s.bucket.Exists(ctx, key)
		return err
	})
	if err != nil {
		return false, s.fail("stat", key, err)
	}
	return ok, nil
}

// Put writes data as the object key, whole or not at all: an object store
// shows an object only once its upload completes, and locally the bytes go
// to a temporary file beside key, fsynced, then renamed. With ifNotExist
// the write fails with ErrExists when key exists, atomically (S3's and
// GCS's conditional writes; locally and for file:// URLs, a hard link of
// the complete temporary file, exclusive across processes).
func (s *Store) Put(ctx context.Context, key string, data []byte, ifNotExist bool) error {
	if s.bucket == nil {
		return putLocal(s.URL(key), data, ifNotExist)
	}
	if ifNotExist && s.fileDir != "" {
		// fileblob checks, then renames, under a lock of this process
		// only: two processes could both create key.
		err := putLocal(filepath.Join(s.fileDir, filepath.FromSlash(key)), data, true)
		if errors.Is(err, ErrExists) {
			return fmt.Errorf("write %s: %w", s.URL(key), ErrExists)
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", s.URL(key), err)
		}
		return nil
	}
	err := s.do(ctx, func() error {
		return s.bucket.WriteAll(ctx, key, data, &blob.WriterOptions{IfNotExist: ifNotExist, ContentType: "application/octet-stream"})
	})
	if ifNotExist && code(err) == codeExists {
		return fmt.Errorf("write %s: %w", s.URL(key), ErrExists)
	}
	if err != nil {
		return s.fail("write", key, err)
	}
	return nil
}

// PutFile uploads the local file src as the object key, streaming it, whole
// or not at all as Put does.
func (s *Store) PutFile(ctx context.Context, key, src string) error {
	if s.bucket == nil {
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		return putLocal(s.URL(key), data, false)
	}
	err := s.do(ctx, func() error {
		f, err := os.Open(src)
		if err != nil {
			return err
		}
		defer f.Close()
		// Cancelling wctx before Close abandons the upload: nothing appears.
		wctx, cancel := context.WithCancel(ctx)
		defer cancel()
		w, err := s.bucket.NewWriter(wctx, key, &blob.WriterOptions{ContentType: "application/octet-stream"})
		if err != nil {
			return err
		}
		if _, err := io.Copy(w, f); err != nil {
			cancel()
			w.Close()
			return err
		}
		return w.Close()
	})
	if err != nil {
		return s.fail("write", key, err)
	}
	return nil
}

// Delete removes the object key; a key that does not exist is no error.
func (s *Store) Delete(ctx context.Context, key string) error {
	if s.bucket == nil {
		err := os.Remove(s.URL(key))
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		return err
	}
	err := s.do(ctx, func() error { return s.bucket.Delete(ctx, key) })
	if err != nil && code(err) != codeNotFound {
		return s.fail("delete", key, err)
	}
	return nil
}

// putLocal writes data to the file name through a temporary file beside
// it, fsynced, then renamed over name, or, with ifNotExist, hard-linked
// to name: a link fails when name exists, atomically, whichever process
// made it, and gives the file complete.
func putLocal(name string, data []byte, ifNotExist bool) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o777); err != nil {
		return err
	}
	f, err := fsutil.Create(name)
	if err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Abort()
		return err
	}
	if !ifNotExist {
		return f.Commit()
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := fsutil.Finish(f.File); err != nil {
		return err
	}
	if err := os.Link(tmp, name); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("write %s: %w", name, ErrExists)
		}
		return err
	}
	return fsutil.SyncDir(filepath.Dir(name))
}

// Join joins key elements with "/".
func Join(elem ...string) string { return path.Join(elem...) }

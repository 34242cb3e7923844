package data

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"churn/data/store"
	"churn/internal/s3test"
)

// bucketDataset writes a dataset with Hive partitions, Spark's markers,
// hidden files and a file that is not Parquet, and returns its folder.
func bucketDataset(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	writeRows(t, filepath.Join(dir, "customers", "part-0.parquet"), []Customer{{ID: "c1", SignupAt: t0, CancelledAt: NoTime}, {ID: "c2", SignupAt: t0, CancelledAt: NoTime}})
	for _, region := range []string{"BR", "DE"} {
		writeRows(t, filepath.Join(dir, "sessions", "region="+region, "day=2026-01-01", "part-0.parquet"), []Session{{CustomerID: "c1", StartedAt: t0}})
	}
	writeRows(t, filepath.Join(dir, "orders", "part-0.parquet"), []Order{{CustomerID: "c2", TS: t0, Amount: 3}})
	for _, name := range []string{"sessions/_SUCCESS", "sessions/region=BR/.part-0.parquet.crc", "sessions/_temporary/0/part-9.parquet",
		"sessions/.hidden/part-1.parquet", "orders/notes.txt"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("not parquet"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestDiscoverBucket: a dataset on S3 and through fileblob is discovered
// as on a folder: the same files, sizes and Hive partitions, the same
// names skipped, and a lakehouse table refused.
func TestDiscoverBucket(t *testing.T) {
	srv := s3test.Start(t, "lake")
	dir := bucketDataset(t)
	srv.PutDir(t, "lake", "d", dir)
	type seen struct {
		Rel       string
		Size      int64
		Partition map[string]string
	}
	discovered := func(root string) map[Table][]seen {
		t.Helper()
		d, err := Discover(root)
		if err != nil {
			t.Fatalf("Discover(%s): %v", root, err)
		}
		out := map[Table][]seen{}
		for tb, fs := range d.Files {
			for _, f := range fs {
				out[tb] = append(out[tb], seen{f.Rel, f.Size, f.Partition})
			}
		}
		return out
	}
	want := discovered(dir)
	if n := len(want[Sessions]); n != 2 {
		t.Fatalf("the folder has %d sessions files, want 2: %v", n, want[Sessions])
	}
	for _, root := range []string{srv.URL("lake", "d"), "file://" + filepath.ToSlash(dir)} {
		if got := discovered(root); !reflect.DeepEqual(got, want) {
			t.Errorf("Discover(%s) =\n%v\nwant, as on the folder,\n%v", root, got, want)
		}
	}

	srv.Put(t, "lake", "d/orders/region=BR/_delta_log/00000000000000000000.json", []byte("{}"))
	_, err := Discover(srv.URL("lake", "d"))
	if !errors.Is(err, ErrLakehouse) || !strings.Contains(err.Error(), "delta_scan('s3://lake/d/orders/region=BR')") {
		t.Errorf("Discover of a bucket with a Delta table = %v, want ErrLakehouse naming its URL", err)
	}
}

// TestReadFileRangedFromS3: reading the contract columns of a file on S3
// fetches its footer and those column chunks, not the whole object; the
// rows are those of the same file read from a folder.
func TestReadFileRangedFromS3(t *testing.T) {
	srv := s3test.Start(t, "lake")
	dir := t.TempDir()
	writeRows(t, filepath.Join(dir, "customers", "part-0.parquet"), []Customer{{ID: "c1", SignupAt: t0, CancelledAt: NoTime}})
	// A wide column the contract does not know: most of the file's bytes.
	const n = 2000
	rng := rand.New(rand.NewPCG(1, 2))
	ids, starts, payload := make([]string, n), make([]int64, n), make([]string, n)
	for i := range n {
		ids[i], starts[i] = "c1", t0+int64(i)*1e9
		b := make([]byte, 1024)
		for j := range b {
			b[j] = byte(rng.Uint32())
		}
		payload[i] = hex.EncodeToString(b)
	}
	sessions := filepath.Join(dir, "sessions", "part-0.parquet")
	if err := os.MkdirAll(filepath.Dir(sessions), 0o755); err != nil {
		t.Fatal(err)
	}
	err := WriteParquet(sessions, []OutColumn{
		{Name: "customer_id", Kind: String, Strings: ids},
		{Name: "started_at", Kind: Timestamp, Times: starts},
		{Name: "payload", Kind: String, Strings: payload},
	}, WriteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	srv.PutDir(t, "lake", "d", dir)
	read := func(root string) ([]int64, int64) {
		t.Helper()
		d, err := Discover(root)
		if err != nil {
			t.Fatal(err)
		}
		before := srv.BytesServed()
		var got []int64
		_, err = ReadFile(context.Background(), d.Files[Sessions][0], ReadOptions{}, func(rows []Session) error {
			for _, r := range rows {
				got = append(got, r.StartedAt)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("ReadFile from %s: %v", root, err)
		}
		return got, srv.BytesServed() - before
	}
	want, _ := read(dir)
	got, served := read(srv.URL("lake", "d"))
	if !reflect.DeepEqual(got, want) || len(got) != n {
		t.Fatalf("read %d rows from S3, want the folder's %d", len(got), len(want))
	}
	fi, err := os.Stat(sessions)
	if err != nil {
		t.Fatal(err)
	}
	if served > fi.Size()/4 {
		t.Errorf("reading 2 of 3 columns fetched %d bytes of a %d-byte object, want at most a quarter", served, fi.Size())
	}
	t.Logf("read %d rows: fetched %d of %d bytes", len(got), served, fi.Size())
}

// TestReadFileObjectGone: an object that disappears between discovery and
// the read is the store's ErrGone, no FileError: the file was not bad, the
// dataset changed, and a new run lists it again.
func TestReadFileObjectGone(t *testing.T) {
	srv := s3test.Start(t, "lake")
	srv.PutDir(t, "lake", "d", bucketDataset(t))
	d, err := Discover(srv.URL("lake", "d"))
	if err != nil {
		t.Fatal(err)
	}
	f := d.Files[Orders][0]
	srv.Delete(t, "lake", "d/"+f.Rel)
	_, err = ReadFile(context.Background(), f, ReadOptions{}, func([]Order) error { return nil })
	var fe *FileError
	if !errors.Is(err, store.ErrGone) || errors.As(err, &fe) || !strings.Contains(err.Error(), "s3://lake/d/orders/part-0.parquet") {
		t.Errorf("ReadFile of a deleted object = %v, want store.ErrGone naming its URL, no FileError", err)
	}
}

// TestReadFromS3LikeFolder holds the rows read from a bucket (ranged
// reads, row groups' chunks prefetched, small reads from windows) equal,
// batch for batch, to those read from the same file in a folder, and the
// errors the same: every writer's fixture (DuckDB's, Arrow's, ours), a
// file of many small row groups, and the malformed fixtures.
func TestReadFromS3LikeFolder(t *testing.T) {
	srv := s3test.Start(t, "lake")
	dir := t.TempDir()
	copyFile := func(src, dst string) {
		t.Helper()
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(dst, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, tb := range Tables {
		copyFile(filepath.Join("testdata", "duckdb", string(tb)+".parquet"), filepath.Join(dir, string(tb), "duckdb.parquet"))
	}
	for _, name := range []string{"customers/part-0.parquet", "sessions/day=2023-11-14/part-0.parquet", "surveys/part-0.parquet"} {
		copyFile(filepath.Join("testdata", "dataset", filepath.FromSlash(name)), filepath.Join(dir, filepath.FromSlash(strings.Replace(name, "part-0", "arrow-0", 1))))
	}
	for _, name := range []string{"wrong-type", "truncated", "not-parquet", "missing-column"} {
		copyFile(filepath.Join("testdata", "malformed", name+".parquet"), filepath.Join(dir, "orders", "bad-"+name+".parquet"))
	}
	// Many row groups of many pages, of a few rows each.
	rng := rand.New(rand.NewPCG(5, 6))
	sessions := make([]Session, 20_000)
	for i := range sessions {
		sessions[i] = Session{CustomerID: fmt.Sprintf("c%04d", rng.IntN(3000)), StartedAt: t0 + int64(i)*1e9,
			DurationS: rng.Float64() * 3600, Pages: float64(rng.IntN(40)), Channel: []string{"web", "ios", "android"}[rng.IntN(3)]}
	}
	w, err := NewTableWriter[Session](filepath.Join(dir, "sessions", "small-groups.parquet"), WriteOptions{RowGroupRows: 700})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(sessions); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	srv.PutDir(t, "lake", "d", dir)

	read := func(root string) map[string]string {
		t.Helper()
		ds, err := Discover(root)
		if err != nil {
			t.Fatalf("Discover(%s): %v", root, err)
		}
		out := map[string]string{}
		for _, tb := range Tables {
			for _, f := range ds.Files[tb] {
				var sb strings.Builder
				key := func(id string) int32 { return int32(len(id)) }
				st, err := ReadKeyedBatches(context.Background(), f, ReadOptions{BatchSize: 333}, key, func(batch any, keys []int32) error {
					fmt.Fprintf(&sb, "%+v %v\n", batch, keys)
					return nil
				})
				if err != nil {
					var fe *FileError
					if !errors.As(err, &fe) {
						t.Fatalf("%s: %v, want a FileError", f.Rel, err)
					}
					fmt.Fprintf(&sb, "error: %v\n", err)
				}
				fmt.Fprintf(&sb, "%+v", st)
				out[f.Rel] = sb.String()
			}
		}
		return out
	}
	want := read(dir)
	if len(want) != 6+3+4+1 {
		t.Fatalf("read %d files from the folder, want 14", len(want))
	}
	srv.ResetGets()
	got := read(srv.URL("lake", "d"))
	for rel, w := range want {
		if got[rel] != w {
			t.Errorf("%s: read from S3 differs from the folder's:\n%.300s\nwant\n%.300s", rel, got[rel], w)
		}
	}
	gets, _ := srv.Gets()
	for _, g := range gets {
		if strings.HasSuffix(g.Key, ".parquet") && g.Range == "" {
			t.Errorf("a GET of all of %s", g.Key)
		}
	}
}

// TestChecksumsFromS3: the checksums of a dataset in S3 are the ETags
// its listing gives (for these single-part uploads, the MD5 of each
// file), and no object is read to make them; a file:// URL, whose store
// gives nothing usable, and a folder hash the files with SHA-256, alike.
func TestChecksumsFromS3(t *testing.T) {
	srv := s3test.Start(t, "lake")
	dir := bucketDataset(t)
	srv.PutDir(t, "lake", "d", dir)
	sums := func(root string) map[string]Checksum {
		t.Helper()
		d, err := Discover(root)
		if err != nil {
			t.Fatal(err)
		}
		s, err := d.Checksums(context.Background())
		if err != nil {
			t.Fatalf("Checksums of %s: %v", root, err)
		}
		return s
	}
	folder := sums(dir)
	if len(folder) != 4 {
		t.Fatalf("%d checksums from the folder, want the 4 Parquet files: %v", len(folder), folder)
	}
	for rel, c := range folder {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		if want := sha256.Sum256(b); c != (Checksum{SHA256: hex.EncodeToString(want[:])}) {
			t.Errorf("%s: checksum %+v from the folder, want its SHA-256", rel, c)
		}
	}
	if got := sums("file://" + filepath.ToSlash(dir)); !reflect.DeepEqual(got, folder) {
		t.Errorf("checksums through file:// %v, want the folder's %v", got, folder)
	}
	srv.ResetGets()
	got := sums(srv.URL("lake", "d"))
	if len(got) != len(folder) {
		t.Errorf("%d checksums from S3, want %d", len(got), len(folder))
	}
	for rel := range folder {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			t.Fatal(err)
		}
		if want := md5.Sum(b); got[rel] != (Checksum{Store: "etag:" + hex.EncodeToString(want[:])}) {
			t.Errorf("%s: checksum %+v from S3, want etag: and the MD5 of its one-part upload", rel, got[rel])
		}
	}
	gets, _ := srv.Gets()
	for _, g := range gets {
		if !strings.HasSuffix(g.Key, "lake") && !strings.HasSuffix(g.Key, "lake/") {
			t.Errorf("a GET of %s (range %q): the checksums read an object", g.Key, g.Range)
		}
	}
}

// TestReplacedOnS3: an object that other content replaced between the
// listing and the read is refused as gone (the dataset changed during
// the run), naming it, rather than read under the ETag the manifest would
// record.
func TestReplacedOnS3(t *testing.T) {
	srv := s3test.Start(t, "lake")
	dir := bucketDataset(t)
	srv.PutDir(t, "lake", "d", dir)
	d, err := Discover(srv.URL("lake", "d"))
	if err != nil {
		t.Fatal(err)
	}
	f := d.Files[Orders][0]
	read := func() error {
		_, err := ReadFile(context.Background(), f, ReadOptions{}, func([]Order) error { return nil })
		return err
	}
	if err := read(); err != nil {
		t.Fatalf("read %s as listed: %v", f.Rel, err)
	}
	other := filepath.Join(t.TempDir(), "other.parquet")
	writeRows(t, other, []Order{{CustomerID: "c1", TS: t0, Amount: 4}})
	b, err := os.ReadFile(other)
	if err != nil {
		t.Fatal(err)
	}
	srv.Put(t, "lake", "d/"+f.Rel, b)
	err = read()
	if !errors.Is(err, store.ErrGone) || !strings.Contains(err.Error(), "s3://lake/d/"+f.Rel) || !strings.Contains(err.Error(), "replaced") {
		t.Errorf("read of %s after it was replaced: %v; want ErrGone naming it", f.Rel, err)
	}
}

// TestReattach: files of a bucket dataset sent to another process as gob
// lose their store; Reattach to the dataset's URL reads them from the
// bucket again, checked against the listing (a replaced object is
// ErrGone naming it), and a file of another dataset is refused.
func TestReattach(t *testing.T) {
	srv := s3test.Start(t, "lake")
	dir := bucketDataset(t)
	srv.PutDir(t, "lake", "d", dir)
	root := srv.URL("lake", "d")
	d, err := Discover(root)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(d.Files[Orders]); err != nil {
		t.Fatal(err)
	}
	var files []File
	if err := gob.NewDecoder(&buf).Decode(&files); err != nil {
		t.Fatal(err)
	}
	read := func(f File) (int, error) {
		n := 0
		_, err := ReadFile(context.Background(), f, ReadOptions{}, func(rows []Order) error { n += len(rows); return nil })
		return n, err
	}
	if _, err := read(files[0]); err == nil {
		t.Fatalf("a decoded file read without its store: want an error (its URL opened as a path)")
	}
	if err := Reattach(context.Background(), root, files); err != nil {
		t.Fatal(err)
	}
	if n, err := read(files[0]); err != nil || n != 1 {
		t.Fatalf("reattached %s: %d rows, %v", files[0].Rel, n, err)
	}
	srv.Put(t, "lake", "d/"+files[0].Rel, []byte("other content"))
	if _, err := read(files[0]); !errors.Is(err, store.ErrGone) || !strings.Contains(err.Error(), root[:strings.Index(root, "?")]+"/"+files[0].Rel) {
		t.Errorf("reattached file replaced in the bucket: %v, want ErrGone naming it", err)
	}
	if err := Reattach(context.Background(), srv.URL("lake", "other"), files); err == nil || !strings.Contains(err.Error(), files[0].Path) {
		t.Errorf("Reattach to another dataset: %v, want an error naming %s", err, files[0].Path)
	}
}

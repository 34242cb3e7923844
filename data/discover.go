package data

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"churn/data/store"
)

// File is one Parquet file of a dataset.
type File struct {
	Table     Table
	Path      string            // absolute path, or URL for a bucket
	Rel       string            // relative to the dataset root, with forward slashes
	Size      int64             // bytes
	ModTime   time.Time         // last modification, as the store reports it
	Partition map[string]string // Hive key=value folders between the table and the file
	// StoreChecksum is what the bucket's listing says of the content
	// (store.Object.Checksum: "md5:HEX" or "etag:VALUE"); "" for local
	// files and stores that give none.
	StoreChecksum string

	store *store.Store // the store Discover found it in; nil: Path is a local file
}

// Dataset is a discovered dataset: a root folder or bucket prefix with one
// sub-folder per table.
type Dataset struct {
	Root  string           // absolute path, or URL for a bucket
	Files map[Table][]File // by table, sorted by Rel; a table without files is absent
}

// Discover is DiscoverContext without a deadline.
func Discover(root string) (*Dataset, error) {
	return DiscoverContext(context.Background(), root)
}

// DiscoverContext lists the Parquet files of the dataset at root, a local
// folder or a bucket URL (see package store): for each table of the
// contract, every *.parquet file at any depth under root/<table>/, sorted
// by path. Names starting with "." or "_" (temporary files, _SUCCESS,
// Hadoop's .crc files) are ignored, files and folders alike. Folders named
// key=value add key to File.Partition. A bucket follows the same rules, its
// "folders" being the key prefixes between slashes.
//
// It fails with ErrNoDataset when root is not a folder or a bucket prefix
// that holds anything, with ErrNoCustomers when there is no customers
// file, and with ErrLakehouse, reading nothing, when a folder under a
// table holds a Delta Lake log (_delta_log/) or Iceberg metadata
// (metadata/*.metadata.json): such a folder keeps the Parquet files that
// overwrites, merges and compactions removed from the table, and only the
// log says which are current. A bucket that cannot be reached gives the
// store's error (store.ErrAccess, store.ErrUnavailable), naming the URL.
func DiscoverContext(ctx context.Context, root string) (*Dataset, error) {
	s, err := store.Open(ctx, root, store.Options{})
	if err != nil {
		return nil, fmt.Errorf("discover: %w", err)
	}
	if dir, local := s.Local(); local {
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			return nil, fmt.Errorf("discover %s: %w", root, ErrNoDataset)
		}
	}
	d := &Dataset{Root: s.String(), Files: map[Table][]File{}}
	listed := 0
	for _, t := range Tables {
		objs, err := s.List(ctx, string(t)+"/")
		if err != nil {
			return nil, fmt.Errorf("discover %s: %w", t, err)
		}
		listed += len(objs)
		if err := lakehouse(s, objs); err != nil {
			return nil, fmt.Errorf("discover %s: %w", d.Root, err)
		}
		var files []File
		for _, o := range objs {
			parts := strings.Split(o.Key, "/")
			if hidden(parts[1:]) || !strings.HasSuffix(parts[len(parts)-1], ".parquet") {
				continue
			}
			files = append(files, File{
				Table:         t,
				Path:          s.URL(o.Key),
				Rel:           o.Key,
				Size:          o.Size,
				ModTime:       o.ModTime,
				Partition:     partition(o.Key),
				StoreChecksum: o.Checksum,
				store:         s,
			})
		}
		if len(files) > 0 {
			d.Files[t] = files
		}
	}
	if _, local := s.Local(); !local && listed == 0 {
		return nil, fmt.Errorf("discover %s: %w: no object under any table prefix (%s/, ...)", d.Root, ErrNoDataset, Customers)
	}
	if len(d.Files[Customers]) == 0 {
		return nil, fmt.Errorf("discover %s: %w", s.URL(string(Customers)), ErrNoCustomers)
	}
	return d, nil
}

// hidden reports whether a name among names starts with "." or "_".
func hidden(names []string) bool {
	for _, n := range names {
		if strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_") {
			return true
		}
	}
	return false
}

// lakehouse returns an ErrLakehouse error when a folder among the listed
// objects of one table, itself below no hidden folder, holds a Delta Lake
// table (a _delta_log/ folder) or is an Iceberg table's metadata/ folder
// (with *.metadata.json files). The error names the table folder, relative
// to the root, and says how to export the current snapshot.
func lakehouse(s *store.Store, objs []store.Object) error {
	for _, o := range objs {
		parts := strings.Split(o.Key, "/")
		var table, format, scan string
		for i := 1; i < len(parts)-1 && table == ""; i++ {
			if parts[i] == "_delta_log" && !hidden(parts[1:max(i-1, 1)]) {
				table, format, scan = strings.Join(parts[:i], "/"), "a Delta Lake table (_delta_log/)", "delta_scan"
			}
		}
		if n := len(parts); table == "" && n >= 3 && parts[n-2] == "metadata" && strings.HasSuffix(parts[n-1], ".metadata.json") && !hidden(parts[1:n-2]) {
			table, format, scan = strings.Join(parts[:n-2], "/"), "an Iceberg table (metadata/*.metadata.json)", "iceberg_scan"
		}
		if table == "" {
			continue
		}
		return fmt.Errorf("%s holds %s: its folder also keeps Parquet files that are no longer part of the table, "+
			"so churn reads none of them. Export the current snapshot to plain Parquet and point --data at the export, "+
			"e.g. with DuckDB: COPY (SELECT * FROM %s('%s')) TO 'EXPORT/%s/part-0.parquet' (FORMAT parquet): %w",
			table, format, scan, s.URL(table), table, ErrLakehouse)
	}
	return nil
}

// partition returns the Hive key=value folders of rel, which starts with
// the table folder and ends with the file name; nil when there are none.
func partition(rel string) map[string]string {
	parts := strings.Split(rel, "/")
	var p map[string]string
	for _, dir := range parts[1 : len(parts)-1] {
		k, v, ok := strings.Cut(dir, "=")
		if !ok || k == "" {
			continue
		}
		if p == nil {
			p = map[string]string{}
		}
		p[k] = v
	}
	return p
}

// Checksum identifies the content of one input file, as the manifest
// records it: the SHA-256 that churn hashed, or what the store already
// said of the object (File.StoreChecksum), never both.
type Checksum struct {
	SHA256 string // hex; "" when Store is set
	Store  string // "md5:HEX" or "etag:VALUE"; "" when SHA256 is set
}

// Checksums returns the checksum of every file of the dataset, by
// File.Rel: a file whose listing gave a store checksum (S3's ETag, GCS's
// MD5) takes it and is not read again; every other one (local files,
// file:// URLs) is hashed with SHA-256, streamed, in ranged reads of 8
// MiB from a bucket, until ctx is done. Local files are hashed one at a
// time (the callers hash alongside their reads, which keep the other
// cores busy); a bucket's, whose time goes in waiting for the store, four
// at once. The hashes in progress read through as many 8 MiB buffers as
// run at once, which pass from file to file: one or four buffers, not one
// per file.
func (d *Dataset) Checksums(ctx context.Context) (map[string]Checksum, error) {
	var files []File
	for _, t := range Tables {
		files = append(files, d.Files[t]...)
	}
	sums := make([]string, len(files))
	g, gctx := errgroup.WithContext(ctx)
	limit := 1
	if len(files) > 0 && files[0].store != nil {
		if _, local := files[0].store.Local(); !local {
			limit = checksumParallel
		}
	}
	g.SetLimit(limit)
	bufs := make(chan []byte, limit)
	for range limit {
		bufs <- nil // made on first use: a dataset of one file needs one
	}
	for i, f := range files {
		if f.StoreChecksum != "" {
			continue
		}
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			buf := <-bufs
			if buf == nil {
				buf = make([]byte, 8<<20)
			}
			sum, err := fileSHA256(gctx, f, buf)
			bufs <- buf
			if err != nil {
				return fmt.Errorf("checksum %s: %w", f.Rel, err)
			}
			sums[i] = sum
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	out := make(map[string]Checksum, len(files))
	for i, f := range files {
		out[f.Rel] = Checksum{SHA256: sums[i], Store: f.StoreChecksum}
	}
	return out, nil
}

// checksumParallel is how many files of a bucket Checksums hashes at once.
const checksumParallel = 4

// fileSHA256 returns the sha256 of f in hex, read through buf.
func fileSHA256(ctx context.Context, f File, buf []byte) (string, error) {
	r, err := f.open(ctx)
	if err != nil {
		return "", err
	}
	defer r.Close()
	h := sha256.New()
	for off := int64(0); off < r.Size(); {
		n, err := r.ReadAt(buf[:min(int64(len(buf)), r.Size()-off)], off)
		h.Write(buf[:n])
		off += int64(n)
		if err != nil && err != io.EOF {
			return "", err
		}
		if n == 0 {
			return "", fmt.Errorf("%s: %w", f.Path, io.ErrUnexpectedEOF)
		}
		if err := ctx.Err(); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Reattach binds files, made by Discover at root in another process and
// sent here encoded (gob carries a File's exported fields, not the store
// it was found in), to the store of root, so that reading them goes
// through the bucket as in the process that listed them: ranged reads,
// each object checked against its listed checksum when opened
// (File.StoreChecksum). root is the location Discover was given, a
// bucket URL with its query (the endpoint, the region): the store is
// this process's Shared one, opened once, with the credentials of the
// cloud's standard chain where this process runs. A local root needs
// nothing (File.Path is the file). A file that is not under root is an
// error.
func Reattach(ctx context.Context, root string, files []File) error {
	if !store.IsURL(root) {
		return nil
	}
	s, err := store.Shared(ctx, root)
	if err != nil {
		return fmt.Errorf("reopen %s: %w", root, err)
	}
	for i := range files {
		f := &files[i]
		if f.Path != s.URL(f.Rel) {
			return fmt.Errorf("reopen %s: %s is not %s of that dataset", s, f.Path, f.Rel)
		}
		f.store = s
	}
	return nil
}

// open opens f for random access: through the store that found it, or as
// a local file when f was made by hand.
func (f File) open(ctx context.Context) (*store.Reader, error) {
	if f.store != nil {
		return f.store.OpenListed(ctx, f.Rel, f.StoreChecksum)
	}
	return store.OpenFile(f.Path)
}

package output

import (
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"

	"churn/data"
	"churn/data/runs"
	"churn/data/store"
	"churn/internal/fsutil"
)

// Path names elem under the output location out, a folder or a bucket
// URL (shown without its query), for summaries and messages.
func Path(out string, elem ...string) string {
	if !store.IsURL(out) {
		return filepath.Join(append([]string{out}, elem...)...)
	}
	base, _, _ := strings.Cut(out, "?")
	return strings.TrimSuffix(base, "/") + "/" + path.Join(elem...)
}

// WriteToStore is runs.Write for a bucket URL out: the run folder is
// staged locally and published by the store's Pending: parts then
// manifest under a temporary prefix, copied into place, _SUCCESS last.
func WriteToStore(out string, cols []data.OutColumn, man *runs.Manifest, finish func()) error {
	if err := runs.CheckDate(man.AsOf); err != nil {
		return fmt.Errorf("write run: %w", err)
	}
	p, err := createStorePending(out, runs.Folder(man.AsOf))
	if err != nil {
		return fmt.Errorf("write %s: %w", runs.Folder(man.AsOf), err)
	}
	return runs.WriteTo(p, cols, man, finish)
}

// CreatePending makes the pending run folder of day under out, a folder
// (runs.CreatePending) or a bucket URL (staged locally and published by
// the store's Pending, as WriteToStore does), for part files that others
// write (the workers of a distributed run) before runs.CommitParts: into
// Dir for a folder; for a bucket, with WritePart into its Staging
// location (PartsLocation), which runs.CommitParts then finds.
func CreatePending(out, day string) (runs.Pending, error) {
	if !store.IsURL(out) {
		return runs.CreatePending(out, day)
	}
	if err := runs.CheckDate(day); err != nil {
		return nil, fmt.Errorf("write run: %w", err)
	}
	p, err := createStorePending(out, runs.Folder(day))
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", runs.Folder(day), err)
	}
	return p, nil
}

// PartsLocation is where the part files of p (of CreatePending) are
// written with WritePart: its folder, or the location of a bucket's
// temporary prefix, which a worker on another machine reaches.
func PartsLocation(p runs.Pending) string {
	if s, ok := p.(interface{ Staging() string }); ok {
		return s.Staging()
	}
	return p.Dir()
}

// WritePart writes the Parquet file name with cols into parts, a
// PartsLocation: a folder (WriteParquetFile), or a bucket's temporary
// prefix, uploaded whole from a local temporary file (store.PutStaged)
// that is then removed.
func WritePart(parts, name string, cols []data.OutColumn) error {
	if !store.IsURL(parts) {
		return WriteParquetFile(filepath.Join(parts, name), cols)
	}
	f, err := os.CreateTemp("", fsutil.TempPrefix+"part-*.parquet")
	if err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	f.Close()
	defer os.Remove(f.Name())
	if err := data.WriteParquet(f.Name(), cols, data.WriteOptions{}); err != nil {
		return fmt.Errorf("write %s: %w", name, err)
	}
	return store.PutStaged(context.Background(), parts, name, f.Name())
}

// CreateStorePending makes the pending folder name of the bucket URL loc
// (store.Pending), staged in a local folder and published by Commit, which
// then closes the store it opened.
func CreateStorePending(loc, name string) (runs.Pending, error) {
	p, err := createStorePending(loc, name)
	if err != nil {
		return nil, err
	}
	return p, nil
}

// storePending is a run folder staged locally and published to a bucket
// by Commit (store.Pending), with the store it opened.
type storePending struct {
	*store.Pending
	s      *store.Store
	closed bool
}

func createStorePending(out, name string) (*storePending, error) {
	ctx := context.Background()
	s, err := store.Open(ctx, out, store.Options{})
	if err != nil {
		return nil, err
	}
	p, err := s.CreatePending(ctx, name)
	if err != nil {
		s.Close()
		return nil, err
	}
	return &storePending{Pending: p, s: s}, nil
}

// Commit commits and, when that succeeds, closes the store; after a
// failed Commit, Abort still needs it to remove the uploads.
func (p *storePending) Commit() error {
	if err := p.Pending.Commit(); err != nil {
		return err
	}
	p.closed = true
	return p.s.Close()
}

// Abort aborts and closes the store; after a Commit that succeeded (which
// closed it), it does nothing.
func (p *storePending) Abort() error {
	if p.closed {
		return nil
	}
	p.closed = true
	defer p.s.Close()
	return p.Pending.Abort()
}

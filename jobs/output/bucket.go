package output

import (
	"context"
	"fmt"
	"path"
	"path/filepath"
	"strings"

	"churn/data"
	"churn/data/runs"
	"churn/data/store"
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

// storePending is a run folder staged locally and published to a bucket
// by Commit (store.Pending), with the store it opened.
type storePending struct {
	*store.Pending
	s *store.Store
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
	return &storePending{p, s}, nil
}

// Commit commits and, when that succeeds, closes the store; after a
// failed Commit, Abort still needs it to remove the uploads.
func (p *storePending) Commit() error {
	if err := p.Pending.Commit(); err != nil {
		return err
	}
	return p.s.Close()
}

func (p *storePending) Abort() error {
	defer p.s.Close()
	return p.Pending.Abort()
}

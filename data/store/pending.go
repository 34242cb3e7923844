package store

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// SuccessFile is the marker a finished output folder holds, written last.
const SuccessFile = "_SUCCESS"

// manifestFile is written after the parts and before SuccessFile.
const manifestFile = "manifest.json"

// Pending is an output folder name under a bucket being written: the
// caller writes its files into the local staging folder Dir, then Commit
// uploads them. A bucket has no atomic rename, so Commit orders the
// uploads instead: it first deletes name/_SUCCESS (readers stop trusting
// an earlier output of that name while its objects are replaced), then
// uploads the parts, then manifest.json, deletes the objects of an earlier
// output that the new one does not have, and uploads _SUCCESS last.
// Readers that trust only folders with _SUCCESS thus see the earlier
// output, or nothing, or the new one whole, never a mixture; a failed or
// killed commit leaves name without _SUCCESS until the next one succeeds.
type Pending struct {
	s    *Store
	ctx  context.Context
	name string
	dir  string
}

// CreatePending stages the output folder name of s in a local temporary
// folder.
func (s *Store) CreatePending(ctx context.Context, name string) (*Pending, error) {
	dir, err := os.MkdirTemp("", "churn-upload-")
	if err != nil {
		return nil, fmt.Errorf("stage %s: %w", s.URL(name), err)
	}
	return &Pending{s: s, ctx: ctx, name: name, dir: dir}, nil
}

// Dir is the local staging folder.
func (p *Pending) Dir() string { return p.dir }

// MarkSuccess does nothing: Commit uploads _SUCCESS last in any case, as
// it is the commit.
func (p *Pending) MarkSuccess() error { return nil }

// Commit uploads the staged folder in the order the type describes and
// removes the staging folder. On error, the staging folder is kept for
// Abort and name has no _SUCCESS.
func (p *Pending) Commit() error {
	var parts []string
	err := filepath.WalkDir(p.dir, func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, err := filepath.Rel(p.dir, path)
		if err != nil {
			return err
		}
		if rel = filepath.ToSlash(rel); rel != SuccessFile && rel != manifestFile {
			parts = append(parts, rel)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("stage %s: %w", p.s.URL(p.name), err)
	}
	sort.Strings(parts)
	key := func(rel string) string { return p.name + "/" + rel }
	if err := p.s.Delete(p.ctx, key(SuccessFile)); err != nil {
		return err
	}
	upload := append(parts, manifestFile)
	for _, rel := range upload {
		src := filepath.Join(p.dir, filepath.FromSlash(rel))
		if rel == manifestFile {
			if _, err := os.Stat(src); err != nil {
				continue // an output without a manifest
			}
		}
		if err := p.s.PutFile(p.ctx, key(rel), src); err != nil {
			return err
		}
	}
	old, err := p.s.List(p.ctx, p.name+"/")
	if err != nil {
		return err
	}
	keep := map[string]bool{}
	for _, rel := range upload {
		keep[key(rel)] = true
	}
	for _, o := range old {
		if !keep[o.Key] && !strings.HasSuffix(o.Key, "/"+SuccessFile) {
			if err := p.s.Delete(p.ctx, o.Key); err != nil {
				return err
			}
		}
	}
	if err := p.s.Put(p.ctx, key(SuccessFile), nil, false); err != nil {
		return err
	}
	return os.RemoveAll(p.dir)
}

// Abort removes the staging folder. What a failed Commit uploaded stays
// under name without _SUCCESS, which readers ignore; the next Commit of
// name replaces it.
func (p *Pending) Abort() error { return os.RemoveAll(p.dir) }

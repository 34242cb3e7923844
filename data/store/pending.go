package store

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gocloud.dev/blob"

	"churn/internal/fsutil"
)

// SuccessFile is the marker a finished output folder holds, written last.
const SuccessFile = "_SUCCESS"

// manifestFile is written after the parts and before SuccessFile.
const manifestFile = "manifest.json"

// Pending is an output folder name under a bucket being written: the
// caller writes its files into the local staging folder Dir, then Commit
// publishes them. A bucket has no atomic rename, so Commit orders its
// requests instead:
//
//  1. it uploads the parts, then manifest.json, under a temporary prefix
//     beside name (fsutil.TempPrefix + name + "-" + a random suffix; the
//     leading dot keeps it out of discovery and of the run readers), so
//     that the slow part changes nothing that readers see; parts that
//     other processes wrote straight under that prefix (PutStaged into
//     Staging: the workers of a distributed job) are taken with them;
//  2. it deletes name/_SUCCESS: readers stop trusting an earlier output
//     of that name while its objects are replaced;
//  3. it copies the parts, then the manifest, into name with server-side
//     copies, and deletes the objects of an earlier output that the new
//     one does not have;
//  4. it writes name/_SUCCESS last, then deletes the temporary prefix.
//
// Readers that trust only folders with _SUCCESS thus see the earlier
// output, or nothing (during step 3), or the new one whole, never a
// mixture. An upload that fails (step 1) leaves the earlier output as it
// was; a commit that fails later leaves name without _SUCCESS until the
// next one succeeds. The caller holds the output's lock: Commit also
// deletes what commits of name that were killed left under temporary
// prefixes.
type Pending struct {
	s       *Store
	ctx     context.Context
	name    string
	dir     string
	staging string   // the temporary prefix, ending in "/"
	staged  []string // the keys uploaded under it
	done    bool     // committed: Abort does nothing
}

// CreatePending stages the output folder name of s in a local temporary
// folder.
func (s *Store) CreatePending(ctx context.Context, name string) (*Pending, error) {
	dir, err := os.MkdirTemp("", "churn-upload-")
	if err != nil {
		return nil, fmt.Errorf("stage %s: %w", s.URL(name), err)
	}
	staging := fmt.Sprintf("%s%s-%016x/", fsutil.TempPrefix, name, rand.Uint64())
	return &Pending{s: s, ctx: ctx, name: name, dir: dir, staging: staging}, nil
}

// Dir is the local staging folder.
func (p *Pending) Dir() string { return p.dir }

// Staging is the location (Store.Location: a URL with the store's query)
// of the temporary prefix that Commit uploads to, for processes that
// write parts there themselves with PutStaged: a worker on another
// machine reaches the bucket, not the folder Dir. Commit publishes every
// object under it with the files of Dir.
func (p *Pending) Staging() string {
	return p.s.Location(strings.TrimSuffix(p.staging, "/"))
}

// PutStaged uploads the local file src as the object name under staging,
// the Staging of a Pending of any process, whole or not at all (PutFile),
// through this process's Store (Shared) of the location above staging,
// the output's, which every job writing there shares: a worker process
// that serves many jobs keeps one client per output, not one per job.
func PutStaged(ctx context.Context, staging, name, src string) error {
	parent, prefix, err := Parent(staging)
	if err != nil {
		return err
	}
	s, err := Shared(ctx, parent)
	if err != nil {
		return err
	}
	return s.PutFile(ctx, prefix+"/"+name, src)
}

// Staged reports whether the file name is staged for Commit: in Dir, or
// put under Staging by another process. An error that wraps
// fs.ErrNotExist names where it is missing.
func (p *Pending) Staged(name string) error {
	if _, err := os.Stat(filepath.Join(p.dir, filepath.FromSlash(name))); err == nil {
		return nil
	}
	ok, err := p.s.Exists(p.ctx, p.staging+name)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%s: %w", p.s.URL(p.staging+name), fs.ErrNotExist)
	}
	return nil
}

// MarkSuccess does nothing: Commit uploads _SUCCESS last in any case, as
// it is the commit.
func (p *Pending) MarkSuccess() error { return nil }

// Commit publishes the staged folder in the order the type describes and
// removes the local staging folder. On error, Abort removes what it
// uploaded under the temporary prefix.
func (p *Pending) Commit() error {
	var files []string
	err := filepath.WalkDir(p.dir, func(path string, e os.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, err := filepath.Rel(p.dir, path)
		if err != nil {
			return err
		}
		if rel = filepath.ToSlash(rel); rel != SuccessFile && rel != manifestFile {
			files = append(files, rel)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("stage %s: %w", p.s.URL(p.name), err)
	}
	sort.Strings(files)
	if _, err := os.Stat(filepath.Join(p.dir, manifestFile)); err == nil {
		files = append(files, manifestFile) // after the parts
	}
	// 1. Upload under the temporary prefix, beside what others put there.
	for _, rel := range files {
		key := p.staging + rel
		if err := p.s.PutFile(p.ctx, key, filepath.Join(p.dir, filepath.FromSlash(rel))); err != nil {
			return err
		}
		p.staged = append(p.staged, key)
	}
	if files, err = p.listStaged(); err != nil {
		return err
	}
	// 2. Readers stop trusting the earlier output.
	final := func(rel string) string { return p.name + "/" + rel }
	if err := p.s.Delete(p.ctx, final(SuccessFile)); err != nil {
		return err
	}
	// 3. Copy into place; drop what the new output does not have.
	keep := map[string]bool{}
	for _, rel := range files {
		if err := p.s.Copy(p.ctx, final(rel), p.staging+rel); err != nil {
			return err
		}
		keep[final(rel)] = true
	}
	old, err := p.s.List(p.ctx, p.name+"/")
	if err != nil {
		return err
	}
	for _, o := range old {
		if !keep[o.Key] && o.Key != final(SuccessFile) {
			if err := p.s.Delete(p.ctx, o.Key); err != nil {
				return err
			}
		}
	}
	// 4. The commit.
	if err := p.s.Put(p.ctx, final(SuccessFile), nil, false); err != nil {
		return err
	}
	// What is left under temporary prefixes of name, this commit's and
	// those of killed ones, no reader looks at: a failure to delete it is
	// no failure of the commit, and the next commit tries again.
	p.done = true
	p.removeStaging()
	return os.RemoveAll(p.dir)
}

// listStaged returns the names of the files under the temporary prefix,
// the parts sorted, then the manifest, and records their keys for Abort;
// a _SUCCESS put there is no part.
func (p *Pending) listStaged() ([]string, error) {
	objs, err := p.s.List(p.ctx, p.staging)
	if err != nil {
		return nil, err
	}
	var files []string
	manifest := false
	p.staged = p.staged[:0]
	for _, o := range objs {
		p.staged = append(p.staged, o.Key)
		switch rel := strings.TrimPrefix(o.Key, p.staging); rel {
		case manifestFile:
			manifest = true
		case SuccessFile:
		default:
			files = append(files, rel)
		}
	}
	sort.Strings(files)
	if manifest {
		files = append(files, manifestFile)
	}
	return files, nil
}

// removeStaging deletes, as far as it can, the objects under the
// temporary prefixes of name: this commit's and those killed commits left.
func (p *Pending) removeStaging() {
	for _, key := range p.staged {
		_ = p.s.Delete(p.ctx, key)
	}
	p.staged = nil
	prefix := fsutil.TempPrefix + p.name + "-"
	list := prefix // a bucket lists by any key prefix, a folder by folder
	if _, local := p.s.Local(); local {
		list = ""
	}
	stale, err := p.s.List(p.ctx, list)
	if err != nil {
		return
	}
	for _, o := range stale {
		if strings.HasPrefix(o.Key, prefix) {
			_ = p.s.Delete(p.ctx, o.Key)
		}
	}
}

// abortWait bounds the requests of an Abort, which also runs after the
// job's context is cancelled (a scheduler's SIGTERM): the process must end
// within the scheduler's grace period even when the store no longer
// answers. What an Abort cut short leaves under the temporary prefix is
// invisible to readers, and the next Commit of the name removes it.
var abortWait = 10 * time.Second

// Abort removes the local staging folder and what is under the
// temporary prefix: Commit's uploads and the parts others put there,
// giving up on the store after abortWait.
// What a Commit that failed after its uploads copied stays under name
// without _SUCCESS, which readers ignore; the next Commit of name
// replaces it. After a Commit that succeeded, Abort does nothing.
func (p *Pending) Abort() error {
	if p.done {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(p.ctx), abortWait)
	defer cancel()
	keys := p.staged
	if objs, err := p.s.List(ctx, p.staging); err == nil {
		for _, o := range objs {
			keys = append(keys, o.Key)
		}
	}
	for _, key := range keys {
		_ = p.s.Delete(ctx, key)
	}
	p.staged = nil
	return os.RemoveAll(p.dir)
}

// Copy copies the object src to dst within the store, on a bucket with a
// server-side copy (nothing passes through this process); dst appears
// whole or not at all.
func (s *Store) Copy(ctx context.Context, dst, src string) error {
	if s.bucket == nil {
		b, err := os.ReadFile(s.URL(src))
		if err != nil {
			return err
		}
		return putLocal(s.URL(dst), b, false)
	}
	err := s.do(ctx, func() error { return s.bucket.Copy(ctx, dst, src, &blob.CopyOptions{}) })
	if err != nil {
		return s.fail("copy "+s.URL(src)+" to", dst, err)
	}
	return nil
}

package synth

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"churn/data"
	"churn/internal/fsutil"
)

// PartName returns the file name of a shard inside each table folder.
func PartName(shard int) string {
	return fmt.Sprintf("part-%05d.parquet", shard)
}

// GenerateShard writes shard of cfg as outDir/<table>/part-<shard>.parquet
// for the six tables, each file's rows sorted by time. A shard's files
// depend only on cfg and shard, so shards may run in any order or in
// parallel. Each file is written beside its final name and renamed when
// complete; on error no file of the shard is left behind.
func GenerateShard(ctx context.Context, cfg Config, shard int, outDir string) (Stats, error) {
	if err := cfg.Validate(); err != nil {
		return Stats{}, err
	}
	if n := Shards(cfg); shard < 0 || shard >= n {
		return Stats{}, fmt.Errorf("shard %d: must be in 0..%d", shard, n-1)
	}
	w := &shardFiles{dir: outDir, name: PartName(shard)}
	out := sinks{
		customers: writerFor[data.Customer](w, data.Customers),
		sessions:  writerFor[data.Session](w, data.Sessions),
		events:    writerFor[data.Event](w, data.Events),
		tickets:   writerFor[data.Ticket](w, data.Tickets),
		surveys:   writerFor[data.Survey](w, data.Surveys),
		orders:    writerFor[data.Order](w, data.Orders),
	}
	if cfg.Rename != 0 {
		out = renamed(out, cfg.Rename)
	}
	st, err := simulate(ctx, cfg, shard, out)
	if err == nil {
		err = w.commit()
	}
	if err != nil {
		w.abort()
		return Stats{}, fmt.Errorf("generate shard %d: %w", shard, err)
	}
	return st, nil
}

// Generate writes every shard of cfg into outDir, one after the other, and
// returns the merged Stats.
func Generate(ctx context.Context, cfg Config, outDir string) (Stats, error) {
	if err := cfg.Validate(); err != nil {
		return Stats{}, err
	}
	var total Stats
	for s := 0; s < Shards(cfg); s++ {
		st, err := GenerateShard(ctx, cfg, s, outDir)
		if err != nil {
			return Stats{}, err
		}
		total.Add(st)
	}
	return total, nil
}

// shardFiles tracks the six open part files of a shard.
type shardFiles struct {
	dir, name string
	ensure    []func() error // open a table's file if not yet open
	open      []interface{ Close() error }
	// tmp are the temporary paths (fsutil.TempPath: a leading dot, which
	// data.Discover skips) of the files in final, in opening order.
	tmp, final []string
}

// commit opens the files of tables without rows, closes every file and
// renames each to its final name.
func (w *shardFiles) commit() error {
	for _, f := range w.ensure {
		if err := f(); err != nil {
			return err
		}
	}
	var errs []error
	for _, f := range w.open {
		errs = append(errs, f.Close())
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for i, p := range w.tmp {
		if err := fsutil.Rename(p, w.final[i]); err != nil {
			return err
		}
	}
	return nil
}

// abort closes every file and removes the temporary ones. Files already
// renamed by a failed commit are removed too, so a shard is all or nothing.
func (w *shardFiles) abort() {
	for _, f := range w.open {
		_ = f.Close() // the write already failed; its error is the one reported
	}
	for i, p := range w.tmp {
		_ = os.Remove(p)
		_ = os.Remove(w.final[i])
	}
}

// writerFor returns a sink that opens the table's file on first use, so
// every table gets a file even when it has no rows (commit opens the rest).
func writerFor[T data.Row](w *shardFiles, t data.Table) func([]T) error {
	var tw *data.TableWriter[T]
	path := filepath.Join(w.dir, string(t), w.name)
	open := func() error {
		if tw != nil {
			return nil
		}
		var err error
		tmp := fsutil.TempPath(path)
		tw, err = data.NewTableWriter[T](tmp, data.WriteOptions{})
		if err != nil {
			return err
		}
		w.open = append(w.open, tw)
		w.tmp, w.final = append(w.tmp, tmp), append(w.final, path)
		return nil
	}
	w.ensure = append(w.ensure, open)
	return func(rows []T) error {
		if err := open(); err != nil {
			return err
		}
		return tw.Write(rows)
	}
}

// renamed wraps the sinks so that names are written as tokens (see
// Config.Rename).
func renamed(out sinks, seed uint64) sinks {
	tok := func(name string) string {
		if name == "" {
			return ""
		}
		h := splitmix64(seed)
		for i := 0; i < len(name); i++ {
			h = splitmix64(h ^ uint64(name[i]))
		}
		return fmt.Sprintf("n%012x", h>>16)
	}
	cache := map[string]string{}
	var mu sync.Mutex
	name := func(s string) string {
		mu.Lock()
		defer mu.Unlock()
		t, ok := cache[s]
		if !ok {
			t = tok(s)
			cache[s] = t
		}
		return t
	}
	wrap := out
	wrap.customers = func(rows []data.Customer) error {
		for i := range rows {
			rows[i].Plan, rows[i].Region, rows[i].Channel = name(rows[i].Plan), name(rows[i].Region), name(rows[i].Channel)
		}
		return out.customers(rows)
	}
	wrap.sessions = func(rows []data.Session) error {
		for i := range rows {
			rows[i].Channel = name(rows[i].Channel)
		}
		return out.sessions(rows)
	}
	wrap.events = func(rows []data.Event) error {
		for i := range rows {
			rows[i].Event = name(rows[i].Event)
		}
		return out.events(rows)
	}
	wrap.tickets = func(rows []data.Ticket) error {
		for i := range rows {
			rows[i].Channel = name(rows[i].Channel)
		}
		return out.tickets(rows)
	}
	return wrap
}

package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"churn/data"
	"churn/features"
	"churn/jobs/ingest"
)

// catalogSource says where a read takes the features catalog from: the
// one stored with a model (scoring), or learned from the event rows
// before until (training, `churn features`); until 0 means the read's
// latest cutoff.
type catalogSource struct {
	fixed *features.Catalog
	until int64
}

// catalogKey is where a model version's meta keeps the catalog it was
// trained with.
const catalogKey = "feature_catalog"

// catalogOf returns the catalog stored in a model's meta; ok is false for
// a model trained before catalogs existed.
func catalogOf(extra map[string]any) (*features.Catalog, bool, error) {
	v, ok := extra[catalogKey]
	if !ok || v == nil {
		return nil, false, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, false, fmt.Errorf("model catalog: %w", err)
	}
	var c features.Catalog
	if err := json.Unmarshal(b, &c); err != nil {
		return nil, false, fmt.Errorf("model catalog: %w", err)
	}
	return &c, true, nil
}

// readExtras hands the extra columns of the customers files to b, before
// Freeze: every column beyond the contract's, or those
// features.attributes lists.
func readExtras(ctx context.Context, cfg *Config, b *features.Builder, files []data.File) error {
	for _, f := range files {
		names, err := data.ExtraColumns(f, cfg.Mapping)
		if err != nil {
			return err
		}
		if want := cfg.Features.Attributes; want != nil {
			names = slices.DeleteFunc(names, func(n string) bool { return !slices.Contains(want, n) })
		}
		if len(names) == 0 {
			continue
		}
		err = data.ReadExtras(ctx, f, cfg.Mapping, names, func(ids []string, values [][]string) error {
			b.AddExtras(names, ids, values)
			return nil
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// learnCatalog sets b's catalog: src.fixed when given, else the one an
// EventProfile of the event files learns, with the attributes b learned
// at Freeze. The profile reads the event files once more (but for their
// quantities, which it does not use), by cfg.Workers goroutines. When an
// event name fires on nearly every day (features.EventProfile.
// NeedsSessions), only the sessions can tell a heartbeat from an action
// used daily: the catalog then waits for them, and learnCatalog returns
// it pending, for the main pass to profile the sessions as it folds them,
// before any event row (see pendingCatalog). Otherwise it returns nil.
func learnCatalog(ctx context.Context, cfg *Config, b *features.Builder, files []data.File, opt data.ReadOptions, src catalogSource, until int64, log zerolog.Logger) (*pendingCatalog, error) {
	if src.fixed != nil {
		b.SetCatalog(*src.fixed)
		return nil, nil
	}
	if src.until != 0 {
		until = src.until
	}
	b.ChannelsUntil(until)
	var events []data.File
	sessions := false
	for _, f := range files {
		switch f.Table {
		case data.Events:
			events = append(events, f)
		case data.Sessions:
			sessions = true
		}
	}
	if len(events) == 0 {
		b.SetCatalog(b.Catalog())
		return nil, nil
	}
	start := time.Now()
	workers := min(max(cfg.Workers, 1), len(events))
	profiles := make([]*features.EventProfile, workers)
	next := make(chan data.File)
	g, gctx := errgroup.WithContext(ctx)
	for w := range profiles {
		p := b.NewEventProfile(until)
		profiles[w] = p
		g.Go(func() error {
			for f := range next {
				_, err := data.ReadEventKeys(gctx, f, opt, b.Index, func(c *data.EventColumns, idx []int32) error {
					p.AddEvents(c, idx)
					return nil
				})
				if err != nil && !optionalFile(cfg, f) {
					return err
				}
			}
			return nil
		})
	}
	g.Go(func() error { return ingest.Feed(gctx, next, events) })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, p := range profiles[1:] {
		profiles[0].Merge(p)
	}
	pc := &pendingCatalog{cfg: cfg, b: b, events: profiles[0], until: until, start: start, log: log}
	if sessions && profiles[0].NeedsSessions() {
		return pc, nil
	}
	return nil, pc.finish(nil)
}

// pendingCatalog is a catalog whose event profile waits for the sessions.
// The main pass folds the sessions (and the other tables but the events)
// first, handing each batch of sessions to the profile of its reader
// (sessions); finish then learns the catalog and gives it to b and its
// shards, before they fold any event row. The profile sees the same rows
// as a read of the sessions of its own would, in another order, which
// its merges do not see: the catalog is the same.
type pendingCatalog struct {
	cfg      *Config
	b        *features.Builder
	events   *features.EventProfile
	sessions []*features.EventProfile // one per reader of the main pass
	until    int64
	start    time.Time
	log      zerolog.Logger
}

// readers gives n readers a profile of the sessions each; reader k hands
// its batches to addSessions(k, ...).
func (pc *pendingCatalog) readers(n int) {
	pc.sessions = make([]*features.EventProfile, n)
	for k := range pc.sessions {
		pc.sessions[k] = pc.b.NewEventProfile(pc.until)
	}
}

// addSessions profiles a batch of sessions read by reader k.
func (pc *pendingCatalog) addSessions(k int, c *data.SessionColumns, idx []int32) {
	pc.sessions[k].AddSessions(c, idx)
}

// finish learns the catalog from the events and the sessions profiled,
// and sets it on b and on shards, made by b.Shards before it.
func (pc *pendingCatalog) finish(shards []*features.Builder) error {
	p := pc.events
	for _, s := range pc.sessions {
		p.Merge(s)
	}
	cat := pc.b.CatalogWith(p.Catalog(pc.cfg.Features.EventVocab))
	pc.b.SetCatalog(cat)
	if shards != nil {
		if err := pc.b.ShareCatalog(shards); err != nil {
			return fmt.Errorf("features catalog: %w", err)
		}
	}
	pc.log.Info().Int("event_names", p.Names()).Int("event_mix", len(cat.Events)).Strs("automated_events", cat.Automated).
		Int("attributes", len(cat.Attributes)).Int64("duration_ms", time.Since(pc.start).Milliseconds()).Msg("features catalog learned")
	return nil
}

// readSessions profiles the sessions among files by a read of their own,
// by cfg.Workers goroutines, then finishes the catalog: for a caller that
// needs the catalog before it folds anything (a distributed plan).
func (pc *pendingCatalog) readSessions(ctx context.Context, files []data.File, opt data.ReadOptions) error {
	var sessions []data.File
	for _, f := range files {
		if f.Table == data.Sessions {
			sessions = append(sessions, f)
		}
	}
	pc.readers(min(max(pc.cfg.Workers, 1), max(len(sessions), 1)))
	next := make(chan data.File)
	g, gctx := errgroup.WithContext(ctx)
	for k := range pc.sessions {
		g.Go(func() error {
			for f := range next {
				_, err := data.ReadKeyedColumns(gctx, f, opt, pc.b.Index, func(c *data.SessionColumns, idx []int32) error {
					pc.addSessions(k, c, idx)
					return nil
				})
				if err != nil && !optionalFile(pc.cfg, f) {
					return err
				}
			}
			return nil
		})
	}
	g.Go(func() error { return ingest.Feed(gctx, next, sessions) })
	if err := g.Wait(); err != nil {
		return err
	}
	return pc.finish(nil)
}

package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
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
	// readAll has the profile read every event file before the fold, never
	// a sample (see learnCatalog): the tests hold the two paths equal.
	readAll bool
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
//
// With onePass, a caller that folds every file itself (loadBuilder) has
// the profile read a sample of the event files alone (sampleEvents), when
// there are several, and takes the catalog pending as a guess: its main
// pass folds the events under the catalog the sample learns, profiles
// every event row as it folds it, and finishes with the catalog that
// profile learns, the one a read of every event file gives (see
// pendingCatalog.verify).
func learnCatalog(ctx context.Context, cfg *Config, b *features.Builder, files []data.File, opt data.ReadOptions, src catalogSource, until int64, onePass bool, log zerolog.Logger) (*pendingCatalog, error) {
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
	read := events
	if onePass && !src.readAll {
		read = sampleEvents(events)
	}
	p, err := readEventProfile(ctx, cfg, b, read, opt, until)
	if err != nil {
		return nil, err
	}
	pc := &pendingCatalog{cfg: cfg, b: b, events: p, until: until, start: start, log: log}
	if len(read) < len(events) {
		pc.sampled = len(read)
		return pc, nil
	}
	if sessions && p.NeedsSessions() {
		return pc, nil
	}
	return nil, pc.finish(nil)
}

// sampleEvents returns the event files whose profile guesses the
// catalog of a one-pass read: one in sampleEvery, at least one, spread
// evenly over files in their order. A dataset split by customer (as the
// generator and most exports shard it) gives every sampled customer's
// whole history, from which the ranks and the automated names come out
// as from every file.
func sampleEvents(files []data.File) []data.File {
	n := max(1, len(files)/sampleEvery)
	out := make([]data.File, n)
	for j := range out {
		out[j] = files[(2*j+1)*len(files)/(2*n)]
	}
	return out
}

// sampleEvery: a one-pass read guesses the catalog from one event file in
// sampleEvery.
const sampleEvery = 10

// readEventProfile profiles the event files by cfg.Workers goroutines.
func readEventProfile(ctx context.Context, cfg *Config, b *features.Builder, files []data.File, opt data.ReadOptions, until int64) (*features.EventProfile, error) {
	workers := min(max(cfg.Workers, 1), len(files))
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
					return inputError(err)
				}
			}
			return nil
		})
	}
	g.Go(func() error { return ingest.Feed(gctx, next, files) })
	if err := g.Wait(); err != nil {
		return nil, err
	}
	for _, p := range profiles[1:] {
		profiles[0].Merge(p)
	}
	return profiles[0], nil
}

// pendingCatalog is a catalog whose event profile waits for the sessions,
// or, sampled, for every event row.
//
// Waiting for the sessions, the main pass folds the sessions (and the
// other tables but the events) first, handing each batch of sessions to
// the profile of its reader (sessions); finish then learns the catalog and
// gives it to b and its shards, before they fold any event row. The
// profile sees the same rows as a read of the sessions of its own would,
// in another order, which its merges do not see: the catalog is the same.
//
// Sampled (events profiles the sample files alone), the main pass also
// folds every table but the events first, profiling the sessions; finish
// gives b and its shards the catalog the sample and the sessions learn,
// as a guess; the shards fold the events under it while their readers
// profile every event row (full); verify then learns the catalog from
// those and the sessions, and hands it to features.Builder.Recatalog,
// which keeps the fold when it folds every name as the guess did (the
// ranks moved where they differ), or asks for the events to be folded
// again. Either way the shards end with the fold of the learned catalog,
// and that catalog is the one learnCatalog learns from every event file:
// the same rows are profiled, and the sessions, which it would not
// profile when no name passes the cadence test, decide nothing then.
type pendingCatalog struct {
	cfg      *Config
	b        *features.Builder
	events   *features.EventProfile
	sessions []*features.EventProfile // one per reader of the main pass
	until    int64
	start    time.Time
	log      zerolog.Logger

	sampled int                      // event files profiled in events; 0: every one
	sess    *features.EventProfile   // the sessions profiled, merged (sampled)
	full    []*features.EventProfile // every event row, one per reader of the main pass (sampled)
	guess   features.Catalog         // the catalog the shards fold the events under (sampled)
	mark    *features.EventsMark     // the shards before their first event row (sampled)
}

// readers gives n readers a profile of the sessions each; reader k hands
// its batches to addSessions(k, ...).
func (pc *pendingCatalog) readers(n int) { pc.sessions = pc.profiles(n) }

// addSessions profiles a batch of sessions read by reader k.
func (pc *pendingCatalog) addSessions(k int, c *data.SessionColumns, idx []int32) {
	pc.sessions[k].AddSessions(c, idx)
}

// eventReaders gives n readers of the events a profile each; reader k
// hands its batches to addEvents(k, ...).
func (pc *pendingCatalog) eventReaders(n int) { pc.full = pc.profiles(n) }

// profiles returns n empty profiles of the rows before the catalog's
// cutoff.
func (pc *pendingCatalog) profiles(n int) []*features.EventProfile {
	ps := make([]*features.EventProfile, n)
	for k := range ps {
		ps[k] = pc.b.NewEventProfile(pc.until)
	}
	return ps
}

// addEvents profiles a batch of events read by reader k.
func (pc *pendingCatalog) addEvents(k int, c *data.EventColumns, idx []int32) {
	pc.full[k].AddEvents(c, idx)
}

// finish learns the catalog from the events and the sessions profiled,
// and sets it on b and on shards, made by b.Shards before it: the
// catalog, or a sampled one's guess.
func (pc *pendingCatalog) finish(shards []*features.Builder) error {
	p := pc.events
	if pc.sampled > 0 {
		// The merged sessions join the sample's profile here and the
		// full profile in verify. Merge hands a profile's day sets to the
		// one it merges into; neither changes them afterwards.
		pc.sess = pc.b.NewEventProfile(pc.until)
		for _, s := range pc.sessions {
			pc.sess.Merge(s)
		}
		p.Merge(pc.sess)
		pc.guess = pc.b.CatalogWith(p.Catalog(pc.cfg.Features.EventVocab))
		pc.b.SetCatalog(pc.guess)
		if err := pc.b.ShareCatalog(shards); err != nil {
			return fmt.Errorf("features catalog: %w", err)
		}
		mark, err := pc.b.MarkEvents(shards)
		if err != nil {
			return fmt.Errorf("features catalog: %w", err)
		}
		pc.mark = mark
		return nil
	}
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
	pc.logLearned(p, cat, "")
	return nil
}

// verify learns a sampled catalog from every event row and the sessions,
// and sets it on b and the shards given to finish (Recatalog); refold says
// that the shards went back to their state before the events, which must
// be folded again.
func (pc *pendingCatalog) verify() (refold bool, err error) {
	p := pc.full[0]
	for _, o := range pc.full[1:] {
		p.Merge(o)
	}
	p.Merge(pc.sess)
	cat := pc.b.CatalogWith(p.Catalog(pc.cfg.Features.EventVocab))
	refold, err = pc.b.Recatalog(pc.mark, cat)
	if err != nil {
		return false, fmt.Errorf("features catalog: %w", err)
	}
	guess := "kept"
	switch {
	case refold:
		guess = "events folded again"
	case !reflect.DeepEqual(cat, pc.guess):
		guess = "ranks moved"
	}
	pc.logLearned(p, cat, guess)
	return refold, nil
}

// logLearned logs the catalog learned from p; guess says what became of a
// sampled catalog's guess.
func (pc *pendingCatalog) logLearned(p *features.EventProfile, cat features.Catalog, guess string) {
	ev := pc.log.Info().Int("event_names", p.Names()).Int("event_mix", len(cat.Events)).Strs("automated_events", cat.Automated).
		Int("attributes", len(cat.Attributes))
	if pc.sampled > 0 {
		ev = ev.Int("sampled_event_files", pc.sampled).Str("guess", guess)
	}
	ev.Int64("duration_ms", time.Since(pc.start).Milliseconds()).Msg("features catalog learned")
	if n := p.Untracked(); n > 0 {
		pc.log.Warn().Int("event_names_tracked", p.Names()).Int64("untracked_event_rows", n).
			Msg("more distinct event names than the catalogue tracks: it is learned from the names read first, so the event mix and the automated events may differ between runs; name the core actions with features.core_events")
	}
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
					return inputError(err)
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

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
// quantities, which it does not use), by cfg.Workers goroutines, and the
// sessions files too when an event name fires on nearly every day
// (features.EventProfile.NeedsSessions).
func learnCatalog(ctx context.Context, cfg *Config, b *features.Builder, files []data.File, opt data.ReadOptions, src catalogSource, until int64, log zerolog.Logger) error {
	if src.fixed != nil {
		b.SetCatalog(*src.fixed)
		return nil
	}
	if src.until != 0 {
		until = src.until
	}
	b.ChannelsUntil(until)
	var events []data.File
	for _, f := range files {
		if f.Table == data.Events {
			events = append(events, f)
		}
	}
	if len(events) == 0 {
		b.SetCatalog(b.Catalog())
		return nil
	}
	start := time.Now()
	profile := func(files []data.File, add func(ctx context.Context, p *features.EventProfile, f data.File) error) ([]*features.EventProfile, error) {
		workers := min(max(cfg.Workers, 1), len(files))
		profiles := make([]*features.EventProfile, workers)
		next := make(chan data.File)
		g, gctx := errgroup.WithContext(ctx)
		for w := range profiles {
			p := b.NewEventProfile(until)
			profiles[w] = p
			g.Go(func() error {
				for f := range next {
					if err := add(gctx, p, f); err != nil && !optionalFile(cfg, f) {
						return err
					}
				}
				return nil
			})
		}
		g.Go(func() error {
			defer close(next)
			for _, f := range files {
				select {
				case next <- f:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
		if err := g.Wait(); err != nil {
			return nil, err
		}
		for _, p := range profiles[1:] {
			profiles[0].Merge(p)
		}
		return profiles, nil
	}
	profiles, err := profile(events, func(ctx context.Context, p *features.EventProfile, f data.File) error {
		_, err := data.ReadEventKeys(ctx, f, opt, b.Index, func(c *data.EventColumns, idx []int32) error {
			p.AddEvents(c, idx)
			return nil
		})
		return err
	})
	if err != nil {
		return err
	}
	// A name that fires on nearly every day may be a heartbeat or an action
	// used daily: only then are the sessions read, to tell them apart.
	var sessions []data.File
	for _, f := range files {
		if f.Table == data.Sessions {
			sessions = append(sessions, f)
		}
	}
	if len(sessions) > 0 && profiles[0].NeedsSessions() {
		sp, err := profile(sessions, func(ctx context.Context, p *features.EventProfile, f data.File) error {
			_, err := data.ReadKeyedColumns(ctx, f, opt, b.Index, func(c *data.SessionColumns, idx []int32) error {
				p.AddSessions(c, idx)
				return nil
			})
			return err
		})
		if err != nil {
			return err
		}
		profiles[0].Merge(sp[0])
	}
	cat := b.CatalogWith(profiles[0].Catalog(cfg.Features.EventVocab))
	b.SetCatalog(cat)
	log.Info().Int("event_names", profiles[0].Names()).Int("event_mix", len(cat.Events)).Strs("automated_events", cat.Automated).
		Int("attributes", len(cat.Attributes)).Int64("duration_ms", time.Since(start).Milliseconds()).Msg("features catalog learned")
	return nil
}

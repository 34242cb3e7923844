package jobs

import (
	"context"
	"fmt"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"churn/data/synth"
)

// GenerateOptions are the flags of `churn generate`.
type GenerateOptions struct {
	Customers int
	Days      int
	End       time.Time
	Seed      int64
	Out       string
	Workers   int // shards generated at once; 0 = the number of CPUs
	// AutomatedEvent and Rename: see synth.Config.
	AutomatedEvent bool
	Rename         uint64
}

// GenerateSummary is what `churn generate` reports.
type GenerateSummary struct {
	Out        string       `json:"out"`
	Shards     int          `json:"shards"`
	Customers  int64        `json:"customers"`
	Churned    int64        `json:"churned"`
	Tables     []TableCount `json:"tables"`
	DurationMS int64        `json:"duration_ms"`
}

// TableCount is the rows written to one table.
type TableCount struct {
	Table string `json:"table"`
	Rows  int64  `json:"rows"`
}

// Generate writes a synthetic dataset, shards of customers in parallel.
// Each shard's files depend on the seed and the shard alone, so the output
// is byte-identical whatever the number of workers.
func Generate(ctx context.Context, env Env, o GenerateOptions) (*GenerateSummary, error) {
	began := time.Now()
	log := env.Log.With().Str("command", "generate").Logger()
	cfg := synth.DefaultConfig()
	cfg.Customers, cfg.Days, cfg.End, cfg.Seed = o.Customers, o.Days, o.End, o.Seed
	cfg.AutomatedEvent, cfg.Rename = o.AutomatedEvent, o.Rename
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrInvalidInput, err)
	}
	workers := o.Workers
	if workers <= 0 {
		workers = DefaultConfig().Workers
	}
	shards := synth.Shards(cfg)
	var mu sync.Mutex
	var total synth.Stats
	done := 0
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	for s := range shards {
		g.Go(func() error {
			st, err := synth.GenerateShard(gctx, cfg, s, o.Out)
			if err != nil {
				return fmt.Errorf("shard %d: %w", s, err)
			}
			mu.Lock()
			defer mu.Unlock()
			total.Add(st)
			done++
			log.Info().Int("shard", s).Int("shards_done", done).Int("shards", shards).
				Int64("rows_written", total.Rows()).Int64("duration_ms", time.Since(began).Milliseconds()).
				Msg("shard written")
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	sum := &GenerateSummary{
		Out: o.Out, Shards: shards, Customers: total.Customers, Churned: total.Churned,
		Tables: []TableCount{
			{"customers", total.Customers}, {"sessions", total.Sessions}, {"events", total.Events},
			{"tickets", total.Tickets}, {"surveys", total.Surveys}, {"orders", total.Orders},
		},
		DurationMS: time.Since(began).Milliseconds(),
	}
	log.Info().Int64("rows_written", total.Rows()).Int64("duration_ms", sum.DurationMS).Msg("dataset generated")
	return sum, nil
}

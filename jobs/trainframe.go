package jobs

import (
	"context"
	"runtime"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"churn/data"
	"churn/features"
	"churn/jobs/trainset"
)

// trainingFrame builds the labelled rows of every cutoff, reading the
// histories once for the cutoffs the cache does not hold (load, as
// loadLabelled). It returns them with the number of rows each cutoff has
// in all, labelled or not, and the number of cutoffs the cache gave.
func trainingFrame(load func(cutoffs []int64) (*loaded, []int, error), cache *trainset.Cache, cutoffs []int64) (*loaded, []int, int, error) {
	frames := make([]*features.Frame, len(cutoffs))
	built := make([]int, len(cutoffs))
	var missing []int64
	var stats *loaded
	for k, c := range cutoffs {
		e, ok := cache.Load(c)
		if !ok {
			missing = append(missing, c)
			continue
		}
		frames[k], built[k] = e.Frame, e.Built
		if stats == nil {
			stats = &loaded{Inputs: e.Inputs, Rows: e.Rows, Skipped: e.Skipped, Cleaned: e.Cleaned}
		}
	}
	cached := len(cutoffs) - len(missing)
	if len(missing) > 0 {
		ld, counts, err := load(missing)
		if err != nil {
			return nil, nil, cached, err
		}
		stats = ld
		// The cache entries and the frames of the missing cutoffs share
		// ld's matrix, which may lie off the heap (loadLabelled).
		defer runtime.KeepAlive(ld.Frame)
		// The entries are written at the same time: a write spends much
		// of its time waiting for the disk (the file's fsync), which the
		// others' encoding fills. The first failure in cutoff order is
		// the one reported.
		m := 0
		errs := make([]error, len(cutoffs))
		var g errgroup.Group
		g.SetLimit(cacheWriters)
		for k, c := range cutoffs {
			if frames[k] != nil {
				continue
			}
			built[k] = counts[m]
			m++
			sub := trainset.CutoffRows(ld.Frame, c)
			e := &trainset.Entry{Frame: sub, Built: built[k], Inputs: ld.Inputs, Rows: ld.Rows, Skipped: ld.Skipped, Cleaned: ld.Cleaned}
			g.Go(func() error {
				errs[k] = cache.Store(c, e)
				return nil
			})
			if cached > 0 {
				frames[k] = sub
			}
		}
		g.Wait()
		for _, err := range errs {
			if err != nil {
				return nil, nil, cached, err
			}
		}
		if cached == 0 {
			// Built whole, in cutoff order: the frame needs no copy. The
			// entries above were written one at a time and let go.
			return ld, built, 0, nil
		}
	}
	f, err := trainset.ConcatFrames(frames)
	if err != nil {
		return nil, nil, cached, err
	}
	out := *stats
	out.Frame = f
	out.Present = map[data.Table]bool{}
	for _, in := range out.Inputs {
		out.Present[in.Table] = true
	}
	return &out, built, cached, nil
}

// cacheWriters bounds the feature cache entries written at once: two
// keep the disk busy while one encodes, and more hold more encoded heads
// in memory at once.
const cacheWriters = 2

// loadLabelled is loadFrame for training: it builds the rows that have a
// label alone (features.Builder.BuildLabelled), the only ones training
// uses, and returns with them the number of rows each cutoff has in all
// (features.Builder.CustomersAt). beforeBuild runs once the histories are
// folded, before the frame is built. The frame's matrix lies off the heap
// (features.Builder.PlanBuildMapped): the caller keeps the frame reachable
// while it uses the matrix.
func loadLabelled(ctx context.Context, cfg *Config, env *Env, ds *data.Dataset, cutoffs []int64, dataEnd int64, log zerolog.Logger, beforeBuild func()) (*loaded, []int, error) {
	start := time.Now()
	res, b, err := loadBuilder(ctx, cfg, env, ds, cutoffs, dataEnd, log)
	if err != nil {
		return nil, nil, err
	}
	beforeBuild()
	frame, err := buildFrame(ctx, b, res.Present, true, true, cfg.Workers)
	if err != nil {
		return nil, nil, err
	}
	counts := make([]int, len(cutoffs))
	for k := range cutoffs {
		counts[k] = b.CustomersAt(k)
	}
	res.Frame = frame
	logBuilt(log, len(res.Inputs), frame.Rows(), frame, start)
	return res, counts, nil
}

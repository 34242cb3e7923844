package jobs

import (
	"churn/data"
	"churn/features"
	"churn/jobs/trainset"
)

// trainingFrame builds the labelled rows of every cutoff, reading the
// histories once for the cutoffs the cache does not hold.
func trainingFrame(ctxLoad func(cutoffs []int64) (*loaded, error), cache *trainset.Cache, cutoffs []int64) (*loaded, int, error) {
	frames := make([]*features.Frame, len(cutoffs))
	var missing []int64
	var stats *loaded
	for k, c := range cutoffs {
		e, ok := cache.Load(c)
		if !ok {
			missing = append(missing, c)
			continue
		}
		frames[k] = e.Frame
		if stats == nil {
			stats = &loaded{Inputs: e.Inputs, Rows: e.Rows, Skipped: e.Skipped, Cleaned: e.Cleaned}
		}
	}
	cached := len(cutoffs) - len(missing)
	if len(missing) > 0 {
		ld, err := ctxLoad(missing)
		if err != nil {
			return nil, cached, err
		}
		stats = ld
		for k, c := range cutoffs {
			if frames[k] != nil {
				continue
			}
			sub := trainset.CutoffRows(ld.Frame, c)
			e := &trainset.Entry{Frame: sub, Inputs: ld.Inputs, Rows: ld.Rows, Skipped: ld.Skipped, Cleaned: ld.Cleaned}
			if err := cache.Store(c, e); err != nil {
				return nil, cached, err
			}
			if cached > 0 {
				frames[k] = sub
			}
		}
		if cached == 0 {
			// Built whole, in cutoff order: the frame needs no copy. The
			// entries above were written one at a time and let go.
			return ld, 0, nil
		}
	}
	f, err := trainset.ConcatFrames(frames)
	if err != nil {
		return nil, cached, err
	}
	out := *stats
	out.Frame = f
	out.Present = map[data.Table]bool{}
	for _, in := range out.Inputs {
		out.Present[in.Table] = true
	}
	return &out, cached, nil
}

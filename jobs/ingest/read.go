package ingest

import (
	"context"
	"sync"

	"churn/data"
	"churn/features"
)

// ReadStats is what ReadInto read from one file: the reader's counts, and
// the rows whose customer is not in the index.
type ReadStats struct {
	Stats   data.FileStats
	Unknown int64
}

// FoldJob is one batch for one shard; the shard calls wg.Done when it has
// folded it.
type FoldJob struct {
	Batch any
	Idx   []int32
	WG    *sync.WaitGroup
}

// Dispatch hands a batch to every shard's fold goroutine and waits until
// all have folded it, as the reader reuses the batch afterwards.
func Dispatch(ctx context.Context, jobs []chan FoldJob, batch any, idx []int32) error {
	var wg sync.WaitGroup
	j := FoldJob{Batch: batch, Idx: idx, WG: &wg}
	var err error
	for _, ch := range jobs {
		wg.Add(1)
		select {
		case ch <- j:
		case <-ctx.Done():
			wg.Done()
			err = ctx.Err()
		}
		if err != nil {
			break
		}
	}
	wg.Wait()
	return err
}

// ReadInto streams one file, with each row's customer index from b, into
// fold, in the batches of data.ReadKeyedBatches: sessions and events as
// column batches, the rest as rows. The events' batches have no Quantity
// (data.ReadEventKeys): no feature reads it.
func ReadInto(ctx context.Context, b *features.Builder, f data.File, opt data.ReadOptions, prog *Reporter, fold func(batch any, idx []int32) error) (ReadStats, error) {
	var rs ReadStats
	each := func(batch any, idx []int32) error {
		for _, i := range idx {
			if i < 0 {
				rs.Unknown++
			}
		}
		prog.Rows(f.Table, len(idx))
		return fold(batch, idx)
	}
	var err error
	if f.Table == data.Events {
		// The features fold no event quantity: its column is not read.
		rs.Stats, err = data.ReadEventKeys(ctx, f, opt, b.Index, func(c *data.EventColumns, idx []int32) error { return each(c, idx) })
		return rs, err
	}
	rs.Stats, err = data.ReadKeyedBatches(ctx, f, opt, b.Index, each)
	return rs, err
}

// Feed sends items on next, in order, then closes next; it returns ctx's
// error if ctx is done first. It is the producer of a pool of readers
// that take their work from next: on an unbuffered channel each item goes
// to the first idle reader.
func Feed[T any](ctx context.Context, next chan<- T, items []T) error {
	defer close(next)
	for _, it := range items {
		select {
		case next <- it:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	return nil
}

package ingest

import (
	"context"
	"fmt"
	"sync"

	"churn/data"
	"churn/features"
)

// NumTables is the number of tables of the contract.
const NumTables = 6

// TableIndex numbers the tables for per-table counters.
var TableIndex = map[data.Table]int{
	data.Customers: 0, data.Sessions: 1, data.Events: 2, data.Tickets: 3, data.Surveys: 4, data.Orders: 5,
}

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
// fold: sessions and events as column batches, the rest as rows.
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
	switch f.Table {
	case data.Sessions:
		rs.Stats, err = data.ReadKeyedColumns(ctx, f, opt, b.Index, func(c *data.SessionColumns, idx []int32) error { return each(c, idx) })
	case data.Events:
		rs.Stats, err = data.ReadKeyedColumns(ctx, f, opt, b.Index, func(c *data.EventColumns, idx []int32) error { return each(c, idx) })
	case data.Tickets:
		rs.Stats, err = data.ReadKeyed(ctx, f, opt, b.Index, func(r []data.Ticket, idx []int32) error { return each(r, idx) })
	case data.Surveys:
		rs.Stats, err = data.ReadKeyed(ctx, f, opt, b.Index, func(r []data.Survey, idx []int32) error { return each(r, idx) })
	case data.Orders:
		rs.Stats, err = data.ReadKeyed(ctx, f, opt, b.Index, func(r []data.Order, idx []int32) error { return each(r, idx) })
	default:
		return rs, fmt.Errorf("read %s: table %q is not one of the contract's", f.Rel, f.Table)
	}
	return rs, err
}

package features

import (
	"fmt"

	"churn/data"
)

// Sharding splits the fold across goroutines by customer instead of by
// file: shard w of n folds only the customers with index % n == w, so the
// shards together hold one set of accumulators, where forks hold one each.
// Every shard sees every row; Resolve maps a batch's customer ids to
// indexes once for all of them.

// Shards returns n Builders with empty accumulators that share b's frozen
// customer index and configuration; the w-th folds only the customers with
// index % n == w and ignores the others. Feed each from one goroutine with
// AddResolved, then give them to JoinShards. b must be frozen.
func (b *Builder) Shards(n int) []*Builder {
	n = max(n, 1)
	out := make([]*Builder, n)
	for w := range out {
		out[w] = b.Fork()
		out[w].shard, out[w].shards = w, n
	}
	return out
}

// ShareCatalog gives shards, made by b.Shards before b's catalog was set,
// the catalog b holds now, so that they may fold the other tables while
// the event part of the catalog is being learned (from the sessions they
// fold, see EventProfile.AddSessions) and the event rows after it. Call it
// after b.SetCatalog and before any shard folds an event row; the shards
// then fold as shards made after SetCatalog do.
func (b *Builder) ShareCatalog(shards []*Builder) error {
	for _, o := range shards {
		if o.cust != b.cust || o.shards != len(shards) {
			return ErrNotFork
		}
		if o.spent {
			return ErrSpent
		}
		if o.seen[data.Events.Index()] {
			return ErrEventsFolded
		}
	}
	for _, o := range shards {
		o.catSet = true
		o.applyCatalog(b.cat)
		o.attrCodes = b.attrCodes
	}
	return nil
}

// owns reports whether b folds customer i: one of its range (RangeFork)
// and, for a shard, of its share.
func (b *Builder) owns(i int32) bool {
	return int(i) >= b.lo && int(i) < b.hi && (b.shards <= 1 || int(i)%b.shards == b.shard)
}

// customer returns the index of the customer of row r, and whether b folds
// it: idx[r] when idx is given (from Resolve; negative for an unknown id),
// else a lookup of id that counts unknown ids.
func (b *Builder) customer(idx []int32, r int, id string, unknown *int) (int32, bool) {
	if idx != nil {
		i := idx[r]
		return i, i >= 0 && b.owns(i)
	}
	i, ok := b.lookup(id)
	if !ok {
		*unknown++
		return 0, false
	}
	return i, b.owns(i)
}

// Resolve sets dst to the customer indexes of the rows of batch (a slice
// of a history table's row type: []data.Session, []data.Event, ...), -1
// for an id missing from the frozen index, and returns it
// with the number of such rows. It reads only the frozen index, so
// goroutines may call it at once on b or any of its forks and shards.
func (b *Builder) Resolve(dst []int32, batch any) ([]int32, int, error) {
	for _, t := range tableFolds {
		if dst, unknown, ok := t.resolve(b, dst, batch); ok {
			return dst, unknown, nil
		}
	}
	return dst, 0, fmt.Errorf("resolve %T: %w", batch, ErrBatchType)
}

func resolve[T any](b *Builder, dst []int32, rows []T, id func(*T) string) ([]int32, int) {
	if cap(dst) < len(rows) {
		dst = make([]int32, len(rows))
	}
	dst = dst[:len(rows)]
	unknown := 0
	for r := range rows {
		i := b.Index(id(&rows[r]))
		if i < 0 {
			unknown++
		}
		dst[r] = i
	}
	return dst, unknown
}

// Index returns the index of customer id in the frozen index, as Resolve
// gives it, or -1 when id is missing. Like Resolve, it may be called from
// many goroutines at once (it suits data.ReadKeyed).
func (b *Builder) Index(id string) int32 {
	i, ok := b.lookup(id)
	if !ok {
		return -1
	}
	return i
}

// AddResolved folds the rows of batch (as for Resolve, or any batch of
// data.ReadKeyedBatches, such as a *data.SessionColumns) whose indexes idx
// (from Resolve, or data.ReadKeyedBatches with Index) b folds; rows of
// unknown customers were counted by Resolve.
func (b *Builder) AddResolved(batch any, idx []int32) error {
	for _, t := range tableFolds {
		if t.add(b, batch, idx) {
			return nil
		}
	}
	return fmt.Errorf("add %T: %w", batch, ErrBatchType)
}

// JoinShards makes b build from shards, all of b.Shards, which are spent
// afterwards. b must be frozen and not yet have been fed or merged into.
// Joining moves the shards' accumulators; it copies nothing, and gives
// the features that feeding b alone gives.
func (b *Builder) JoinShards(shards []*Builder) error {
	if b.cust == nil || b.parts != nil {
		return ErrNotFork
	}
	if b.spent {
		return ErrSpent
	}
	for t := range b.seen {
		if b.seen[t] {
			return ErrNotFork
		}
	}
	for w, o := range shards {
		if o.cust != b.cust || o.shard != w || o.shards != len(shards) || o.lo != b.lo || o.hi != b.hi {
			return ErrNotFork
		}
		if o.spent {
			return ErrSpent
		}
	}
	b.parts = make([]*Builder, len(shards))
	for w, o := range shards {
		for i := range b.flags {
			b.flags[i] |= o.flags[i]
		}
		for t := range b.seen {
			b.seen[t] = b.seen[t] || o.seen[t]
		}
		for t := range b.chanCount {
			b.chanCount[t].merge(&o.chanCount[t])
		}
		part := &Builder{lo: o.lo, hi: o.hi}
		for _, t := range tableFolds {
			t.move(part, o)
		}
		b.parts[w] = part
		*o = Builder{cust: o.cust, spent: true}
	}
	return nil
}

// part returns the Builder holding customer i's accumulators.
func (b *Builder) part(i int) *Builder {
	if b.parts == nil {
		return b
	}
	return b.parts[i%len(b.parts)]
}

package features

import (
	"maps"
	"slices"

	"churn/data"
)

// Folding the events under a guessed catalog. Learning the catalog exactly
// takes an EventProfile of every event row, which a caller that reads the
// events once can only finish after folding them. Such a caller folds the
// events under a guess (a catalog learned from some of the rows), profiles
// them as it folds, and hands the learned catalog to Recatalog, which makes
// the shards hold what folding under the learned catalog gives: at once
// when the two fold every event name alike, or by the caller folding the
// events again.

// EventsMark is what a set of shards held before their first event row:
// the activity flags, to which event rows add.
type EventsMark struct {
	shards []*Builder
	flags  [][]uint8 // per shard
}

// MarkEvents records the state of shards, made by b.Shards and given b's
// catalog (SetCatalog before Shards, or ShareCatalog), before any of them
// folds an event row, for Recatalog.
func (b *Builder) MarkEvents(shards []*Builder) (*EventsMark, error) {
	m := &EventsMark{shards: slices.Clone(shards)}
	for _, o := range shards {
		if err := b.checkShard(o, len(shards)); err != nil {
			return nil, err
		}
		if o.seen[data.Events.Index()] {
			return nil, ErrEventsFolded
		}
		m.flags = append(m.flags, slices.Clone(o.flags))
	}
	return m, nil
}

// checkShard reports whether o is one of n shards of b, not yet joined.
func (b *Builder) checkShard(o *Builder, n int) error {
	if o.cust != b.cust || o.shards != n {
		return ErrNotFork
	}
	if o.spent {
		return ErrSpent
	}
	return nil
}

// Recatalog sets c, a catalog of the attributes b uses, on b and on the
// shards of m, which have folded event rows under b's catalog since m was
// taken, and reports whether the caller must fold every event row again.
//
// When c folds every event name as b's catalog does but for the order of
// the mix's names (the same names in the mix, the same names left out of
// core actions and of activity), Recatalog moves each customer's event mix
// columns to c's ranks: the shards then hold, bit for bit, what folding
// the same rows under c gives, and refold is false. Otherwise it takes
// the shards back to m, as if they had folded no event row (their event
// accumulators dropped, their activity flags those of m), under c, and
// refold is true.
func (b *Builder) Recatalog(m *EventsMark, c Catalog) (refold bool, err error) {
	for _, o := range m.shards {
		if err := b.checkShard(o, len(m.shards)); err != nil {
			return false, err
		}
	}
	// probe folds as b would under c.
	probe := &Builder{cfg: b.cfg, g: b.g, core: b.core}
	probe.applyCatalog(c)
	sameNames := len(probe.slotOf) == len(b.slotOf)
	for name := range probe.slotOf {
		if _, ok := b.slotOf[name]; !ok {
			sameNames = false
		}
	}
	refold = !sameNames || !maps.Equal(probe.ignore, b.ignore)
	var perm []int // old mix slot -> new
	if !refold {
		perm = make([]int, b.mixSlots())
		for name, s := range b.slotOf {
			perm[s] = probe.slotOf[name]
		}
		perm[len(perm)-1] = len(perm) - 1 // "other"
	}
	b.SetCatalog(c)
	for w, o := range m.shards {
		if refold {
			copy(o.flags, m.flags[w])
			eventsFold.reset(o)
			o.seen[data.Events.Index()] = false
		} else {
			o.permuteMix(perm)
		}
		o.catSet = true
		o.applyCatalog(b.cat)
		o.attrCodes = b.attrCodes
	}
	return refold, nil
}

// permuteMix moves every event mix column of slot s to slot perm[s], in
// each customer's row at every cutoff (see addMix for the layout).
func (b *Builder) permuteMix(perm []int) {
	s := &b.ev
	moved := false
	for j, p := range perm {
		moved = moved || p != j
	}
	if s.sideW == 0 || !moved {
		return
	}
	S := len(perm)
	w := 3 * S
	tmp := make([]uint16, w)
	for slot := range int(s.used) {
		pg, in := slot/pageCustomers, slot%pageCustomers
		row := s.side[pg][in*s.sideW : (in+1)*s.sideW]
		for k := 0; k+w <= len(row); k += w {
			blk := row[k : k+w]
			for sec := 0; sec < 3; sec++ {
				for j, p := range perm {
					tmp[sec*S+p] = blk[sec*S+j]
				}
			}
			copy(blk, tmp)
		}
	}
}

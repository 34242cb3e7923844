package features

import (
	"fmt"
	"strconv"

	"churn/data"
)

// Builder folds history rows into per-customer, per-cutoff accumulators in
// one pass per table. Read the customers table completely with
// AddCustomers, call Freeze, then feed the other tables in any order,
// directly or through Shards (one per goroutine) joined with JoinShards.
// A Builder is not safe for concurrent use; shards and forks share only
// read-only state.
type Builder struct {
	cfg     Config
	g       geom
	dataEnd int64
	core    map[string]bool  // nil: every event is core
	ignore  map[string]bool  // not engagement: Config.IgnoreEvents and the automated names not in core
	weights map[string]int64 // engagement weights, micro units
	negSent int64            // NegativeSentiment, micro units

	pending []data.Customer // before Freeze
	extras  pendingExtras   // extra customers columns, before Freeze
	invalid int             // customer rows without an id or a signup time
	cust    *customers      // after Freeze

	// lo and hi bound the customers whose accumulators b holds: flags,
	// ordSet and the stores' indexes cover customers [lo, hi) alone
	// (RangeFork); 0 and Customers() for any other frozen Builder.
	lo, hi int
	flags  []uint8 // (hi-lo)*nCut
	sess   store[sessAcc]
	ev     store[evAcc]
	tick   store[tickAcc]
	nps    store[npsAcc]
	ord    store[ordAcc]
	ordSet []dayset // per customer of [lo, hi), the days with a purchase before the last cutoff

	cat           Catalog              // see SetCatalog
	catSet        bool                 // SetCatalog was called
	slotOf        map[string]int       // event name -> mix slot, for the catalog's events
	mixNames      []string             // the event mix's columns
	chanCount     [2]chanCounts        // rows per channel name, of sessions and of tickets, before chanUntil
	chanUntil     int64                // see ChannelsUntil
	sessRanks     chanRanks            // the catalog's session channels
	tickRanks     chanRanks            // the catalog's ticket channels
	sessChanNames []string             // per session channel rank and "other": share and share change columns
	tickChanNames []string             // per ticket channel rank and "other": count column
	attrRaw       []attrColumn         // raw attribute values, after Freeze
	attrCodes     [][]float64          // per catalog attribute, per customer
	attrCols      [][]string           // per catalog attribute, its column names (attrColumns)
	seen          [data.NumTables]bool // by data.Table.Index: the tables fed
	vocab         vocab
	memo          textMemo
	spent         bool // merged into another Builder

	// shard and shards: a shard (see Shards) folds only the customers
	// with index % shards == shard; shards is 0 for any other Builder.
	shard, shards int
	parts         []*Builder // the shards joined by JoinShards, by shard
}

// tableFold is what a Builder does with one history table besides
// folding its rows (AddSessions, ...): every table's file declares its
// own, and tableFolds lists them.
type tableFold struct {
	table data.Table
	// add folds batch with the customer indexes idx (AddResolved) when it
	// is one of the table's batch types, and reports whether it was.
	add func(b *Builder, batch any, idx []int32) bool
	// resolve is Resolve for a batch of the table's rows; false when batch
	// is not one.
	resolve func(b *Builder, dst []int32, batch any) ([]int32, int, bool)
	// reset drops b's accumulators of the table.
	reset func(b *Builder)
	// merge folds the accumulators of o, a fork of b, into b's, moving
	// them where b has none (Merge).
	merge func(b, o *Builder)
	// move hands shard o's accumulators to part, which holds them for the
	// Builder that joined o (JoinShards).
	move func(part, o *Builder)
	// view points r at the accumulators of customer i at cutoff k that
	// src holds, or at empty ones when src holds none.
	view func(r *rowCtx, src *Builder, i int32, k int)
}

// tableFolds lists the history tables a Builder folds.
var tableFolds = [...]*tableFold{&sessionsFold, &eventsFold, &ticketsFold, &surveysFold, &ordersFold}

// rowsAdder is tableFold.add for a table whose one batch type is []T,
// folded by add.
func rowsAdder[T any](add func(b *Builder, rows []T, idx []int32) int) func(b *Builder, batch any, idx []int32) bool {
	return func(b *Builder, batch any, idx []int32) bool {
		rows, ok := batch.([]T)
		if ok {
			add(b, rows, idx[:len(rows)])
		}
		return ok
	}
}

// columnsAdder is tableFold.add for a table folded by columns: batches of
// columns C go to add as they are, slices of rows R are turned into
// columns by cols first; rows says how many rows a batch of columns holds.
func columnsAdder[R, C any](add func(b *Builder, c *C, idx []int32) int, cols func([]R) *C, rows func(*C) int) func(b *Builder, batch any, idx []int32) bool {
	return func(b *Builder, batch any, idx []int32) bool {
		switch batch := batch.(type) {
		case []R:
			add(b, cols(batch), idx[:len(batch)])
		case *C:
			add(b, batch, idx[:rows(batch)])
		default:
			return false
		}
		return true
	}
}

// resolver is tableFold.resolve for rows of type T whose customer id is id.
func resolver[T any](id func(*T) string) func(b *Builder, dst []int32, batch any) ([]int32, int, bool) {
	return func(b *Builder, dst []int32, batch any) ([]int32, int, bool) {
		rows, ok := batch.([]T)
		if !ok {
			return dst, 0, false
		}
		dst, unknown := resolve(b, dst, rows, id)
		return dst, unknown, true
	}
}

// NewBuilder checks cfg and the cutoffs (ascending unix nanoseconds) and
// returns an empty Builder. dataEnd is the first instant the data does not
// cover: a cutoff is labelled only when cutoff + gap + horizon <= dataEnd.
func NewBuilder(cfg Config, cutoffs []int64, dataEnd int64) (*Builder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("features config: %w", err)
	}
	if len(cutoffs) == 0 {
		return nil, ErrNoCutoffs
	}
	for i := 1; i < len(cutoffs); i++ {
		if cutoffs[i] <= cutoffs[i-1] {
			return nil, fmt.Errorf("cutoff %d: %w", i, ErrCutoffOrder)
		}
	}
	b := &Builder{
		cfg:     cfg,
		dataEnd: dataEnd,
		negSent: fixed(cfg.NegativeSentiment),
		weights: make(map[string]int64, len(cfg.EngagementWeights)),
	}
	b.g = geom{
		cutoffs:  append([]int64(nil), cutoffs...),
		nW:       len(cfg.Windows),
		main:     len(cfg.Windows) / 2,
		long:     len(cfg.Windows) - 1,
		gap:      int64(cfg.Gap),
		horizon:  int64(cfg.Horizon),
		lookback: int64(cfg.Lookback),
	}
	for i, w := range cfg.Windows {
		b.g.wins[i] = int64(w)
	}
	b.g.reach = max(2*b.g.wins[b.g.long], weeksN*weekNS, b.g.wins[b.g.long], 2*b.g.wins[b.g.main])
	if len(cfg.CoreEvents) > 0 {
		b.core = make(map[string]bool, len(cfg.CoreEvents))
		for _, e := range cfg.CoreEvents {
			b.core[e] = true
		}
	}
	for k, v := range cfg.EngagementWeights {
		b.weights[k] = fixed(v)
	}
	b.chanUntil = cutoffs[len(cutoffs)-1]
	b.applyCatalog(Catalog{})
	return b, nil
}

// SetCatalog fixes the catalog the features use: the event names of the
// mix, the automated event names and the attributes. Call it before any
// event row and before Fork or Shards (or give it to shards made before
// with ShareCatalog); a Builder without one learns its attributes at
// Freeze and folds every event name into "other". Training
// learns the catalog (NewEventProfile, then Catalog); scoring sets the one
// stored with the model, whose event names all keep their columns
// whatever Config.EventVocab says now (0 still turns the family off);
// names beyond MaxEventVocab are dropped.
func (b *Builder) SetCatalog(c Catalog) {
	b.catSet = true
	b.applyCatalog(c)
	if b.cust != nil {
		b.encodeAttributes()
	}
}

// ChannelsUntil sets the instant before which the fold counts the rows of
// each channel name, from which a build without fixed channels (see
// Catalog.ChannelsSet) ranks them: by default the last cutoff. Builders
// of different cutoffs that give it the same instant learn the same
// channels, as an EventProfile of the same until learns the same event
// names. Call it before the first row.
func (b *Builder) ChannelsUntil(until int64) { b.chanUntil = until }

// Catalog returns the catalog in use: after Freeze, with the attributes
// learned from the customers unless SetCatalog gave them.
func (b *Builder) Catalog() Catalog { return b.cat }

// CatalogWith returns the catalog of the events of ev and the attributes
// in use: what SetCatalog needs after an EventProfile.
func (b *Builder) CatalogWith(ev Catalog) Catalog {
	ev.Attributes = b.cat.Attributes
	return ev
}

func (b *Builder) applyCatalog(c Catalog) {
	if len(c.Events) > MaxEventVocab {
		c.Events = c.Events[:MaxEventVocab]
	}
	b.cat = c
	b.slotOf = make(map[string]int, len(c.Events))
	for s, name := range c.Events {
		b.slotOf[name] = s
	}
	b.ignore = make(map[string]bool, len(b.cfg.IgnoreEvents)+len(c.Automated))
	for _, name := range b.cfg.IgnoreEvents {
		b.ignore[name] = true
	}
	for _, name := range c.Automated {
		if b.core == nil || !b.core[name] {
			b.ignore[name] = true
		}
	}
	b.mixNames = nil
	if b.cfg.EventVocab > 0 {
		b.mixNames = mixNames(len(c.Events), int(b.g.wins[b.g.main]/dayNS))
	}
	b.attrCols = attrColumns(c.Attributes)
	b.vocab = vocab{}
	b.applyChannels()
}

// applyChannels sets the fold's and the columns' view of the catalog's
// channels.
func (b *Builder) applyChannels() {
	c := &b.cat
	if len(c.SessionChannels) > MaxChannels {
		c.SessionChannels = c.SessionChannels[:MaxChannels]
	}
	if len(c.TicketChannels) > MaxChannels {
		c.TicketChannels = c.TicketChannels[:MaxChannels]
	}
	b.sessRanks, b.tickRanks = newChanRanks(c.SessionChannels), newChanRanks(c.TicketChannels)
	md, ld := int(b.g.wins[b.g.main]/dayNS), int(b.g.wins[b.g.long]/dayNS)
	b.sessChanNames = b.sessChanNames[:0:0]
	for _, n := range channelNames(len(b.sessRanks), "session_%s") {
		b.sessChanNames = append(b.sessChanNames, fmt.Sprintf("%s_share_%dd", n, md), n+"_share_change")
	}
	b.tickChanNames = channelNames(len(b.tickRanks), "tickets_%s_"+strconv.Itoa(ld)+"d")
}

// reset gives b empty accumulators for the frozen customers.
func (b *Builder) reset() {
	n, k := b.hi-b.lo, len(b.g.cutoffs)
	b.flags = make([]uint8, n*k)
	for _, t := range tableFolds {
		t.reset(b)
	}
	b.chanCount = [2]chanCounts{}
	b.seen = [data.NumTables]bool{}
	b.vocab = vocab{} // a fork must not share the cache's backing array
	b.memo = textMemo{}
	b.spent = false
}

// Fork returns a Builder with empty accumulators that shares b's frozen
// customer index and configuration: a fold of some rows whose partial
// (EncodePartial) another process merges. Within one process, use Shards.
// b must be frozen.
func (b *Builder) Fork() *Builder {
	f := *b
	f.pending = nil
	if f.cust == nil {
		f.cust = &customers{index: map[string]int32{}}
	}
	f.reset()
	return &f
}

// RangeFork is Fork for the customers with index lo <= i < hi alone: its
// accumulators, activity flags and indexes cover that range, so that its
// memory grows with the range, not with the customer index. It takes
// their accumulators, and the whole table's rows per channel name, from
// forks with MergeRange and MergePartial, merges with RangeForks of the
// same range, and builds their rows with BuildRange. Fed rows directly, it
// folds those of its customers alone, as a shard does, and counts the
// channels of its customers alone. b must be frozen, and
// 0 <= lo <= hi <= Customers().
func (b *Builder) RangeFork(lo, hi int) (*Builder, error) {
	if b.cust == nil {
		return nil, ErrNotFrozen
	}
	if lo < b.lo || hi < lo || hi > b.hi {
		return nil, fmt.Errorf("customers %d to %d of %d to %d: %w", lo, hi, b.lo, b.hi, ErrCutoffRange)
	}
	f := *b
	f.lo, f.hi = lo, hi
	f.reset()
	return &f, nil
}

// Merge folds o, a fork of the same frozen Builder, into b. Merging is
// exact: any grouping and order of merges gives bit-identical features.
// Accumulators of a table b has not seen yet move from o to b without a
// copy, so o is spent: do not add rows to it; Merge and Build refuse it
// with ErrSpent.
func (b *Builder) Merge(o *Builder) error {
	if b.cust == nil || o.cust != b.cust || o == b || b.parts != nil || o.parts != nil || o.lo != b.lo || o.hi != b.hi {
		return ErrNotFork
	}
	if o.spent || b.spent {
		return ErrSpent
	}
	for i := range b.flags {
		b.flags[i] |= o.flags[i]
	}
	for t := range b.seen {
		b.seen[t] = b.seen[t] || o.seen[t]
	}
	// A table b has not seen is moved from o, not copied: o is spent.
	for _, t := range tableFolds {
		t.merge(b, o)
	}
	for t := range b.chanCount {
		b.chanCount[t].merge(&o.chanCount[t])
	}
	o.spent = true
	return nil
}

// bucketOf returns how many cutoffs are <= ts: the index of the first
// cutoff the row at ts is before.
func bucketOf(cutoffs []int64, ts int64) int {
	k := 0
	for k < len(cutoffs) && cutoffs[k] <= ts {
		k++
	}
	return k
}

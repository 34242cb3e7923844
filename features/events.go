package features

import (
	"fmt"
	"math"
	"strings"
	"unsafe"

	"churn/data"
)

// The events table: the usage, engagement, pace and event mix families,
// their accumulators and their fold.

// evAcc is the usage and engagement state of one customer at one cutoff.
type evAcc struct {
	core   actAcc   // core actions
	all    [2]int32 // every event in the main window and the one before
	engage [2]int64 // weighted core actions (weights in micro units), same windows
}

func (e *evAcc) merge(o *evAcc) {
	e.core.merge(&o.core)
	for i := 0; i < 2; i++ {
		e.all[i] += o.all[i]
		e.engage[i] += o.engage[i]
	}
}

var eventsFold = tableFold{
	table:   data.Events,
	add:     columnsAdder((*Builder).addEvents, eventColumns, func(c *data.EventColumns) int { return len(c.CustomerID) }),
	resolve: resolver(func(r *data.Event) string { return r.CustomerID }),
	reset:   func(b *Builder) { b.ev = store[evAcc]{} },
	merge:   (*Builder).mergeEvents,
	move:    func(part, o *Builder) { part.ev = o.ev },
	view: func(r *rowCtx, src *Builder, i int32, k int) {
		r.ev = &r.zeroEv
		a, mix := src.ev.peekSide(i)
		r.mix = mix
		if a != nil {
			r.evBuf = a[k]
			r.evBuf.core = cumulate(k, func(j int) *actAcc { return &a[j].core })
			r.ev = &r.evBuf
		}
	},
}

// mergeEvents merges the events of o, a fork of b, into b (Merge).
func (b *Builder) mergeEvents(o *Builder) {
	if o.ev.idx == nil || b.ev.idx == nil {
		mergeOrMove(&b.ev, &o.ev, (*evAcc).merge)
		return
	}
	mergeStore(&b.ev, &o.ev, (*evAcc).merge)
	for j, v := range o.ev.idx {
		if v != 0 {
			i := o.ev.base + int32(j)
			_, dst := b.ev.getSide(i)
			_, src := o.ev.getSide(i)
			b.mergeMix(dst, src)
		}
	}
}

// AddEvents folds event rows; rows of unknown customers are counted and
// ignored, as are rows with a null timestamp.
func (b *Builder) AddEvents(rows []data.Event) (unknown int) {
	return b.addEvents(eventColumns(rows), nil)
}

// eventColumns lays rows out as the column batch the fold reads.
func eventColumns(rows []data.Event) *data.EventColumns {
	c := &data.EventColumns{
		CustomerID: make([]string, len(rows)),
		TS:         make([]int64, len(rows)),
		Event:      make([]string, len(rows)),
		Quantity:   make([]float64, len(rows)),
	}
	for i, r := range rows {
		c.CustomerID[i], c.TS[i], c.Event[i], c.Quantity[i] = r.CustomerID, r.TS, r.Event, r.Quantity
	}
	return c
}

// addEvents folds a batch of events; idx as for addSessions.
func (b *Builder) addEvents(c *data.EventColumns, idx []int32) (unknown int) {
	b.seen[data.Events.Index()] = true
	if b.ev.idx == nil && b.cust != nil {
		b.ev = newStore[evAcc](b.lo, b.hi, len(b.g.cutoffs))
		b.ev.sideW = len(b.g.cutoffs) * 3 * b.mixSlots() // the event mix
	}
	g := &b.g
	n := len(c.CustomerID)
	times, names := c.TS[:n], c.Event[:n]
	var seen batchNames[eventKind] // this batch's names only
	for r := range n {
		i, ok := b.customer(idx, r, c.CustomerID[r], &unknown)
		if !ok {
			continue
		}
		ts := times[r]
		if ts == data.NoTime {
			continue
		}
		ek := b.kindOf(&seen, names[r])
		if ek.activity {
			b.markActivity(i, ts)
		}
		if ts >= g.cutoffs[len(g.cutoffs)-1] {
			continue
		}
		accs, mix := b.ev.getSide(i)
		k0 := bucketOf(g.cutoffs, ts)
		b.addMix(mix, ek.slot, k0, ts)
		if ek.core {
			accs[k0].core.addLifetime(ts, b.cust.signup[i])
		}
		mw := g.wins[g.main]
		for k := k0; k < len(g.cutoffs); k++ {
			d := g.cutoffs[k] - ts
			if d > g.reach {
				break
			}
			a := &accs[k]
			if ek.core {
				a.core.addWindow(g, d)
			}
			if d > 2*mw {
				continue
			}
			p := 0
			if d > mw {
				p = 1
			}
			a.all[p]++
			if ek.core {
				a.engage[p] += ek.weight
			}
		}
	}
	return unknown
}

// eventKind is what AddEvents needs of an event name.
type eventKind struct {
	name     string
	core     bool
	activity bool  // not ignored: counts as activity for status and label
	weight   int64 // micro units
	slot     int   // event mix slot: the catalog rank, or K for "other"
}

// vocab caches the kinds of the first maxVocab event names a Builder sees
// in a small open-addressing table, hashed by the names' lengths and end
// bytes: the fold looks up every event's name, and a probe or two find it
// where comparing it with each cached name in turn would take many.
type vocab struct {
	kinds []eventKind
	slots [vocabSlots]uint8 // index+1 into kinds; 0: empty
}

const (
	maxVocab   = 64
	vocabSlots = 128 // a power of two, at least twice maxVocab
)

// vocabSlot is the first slot to try for name.
func vocabSlot(name string) int {
	n := len(name)
	h := uint32(n)
	if n > 0 {
		h = (h*31+uint32(name[0]))*31 + uint32(name[n-1])
	}
	if n > 2 {
		h = (h*31+uint32(name[1]))*31 + uint32(name[n-2])
	}
	return int((h * 2654435761) >> (32 - 7))
}

func (v *vocab) lookup(name string, b *Builder) eventKind {
	j := vocabSlot(name)
	for ; v.slots[j] != 0; j = (j + 1) & (vocabSlots - 1) {
		if k := &v.kinds[v.slots[j]-1]; k.name == name {
			return *k
		}
	}
	w, known := b.weights[name]
	if !known {
		w = micro
	}
	slot, ok := b.slotOf[name]
	if !ok {
		slot = len(b.cat.Events)
	}
	ign := b.ignore[name]
	k := eventKind{core: (b.core == nil || b.core[name]) && !ign, activity: !ign, weight: w, slot: slot}
	if len(v.kinds) < maxVocab {
		k.name = strings.Clone(name)
		v.kinds = append(v.kinds, k)
		v.slots[j] = uint8(len(v.kinds))
	}
	return k
}

// batchNames remembers what a batch's event names resolved to, in front of
// the lookup that resolves them (the Builder's vocab, an EventProfile's
// ids). A reader hands a name of a dictionary page over as the same string,
// the same bytes at the same address, on every row that uses it, so a
// direct-mapped table keyed by a string's address and length finds such a
// name without hashing or comparing its bytes. A string's address and
// length say what its bytes are only while its memory is not reused, and a
// reader reuses the memory of a batch's strings for the next batch's: a
// batchNames lives for one batch and is then dropped, and it holds only
// what a name resolves to unchanged for the whole batch. Names that miss (a
// plain page gives each row a string of its own) cost one probe more than
// the lookup alone.
type batchNames[V any] struct {
	ents [1 << batchBits]batchName[V]
}

type batchName[V any] struct {
	p *byte
	n int // the name's length + 1; 0: an empty slot
	v V
}

const batchBits = 6 // the table has 1<<batchBits slots

// find returns name's slot and whether it holds name; on a miss the caller
// resolves name and stores it with set.
func (s *batchNames[V]) find(name string) (*batchName[V], bool) {
	p := unsafe.StringData(name)
	e := &s.ents[(uint64(uintptr(unsafe.Pointer(p)))*0x9e3779b97f4a7c15)>>(64-batchBits)]
	return e, e.p == p && e.n == len(name)+1
}

func (e *batchName[V]) set(name string, v V) {
	*e = batchName[V]{p: unsafe.StringData(name), n: len(name) + 1, v: v}
}

// kindOf is vocab.lookup for a name of the batch seen caches.
func (b *Builder) kindOf(seen *batchNames[eventKind], name string) *eventKind {
	e, hit := seen.find(name)
	if !hit {
		e.set(name, b.vocab.lookup(name, b))
	}
	return &e.v
}

func emitUsage(e *emitter, r *rowCtx) {
	a := &r.ev.core
	g := &r.b.g
	for w := 0; w < g.nW; w++ {
		d := winDays(r, w)
		cur, prev := windowRates(r, a, w)
		e.putf("core_actions_%dd", d, float64(a.n[w][0]))
		e.putf("core_per_week_%dd", d, cur)
		e.putf("core_ratio_%dd", d, ratio(cur, prev))
		e.putf("core_diff_%dd", d, cur-prev)
	}
	md := winDays(r, g.main)
	e.put("core_weekly_slope", weeklySlope(r, a))
	e.put("days_since_core", daysSince(r, a.total > 0, a.last))
	e.put("core_never", indicator(a.total == 0))
	e.putf("core_share_%dd", md, ratio(float64(a.n[g.main][0]), float64(r.ev.all[0])))
	e.putf("event_kinds_%dd", md, float64(mixKinds(r)))
	e.putf("core_active_days_%dd", md, float64(a.activeDays(0, md)))
	e.put("core_vs_baseline", baseline(r, a))
	e.put("onboarding_core_14d", onboarding(r, a.onb[0], 14))
	e.put("onboarding_core_30d", onboarding(r, a.onb[1], 30))
}

func emitEngagement(e *emitter, r *rowCtx) {
	g := &r.b.g
	md := winDays(r, g.main)
	mw := g.wins[g.main]
	cur := float64(r.ev.engage[0]) / micro
	prev := nan
	if exposure(r, mw, 2*mw) >= mw {
		prev = float64(r.ev.engage[1]) / micro
	}
	e.putf("engagement_score_%dd", md, cur)
	e.put("engagement_change", cur-prev)
	e.put("engagement_per_week", perWeek(cur, exposure(r, 0, mw)))
}

// emitPace is the family "pace" (events).
func emitPace(e *emitter, r *rowCtx) {
	e.put("core_per_tenure_day", perTenureDay(r, float64(r.ev.core.total)))
}

// perTenureDay is n per day of tenure, for the first young days of an
// account; NaN after them, where the windowed rates say more.
func perTenureDay(r *rowCtx, n float64) float64 {
	if r.tenure > youngDays*dayNS {
		return nan
	}
	return n / max(1, float64(r.tenure)/float64(dayNS))
}

// youngDays is the tenure up to which the per-tenure-day paces are given.
const youngDays = 90

// The event mix: per event name of the catalog (by rank) and for all other
// names together, how often a customer used it in the main window, against
// their own past, and when last. The state is a row of uint16 per customer
// and cutoff, mixW = 3 x slots wide (slots = K ranks + "other"):
//
//	[0, slots)         rows in the main window [c-w, c), saturating
//	[slots, 2 slots)   rows in the bucket [c(k-1), c(k)), saturating (lifetime part)
//	[2 slots, 3 slots) 1 + whole hours from the bucket's latest row to c(k), saturating; 0 none
//
// The lifetime part is kept per bucket, as actAcc's is, and summed at
// Build.

const hourNS = int64(3600e9)

// mixSlots is the number of slots of the event mix: the catalog's names
// (at most K) and "other". It is fixed before the first event row, by
// SetCatalog.
func (b *Builder) mixSlots() int { return len(b.cat.Events) + 1 }

// addMix folds an event of slot s at ts, d = c(k0) - ts > 0 before the
// first cutoff after it, into a customer's mix row.
func (b *Builder) addMix(row []uint16, s, k0 int, ts int64) {
	g := &b.g
	S := b.mixSlots()
	w := 3 * S
	life := row[k0*w+S+s:]
	life[0] = sat16(life[0])
	h := (g.cutoffs[k0] - ts) / hourNS
	if v := uint16(min(h+1, math.MaxUint16)); life[S] == 0 || v < life[S] {
		life[S] = v
	}
	mw := g.wins[g.main]
	for k := k0; k < len(g.cutoffs) && g.cutoffs[k]-ts <= mw; k++ {
		row[k*w+s] = sat16(row[k*w+s])
	}
}

// mergeMix adds the mix rows src to dst: sums for the counts, the latest
// row (the fewest hours, 0 meaning none) for the recency.
func (b *Builder) mergeMix(dst, src []uint16) {
	S := b.mixSlots()
	w := 3 * S
	for k := 0; k+w <= len(dst); k += w {
		d, s := dst[k:k+w], src[k:k+w]
		for j := 0; j < 2*S; j++ {
			d[j] = sat16add(d[j], s[j])
		}
		for j := 2 * S; j < w; j++ {
			if s[j] != 0 && (d[j] == 0 || s[j] < d[j]) {
				d[j] = s[j]
			}
		}
	}
}

// mixNames are the family's column names, in emit order.
func mixNames(k, mainDays int) []string {
	var out []string
	for s := 0; s <= k; s++ {
		name := "event_other"
		if s < k {
			name = fmt.Sprintf("event_r%02d", s+1)
		}
		out = append(out, fmt.Sprintf("%s_%dd", name, mainDays), name+"_vs_baseline",
			fmt.Sprintf("%s_share_%dd", name, mainDays), name+"_share_change", name+"_days_since")
	}
	return append(out, "event_mix_shift")
}

// mixView is a customer's event mix at one cutoff, lifetime cumulated.
type mixView struct {
	win, before []float64 // per slot: rows in the main window; rows before it
	lastDays    []float64 // per slot: days since the latest row, NaN when none
	winSum      float64
	beforeSum   float64
}

// mixView cumulates customer row (nil: no events) at cutoff k into v.
func (b *Builder) mixView(v *mixView, row []uint16, k int) {
	S := b.mixSlots()
	if len(v.win) != S {
		v.win, v.before, v.lastDays = make([]float64, S), make([]float64, S), make([]float64, S)
	}
	v.winSum, v.beforeSum = 0, 0
	w := 3 * S
	c := b.g.cutoffs[k]
	for s := range S {
		v.win[s], v.before[s], v.lastDays[s] = 0, 0, nan
		if row == nil {
			continue
		}
		total := 0.0
		for j := k; j >= 0; j-- {
			n := row[j*w+S+s]
			if n == 0 {
				continue
			}
			total += float64(n)
			if math.IsNaN(v.lastDays[s]) {
				v.lastDays[s] = float64(c-b.g.cutoffs[j]+int64(row[j*w+2*S+s]-1)*hourNS) / float64(dayNS)
			}
		}
		v.win[s] = float64(row[k*w+s])
		v.before[s] = max(0, total-v.win[s])
		v.winSum += v.win[s]
		v.beforeSum += v.before[s]
	}
}

// emitEventMix is the family "event_mix" (see doc.go).
func emitEventMix(e *emitter, r *rowCtx) {
	b := r.b
	g := &b.g
	S := b.mixSlots()
	if b.cfg.EventVocab == 0 {
		return
	}
	v := &r.mixBuf
	b.mixView(v, r.mix, r.k)
	mw := g.wins[g.main]
	early := r.tenure - mw // history before the main window
	names := b.mixNames
	shift := 0.0
	for s := range S {
		share := ratio(v.win[s], v.winSum)
		before := ratio(v.before[s], v.beforeSum)
		shift += math.Abs(share - before)
		vsBase := nan
		if early >= mw {
			vsBase = ratio(perWeek(v.win[s], mw), perWeek(v.before[s], early))
		}
		n := names[5*s : 5*s+5]
		e.put(n[0], v.win[s])
		e.put(n[1], vsBase)
		e.put(n[2], share)
		e.put(n[3], share-before)
		e.put(n[4], v.lastDays[s])
	}
	e.put(names[5*S], shift/2)
}

// mixKinds counts the event mix slots used in the main window: each of the
// catalog's names, and all others together as one.
func mixKinds(r *rowCtx) int {
	if r.mix == nil {
		return 0
	}
	S := r.b.mixSlots()
	row := r.mix[r.k*3*S:]
	n := 0
	for s := range S {
		if row[s] > 0 {
			n++
		}
	}
	return n
}

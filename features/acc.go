package features

import (
	"math"
	"math/bits"
)

// The accumulators below are the per-customer, per-cutoff state. They are
// fixed-size, hold integers only (amounts, durations, weights and scores in
// fixed point), and merge by sums, minima, maxima and bitwise or: merging
// is exact, so any order of rows and of merges gives the same bits.

const (
	dayWords = 3  // per-day activity bitmap: 192 days before the cutoff
	weeksN   = 12 // weekly bins for the least-squares slopes
	micro    = 1e6
)

// geom is what routing a row to its cutoffs needs, fixed at NewBuilder.
type geom struct {
	cutoffs  []int64
	wins     [MaxWindows]int64 // window lengths in ns
	nW       int
	main     int   // index of the main window
	long     int   // index of the long window
	reach    int64 // how far before a cutoff a row can touch a window part
	gap      int64
	horizon  int64
	lookback int64
}

// actAcc counts activity rows (sessions, or core events) before a cutoff.
// Its window part (n, weeks, days) is kept per cutoff for the rows within
// reach of it. Its lifetime part (last, total, onb) is kept per bucket: in
// the accumulator of cutoff k, for the rows in [c(k-1), c(k)) only, so a
// row updates one lifetime part whatever the number of cutoffs; cumulate
// sums them up for cutoff k.
type actAcc struct {
	n     [MaxWindows][2]int32 // rows in [c-w, c) and in [c-2w, c-w)
	weeks [weeksN]uint16       // rows per week before c, saturating; week 0 is [c-7d, c)
	days  [dayWords]uint64     // bit i: a row in [c-(i+1)d, c-i*d)
	last  int64                // latest row; valid when total > 0
	total int32                // rows
	onb   [2]uint16            // rows in the first 14 and 30 days after signup, saturating
}

const (
	weekNS = int64(7 * Day)
	dayNS  = int64(Day)
)

func sat16(v uint16) uint16 {
	if v == math.MaxUint16 {
		return v
	}
	return v + 1
}

func sat16add(a, b uint16) uint16 {
	if s := uint32(a) + uint32(b); s < math.MaxUint16 {
		return uint16(s)
	}
	return math.MaxUint16
}

// addLifetime records a row at ts in the lifetime part of its bucket.
func (a *actAcc) addLifetime(ts, signup int64) {
	if a.total == 0 || ts > a.last {
		a.last = ts
	}
	a.total++
	if since := ts - signup; since >= 0 {
		if since < 14*dayNS {
			a.onb[0] = sat16(a.onb[0])
		}
		if since < 30*dayNS {
			a.onb[1] = sat16(a.onb[1])
		}
	}
}

// addWindow records a row d = c - ts > 0 before cutoff c, d <= g.reach.
func (a *actAcc) addWindow(g *geom, d int64) {
	for w := 0; w < g.nW; w++ {
		if d <= g.wins[w] {
			a.n[w][0]++
		} else if d <= 2*g.wins[w] {
			a.n[w][1]++
		}
	}
	if wk := (d - 1) / weekNS; wk < weeksN {
		a.weeks[wk] = sat16(a.weeks[wk])
	}
	if day := (d - 1) / dayNS; day < maxDayBits {
		a.days[day/64] |= 1 << (day % 64)
	}
}

// cumulate returns the accumulator of cutoff k with its lifetime part
// summed over the buckets 0..k: the activity before cutoff k.
func cumulate(k int, at func(j int) *actAcc) actAcc {
	out := *at(k)
	out.total, out.last, out.onb = 0, 0, [2]uint16{}
	for j := 0; j <= k; j++ {
		a := at(j)
		if a.total == 0 {
			continue
		}
		if out.total == 0 || a.last > out.last {
			out.last = a.last
		}
		out.total += a.total
		out.onb[0] = sat16add(out.onb[0], a.onb[0])
		out.onb[1] = sat16add(out.onb[1], a.onb[1])
	}
	return out
}

func (a *actAcc) merge(o *actAcc) {
	for w := range a.n {
		a.n[w][0] += o.n[w][0]
		a.n[w][1] += o.n[w][1]
	}
	for i := range a.weeks {
		a.weeks[i] = sat16add(a.weeks[i], o.weeks[i])
	}
	for i := range a.days {
		a.days[i] |= o.days[i]
	}
	if o.total > 0 && (a.total == 0 || o.last > a.last) {
		a.last = o.last
	}
	a.total += o.total
	a.onb[0] = sat16add(a.onb[0], o.onb[0])
	a.onb[1] = sat16add(a.onb[1], o.onb[1])
}

// activeDays counts the days with activity among the from..to-1 days
// before the cutoff.
func (a *actAcc) activeDays(from, to int) int {
	n := 0
	for i := from; i < to && i < maxDayBits; i++ {
		if a.days[i/64]&(1<<(i%64)) != 0 {
			n++
		}
	}
	return n
}

// sessAcc is the visit-frequency state of one customer at one cutoff.
type sessAcc struct {
	act    actAcc
	durMs  [2]int64 // duration of sessions in the main window and the one before
	durN   [2]int32
	pages  [2]int64
	pagesN [2]int32
	ch     chanAcc // sessions per channel, same windows
}

func (s *sessAcc) merge(o *sessAcc) {
	s.act.merge(&o.act)
	for i := 0; i < 2; i++ {
		s.durMs[i] += o.durMs[i]
		s.durN[i] += o.durN[i]
		s.pages[i] += o.pages[i]
		s.pagesN[i] += o.pagesN[i]
	}
	s.ch.merge(&o.ch)
}

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

// latest is a value with the instant it became known; the latest of two is
// the one with the larger (ts, v), so ties resolve the same in any order.
type latest struct {
	ts int64
	v  int32
	ok bool
}

func (l *latest) offer(ts int64, v int32) {
	if !l.ok || ts > l.ts || (ts == l.ts && v > l.v) {
		*l = latest{ts, v, true}
	}
}

func (l *latest) merge(o latest) {
	if o.ok {
		l.offer(o.ts, o.v)
	}
}

// tickAcc is the support state of one customer at one cutoff. Window
// counts use created_at; the aggregates are over the long window.
type tickAcc struct {
	n        [MaxWindows]int32 // tickets per window
	prevMain int32             // tickets in the main window before the current one
	ch       chanAcc           // long window, by channel
	total    int32             // tickets created before c
	open     int32             // created before c and not resolved before c
	last     int64             // latest created_at; valid when total > 0
	neg      int32             // negative tickets, long window
	negMain  int32             // negative tickets, main window
	sentN    int32
	sentSum  int64 // micro units
	sentMin  int32 // micro units; valid when sentN > 0
	sentLast latest
	frN      int32
	frMs     int64 // first response, milliseconds
	resN     int32
	resS     int64 // created to resolved, seconds
	csatN    int32
	csatSum  int32
	csatLast latest
	effN     int32
	effSum   int32
	effLast  latest
	lowCsat  int32 // tickets in the long window with a known CSAT of at most lowCSAT
	stale    int32 // open at c and created at least staleDays before c
}

func (t *tickAcc) merge(o *tickAcc) {
	if o.total == 0 {
		return
	}
	for i := range t.n {
		t.n[i] += o.n[i]
	}
	t.prevMain += o.prevMain
	t.ch.merge(&o.ch)
	if t.total == 0 || o.last > t.last {
		t.last = o.last
	}
	t.total += o.total
	t.open += o.open
	t.neg += o.neg
	t.negMain += o.negMain
	if o.sentN > 0 && (t.sentN == 0 || o.sentMin < t.sentMin) {
		t.sentMin = o.sentMin
	}
	t.sentN += o.sentN
	t.sentSum += o.sentSum
	t.sentLast.merge(o.sentLast)
	t.frN += o.frN
	t.frMs += o.frMs
	t.resN += o.resN
	t.resS += o.resS
	t.csatN += o.csatN
	t.csatSum += o.csatSum
	t.csatLast.merge(o.csatLast)
	t.effN += o.effN
	t.effSum += o.effSum
	t.effLast.merge(o.effLast)
	t.lowCsat += o.lowCsat
	t.stale += o.stale
}

// npsAcc keeps the count, the sum and the two latest NPS answers.
type npsAcc struct {
	n   int32
	sum int32
	top [2]latest // top[0] the latest answer, top[1] the one before
}

func (s *npsAcc) offer(l latest) {
	if !l.ok {
		return
	}
	switch {
	case !s.top[0].ok || l.ts > s.top[0].ts || (l.ts == s.top[0].ts && l.v >= s.top[0].v):
		s.top[1], s.top[0] = s.top[0], l
	case !s.top[1].ok || l.ts > s.top[1].ts || (l.ts == s.top[1].ts && l.v > s.top[1].v):
		s.top[1] = l
	}
}

func (s *npsAcc) merge(o *npsAcc) {
	s.n += o.n
	s.sum += o.sum
	s.offer(o.top[0])
	s.offer(o.top[1])
}

// ordAcc is the order state of one customer at one cutoff: windowed
// spend, and the lifetime RFM sums of the orders before the cutoff. With
// the customer's purchase days (a dayset) it gives the RFM figures; its
// size does not depend on the length of the history.
type ordAcc struct {
	spend [2]int64 // net amount (micro units) in the main window and the one before
	nLong int32    // orders in the long window

	nBuy, nRef int32 // purchases (amount >= 0) and refunds
	mN         int32 // purchases with a known margin
	first      int32 // first purchase day; valid when nBuy > 0
	last       int32 // last purchase day; valid when nBuy > 0
	buy, ref   int64 // micro units, ref positive
	mSum       int64 // margins of purchases with a known margin, micro units
	firstBuy   int64 // purchases on day first, micro units
	lastBuy    int64 // purchases on day last, micro units
}

// addLifetime records an order of amount amt (micro units) on day; margin
// is its margin in micro units, or negative when unknown.
func (s *ordAcc) addLifetime(day int32, amt, margin int64) {
	if amt < 0 {
		s.nRef++
		s.ref -= amt
		return
	}
	s.offerFirst(day, amt)
	s.offerLast(day, amt)
	s.nBuy++
	s.buy += amt
	if margin >= 0 {
		s.mSum += margin
		s.mN++
	}
}

// offerFirst records purchases of amt on day for the first-day figures;
// call it before counting them in nBuy.
func (s *ordAcc) offerFirst(day int32, amt int64) {
	switch {
	case s.nBuy == 0 || day < s.first:
		s.first, s.firstBuy = day, amt
	case day == s.first:
		s.firstBuy += amt
	}
}

// offerLast records purchases of amt on day for the last-day figures;
// call it before counting them in nBuy.
func (s *ordAcc) offerLast(day int32, amt int64) {
	switch {
	case s.nBuy == 0 || day > s.last:
		s.last, s.lastBuy = day, amt
	case day == s.last:
		s.lastBuy += amt
	}
}

func (s *ordAcc) merge(o *ordAcc) {
	s.spend[0] += o.spend[0]
	s.spend[1] += o.spend[1]
	s.nLong += o.nLong
	if o.nBuy > 0 {
		s.offerFirst(o.first, o.firstBuy)
		s.offerLast(o.last, o.lastBuy)
	}
	s.nBuy += o.nBuy
	s.nRef += o.nRef
	s.buy += o.buy
	s.ref += o.ref
	s.mSum += o.mSum
	s.mN += o.mN
}

// dayset is a set of days (days since the epoch), a bitmap from base, a
// multiple of 64. It holds one customer's purchase days: one bit per day
// between the first and the last.
type dayset struct {
	base int32
	bits []uint64
}

// add puts day in the set.
func (d *dayset) add(day int32) {
	d.cover(day)
	o := day - d.base
	d.bits[o/64] |= 1 << (o % 64)
}

// cover grows the bitmap to hold day.
func (d *dayset) cover(day int32) {
	w := int32(floorDiv(int64(day), 64) * 64)
	switch {
	case d.bits == nil:
		d.base, d.bits = w, make([]uint64, 1)
	case w < d.base:
		n := int((d.base - w) / 64)
		d.bits = append(make([]uint64, n, n+len(d.bits)), d.bits...)
		d.base = w
	case int(w-d.base)/64 >= len(d.bits):
		d.bits = append(d.bits, make([]uint64, int(w-d.base)/64+1-len(d.bits))...)
	}
}

// merge adds the days of o.
func (d *dayset) merge(o *dayset) {
	for i, w := range o.bits {
		if w == 0 {
			continue
		}
		day := o.base + int32(64*i)
		d.cover(day)
		d.bits[(day-d.base)/64] |= w
	}
}

// countBefore returns the number of days in the set before day.
func (d *dayset) countBefore(day int32) int {
	n := 0
	for i, w := range d.bits {
		start := d.base + int32(64*i)
		if start >= day {
			break
		}
		if end := start + 64; end > day {
			w &= 1<<uint(day-start) - 1
		}
		n += bits.OnesCount64(w)
	}
	return n
}

// fixed converts v to micro units.
func fixed(v float64) int64 { return int64(math.Round(v * micro)) }

// floorDiv divides rounding toward minus infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func popcount(v uint64) int      { return bits.OnesCount64(v) }
func trailingZeros(v uint64) int { return bits.TrailingZeros64(v) }
func leadingZeros(v uint64) int  { return bits.LeadingZeros64(v) }

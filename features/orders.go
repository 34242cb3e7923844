package features

import (
	"math"
	"math/bits"

	"churn/data"
)

// The orders table: the value and spend_trend families, their
// accumulator, the purchase days, the RFM summary and their fold.

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

var ordersFold = tableFold{
	table:   data.Orders,
	add:     rowsAdder((*Builder).addOrders),
	resolve: resolver(func(r *data.Order) string { return r.CustomerID }),
	reset:   func(b *Builder) { b.ord, b.ordSet = store[ordAcc]{}, nil },
	merge:   (*Builder).mergeOrders,
	move:    func(part, o *Builder) { part.ord, part.ordSet = o.ord, o.ordSet },
	// The view also sums up the customer's RFM figures at the cutoff.
	view: func(r *rowCtx, src *Builder, i int32, k int) {
		r.ord = src.ord.at(i, k, &r.zeroOrd)
		r.set = nil
		if src.ordSet != nil {
			r.set = &src.ordSet[int(i)-src.lo]
		}
		r.rfm = computeRFM(r.ord, r.set, r.c, r.b.cfg.DefaultMargin)
	},
}

// mergeOrders merges the orders of o, a fork of b, into b (Merge).
func (b *Builder) mergeOrders(o *Builder) {
	switch {
	case o.ord.idx == nil:
	case mergeOrMove(&b.ord, &o.ord, (*ordAcc).merge):
		b.ordSet, o.ordSet = o.ordSet, nil
	default:
		for i := range o.ordSet {
			b.ordSet[i].merge(&o.ordSet[i])
		}
	}
}

// AddOrders folds orders; rows of unknown customers are counted and
// ignored, as are rows with a null time or amount.
func (b *Builder) AddOrders(rows []data.Order) (unknown int) {
	return b.addOrders(rows, nil)
}

func (b *Builder) addOrders(rows []data.Order, idx []int32) (unknown int) {
	b.seen[data.Orders.Index()] = true
	if b.ord.idx == nil && b.cust != nil {
		b.ord = newStore[ordAcc](b.lo, b.hi, len(b.g.cutoffs))
		b.ordSet = make([]dayset, b.hi-b.lo)
	}
	g := &b.g
	for r := range rows {
		row := &rows[r]
		i, ok := b.customer(idx, r, row.CustomerID, &unknown)
		if !ok {
			continue
		}
		ts := row.TS
		if ts == data.NoTime || math.IsNaN(row.Amount) || math.IsInf(row.Amount, 0) {
			continue
		}
		if row.Amount >= 0 {
			b.markActivity(i, ts) // a refund is not activity
		}
		bucket := bucketOf(g.cutoffs, ts)
		if bucket == len(g.cutoffs) {
			continue
		}
		amt := fixed(row.Amount)
		day := int32(floorDiv(ts, dayNS))
		var margin int64 = -1
		if m := row.Margin; amt >= 0 && !math.IsNaN(m) && m >= 0 && m <= 1 {
			margin = fixed(m)
		}
		if amt >= 0 {
			b.ordSet[int(i)-b.lo].add(day)
		}
		accs := b.ord.get(i)
		mw, lw := g.wins[g.main], g.wins[g.long]
		for k := bucket; k < len(g.cutoffs); k++ {
			d := g.cutoffs[k] - ts
			a := &accs[k]
			a.addLifetime(day, amt, margin)
			if d <= mw {
				a.spend[0] += amt
			} else if d <= 2*mw {
				a.spend[1] += amt
			}
			if d <= lw {
				a.nLong++
			}
		}
	}
	return unknown
}

// rfm is the lifetime order summary of one customer at one cutoff.
type rfm struct {
	nBuy, nRef int64
	buy, ref   int64 // micro units
	first      int32 // first purchase day
	lastDay    int32
	x, tx, T   float64
	meanRepeat float64
	margin     float64
}

// computeRFM summarises the orders before cutoff c: o is the customer's
// state at c, days its purchase days (nil without orders). A purchase day
// counts when a purchase on it came before c; only the day of c itself can
// also hold purchases after c, and o.last tells whether one came before.
func computeRFM(o *ordAcc, days *dayset, c int64, defMargin float64) rfm {
	out := rfm{x: nan, tx: nan, T: nan, meanRepeat: nan, margin: defMargin}
	out.nRef, out.ref = int64(o.nRef), o.ref
	out.nBuy, out.buy = int64(o.nBuy), o.buy
	if o.mN > 0 {
		out.margin = float64(o.mSum) / micro / float64(o.mN)
	}
	if o.nBuy == 0 || days == nil {
		return out
	}
	cDay := int32(floorDiv(c, dayNS))
	nDays := days.countBefore(cDay)
	if o.last == cDay {
		nDays++
	}
	out.first, out.lastDay = o.first, o.last
	endDay := floorDiv(c-1, dayNS) // the last day before the cutoff
	out.x = float64(nDays - 1)
	out.tx = float64(out.lastDay - out.first)
	out.T = float64(endDay - int64(out.first))
	// A one-time buyer has no repeat spend: 0 for the value models
	// (lifetimes' convention, which Gamma-Gamma reads as "use the
	// population mean"), NaN for the feature (emitValue).
	out.meanRepeat = 0
	if nDays > 1 {
		out.meanRepeat = float64(o.buy-o.firstBuy) / micro / float64(nDays-1)
	}
	return out
}

func emitValue(e *emitter, r *rowCtx) {
	v := &r.rfm
	o := r.ord
	g := &r.b.g
	md, ld := winDays(r, g.main), winDays(r, g.long)
	mw := g.wins[g.main]
	total := float64(v.buy) / micro
	refunds := float64(v.ref) / micro
	recency := nan
	if v.nBuy > 0 {
		recency = float64(floorDiv(r.c-1, dayNS) - int64(v.lastDay))
	}
	spendChange := nan
	if exposure(r, mw, 2*mw) >= mw {
		spendChange = float64(o.spend[0]-o.spend[1]) / micro
	}
	months := spendMonths(r.tenure)
	aov := ratio(total, float64(v.nBuy))
	e.put("orders_total", float64(v.nBuy))
	e.put("purchase_days", indicatorCount(v.x))
	e.put("days_since_order", recency)
	e.put("monetary_total", total)
	e.put("avg_order_value", aov)
	repeatValue := v.meanRepeat
	if v.x == 0 {
		repeatValue = nan // no repeat purchase day: no mean
	}
	e.put("repeat_day_value", repeatValue)
	e.put("refunds_count", float64(v.nRef))
	e.put("refunds_amount", refunds)
	e.put("refund_share", ratio(refunds, total))
	e.putf("spend_%dd", md, float64(o.spend[0])/micro)
	e.putf("spend_change_%dd", md, spendChange)
	e.putf("orders_%dd", ld, float64(o.nLong))
	e.put("spend_per_30d", (total-refunds)/months)
	e.put("margin_mean", v.margin)
	// Historical CLV = average sale x purchases per month x months of
	// tenure x margin, which is net revenue to date times the margin.
	e.put("historical_clv", (total-refunds)*v.margin)
	e.put("orders_none", indicator(v.nBuy == 0))
}

// indicatorCount turns x = purchase days - 1 back into purchase days (0
// when there is no purchase).
func indicatorCount(x float64) float64 {
	if math.IsNaN(x) {
		return 0
	}
	return x + 1
}

// spendMonths is the number of months that spend rates divide by: the
// tenure, but at least one month. A customer who paid a monthly invoice a
// week ago spends one invoice a month, not four.
func spendMonths(tenure int64) float64 {
	return float64(max(tenure, 30*dayNS)) / float64(30*dayNS)
}

// emitSpendTrend is the family "spend_trend" (orders).
func emitSpendTrend(e *emitter, r *rowCtx) {
	o := r.ord
	v := &r.rfm
	g := &r.b.g
	mw := g.wins[g.main]
	md := winDays(r, g.main)
	cur := float64(o.spend[0]) / micro
	vsBase := nan
	if early := r.tenure - mw; early >= mw {
		before := float64(v.buy-v.ref)/micro - cur
		if before > 0 {
			vsBase = (cur / float64(mw)) / (before / float64(early))
		}
	}
	trend := nan
	if exposure(r, mw, 2*mw) >= mw {
		trend = ratio(cur, float64(o.spend[1])/micro)
	}
	lastVsAvg := nan
	if days := indicatorCount(v.x); days > 0 {
		lastVsAvg = ratio(float64(o.lastBuy)/micro, float64(v.buy)/micro/days)
	}
	e.put("spend_vs_baseline", vsBase)
	e.putf("spend_ratio_%dd", md, trend)
	e.put("last_order_vs_avg", lastVsAvg)
}

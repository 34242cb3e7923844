package features

import "math"

// Each emitX function below is one feature family: it puts the same named
// columns, in the same order, for every row. doc.go lists them.

var nan = math.NaN()

func winDays(r *rowCtx, w int) int { return int(r.b.g.wins[w] / dayNS) }

// exposure is the part of [c-hi, c-lo) after signup, in ns.
func exposure(r *rowCtx, lo, hi int64) int64 {
	return max(0, min(hi, r.tenure)-lo)
}

// perWeek is n per 7 days over an exposure; NaN below one day of exposure.
func perWeek(n float64, expo int64) float64 {
	if expo < dayNS {
		return nan
	}
	return n / (float64(expo) / float64(weekNS))
}

func ratio(a, b float64) float64 {
	if b == 0 || math.IsNaN(a) || math.IsNaN(b) {
		return nan
	}
	return a / b
}

// windowRates gives the exposure-scaled weekly rates of the current and
// previous window w; prev is NaN until the previous window holds at least
// min(w, 7 days) of tenure.
func windowRates(r *rowCtx, a *actAcc, w int) (cur, prev float64) {
	wl := r.b.g.wins[w]
	cur = perWeek(float64(a.n[w][0]), exposure(r, 0, wl))
	pe := exposure(r, wl, 2*wl)
	if pe < min(wl, weekNS) {
		return cur, nan
	}
	return cur, perWeek(float64(a.n[w][1]), pe)
}

// weeklySlope is the least-squares slope, in rows per week per week, of
// the weekly counts over the complete weeks after signup (at most 12);
// NaN with fewer than 4 such weeks.
func weeklySlope(r *rowCtx, a *actAcc) float64 {
	k := int(min(int64(weeksN), r.tenure/weekNS))
	if k < 4 {
		return nan
	}
	var sx, sy float64
	for j := 0; j < k; j++ {
		sx += float64(-j)
		sy += float64(a.weeks[j])
	}
	mx, my := sx/float64(k), sy/float64(k)
	var sxy, sxx float64
	for j := 0; j < k; j++ {
		dx := float64(-j) - mx
		sxy += dx * (float64(a.weeks[j]) - my)
		sxx += dx * dx
	}
	return sxy / sxx
}

// baseline is the ratio of the main-window weekly rate to the weekly rate
// over the customer's whole earlier history; NaN until that history is at
// least one main window long, or when it had no activity.
func baseline(r *rowCtx, a *actAcc) float64 {
	mw := r.b.g.wins[r.b.g.main]
	if r.tenure-mw < mw {
		return nan
	}
	cur := perWeek(float64(a.n[r.b.g.main][0]), mw)
	base := perWeek(float64(a.total-a.n[r.b.g.main][0]), r.tenure-mw)
	return ratio(cur, base)
}

func daysSince(r *rowCtx, any bool, ts int64) float64 {
	if !any {
		return nan
	}
	return float64(r.c-ts) / float64(dayNS)
}

func indicator(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// onboarding is the count in the first days after signup, NaN until that
// period has passed.
func onboarding(r *rowCtx, n uint16, days int64) float64 {
	if r.tenure < days*dayNS {
		return nan
	}
	return float64(n)
}

func emitProfile(e *emitter, r *rowCtx) {
	e.put("tenure_days", float64(r.tenure)/float64(dayNS))
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

func emitVisits(e *emitter, r *rowCtx) {
	s := r.sess
	a := &s.act
	g := &r.b.g
	for w := 0; w < g.nW; w++ {
		d := winDays(r, w)
		cur, prev := windowRates(r, a, w)
		e.putf("sessions_%dd", d, float64(a.n[w][0]))
		e.putf("sessions_per_week_%dd", d, cur)
		e.putf("sessions_ratio_%dd", d, ratio(cur, prev))
		e.putf("active_days_%dd", d, float64(a.activeDays(0, d)))
	}
	md := winDays(r, g.main)
	mw := g.wins[g.main]
	// Stickiness: the share of the main window's days (after signup) with
	// a session, the per-customer form of DAU/MAU.
	curDays := math.Ceil(float64(exposure(r, 0, mw)) / float64(dayNS))
	stick := ratio(float64(a.activeDays(0, md)), curDays)
	prevStick := nan
	if pe := exposure(r, mw, 2*mw); pe >= min(mw, weekNS) {
		prevStick = ratio(float64(a.activeDays(md, 2*md)), math.Ceil(float64(pe)/float64(dayNS)))
	}
	e.put("stickiness", stick)
	e.put("stickiness_change", stick-prevStick)
	e.put("days_since_session", daysSince(r, a.total > 0, a.last))
	e.put("session_never", indicator(a.total == 0))
	dur := [2]float64{ratio(float64(s.durMs[0])/1000, float64(s.durN[0])), ratio(float64(s.durMs[1])/1000, float64(s.durN[1]))}
	pages := [2]float64{ratio(float64(s.pages[0]), float64(s.pagesN[0])), ratio(float64(s.pages[1]), float64(s.pagesN[1]))}
	e.putf("session_seconds_%dd", md, dur[0])
	e.put("session_seconds_ratio", ratio(dur[0], dur[1]))
	e.putf("pages_per_session_%dd", md, pages[0])
	e.put("pages_per_session_ratio", ratio(pages[0], pages[1]))
	e.put("session_weekly_slope", weeklySlope(r, a))
	e.put("sessions_vs_baseline", baseline(r, a))
	e.put("onboarding_sessions_14d", onboarding(r, a.onb[0], 14))
	e.put("onboarding_sessions_30d", onboarding(r, a.onb[1], 30))
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

func emitTickets(e *emitter, r *rowCtx) {
	t := r.tick
	g := &r.b.g
	for w := 0; w < g.nW; w++ {
		e.putf("tickets_%dd", winDays(r, w), float64(t.n[w]))
	}
	ld, md := winDays(r, g.long), winDays(r, g.main)
	lw, mw := g.wins[g.long], g.wins[g.main]
	per30 := nan
	if x := exposure(r, 0, lw); x >= dayNS {
		per30 = float64(t.n[g.long]) / (float64(x) / float64(30*dayNS))
	}
	e.putf("tickets_per_30d_%dd", ld, per30)
	change := nan
	if exposure(r, mw, 2*mw) >= mw {
		change = float64(t.n[g.main] - t.prevMain)
	}
	e.putf("tickets_change_%dd", md, change)
	b := r.b
	counts := r.chanBuf[:len(b.tickRanks)+1]
	b.tickRanks.split(&t.ch, 0, counts)
	for s, v := range counts {
		e.put(b.tickChanNames[s], v)
	}
	e.put("tickets_open", float64(t.open))
	e.put("tickets_total", float64(t.total))
	e.put("days_since_ticket", daysSince(r, t.total > 0, t.last))
	e.putf("first_response_hours_%dd", ld, ratio(float64(t.frMs)/3.6e6, float64(t.frN)))
	e.putf("resolution_hours_%dd", ld, ratio(float64(t.resS)/3600, float64(t.resN)))
	e.putf("csat_mean_%dd", ld, ratio(float64(t.csatSum), float64(t.csatN)))
	e.put("csat_latest", latestValue(t.csatLast, 1))
	e.putf("effort_mean_%dd", ld, ratio(float64(t.effSum), float64(t.effN)))
	e.put("effort_latest", latestValue(t.effLast, 1))
	e.putf("tickets_none_%dd", ld, indicator(t.n[g.long] == 0))
}

func latestValue(l latest, scale float64) float64 {
	if !l.ok {
		return nan
	}
	return float64(l.v) / scale
}

func emitSentiment(e *emitter, r *rowCtx) {
	t := r.tick
	g := &r.b.g
	ld, md := winDays(r, g.long), winDays(r, g.main)
	lowest := nan
	if t.sentN > 0 {
		lowest = float64(t.sentMin) / micro
	}
	e.putf("sentiment_mean_%dd", ld, ratio(float64(t.sentSum)/micro, float64(t.sentN)))
	e.put("sentiment_latest", latestValue(t.sentLast, micro))
	e.putf("sentiment_min_%dd", ld, lowest)
	e.putf("negative_share_%dd", ld, ratio(float64(t.neg), float64(t.sentN)))
	e.putf("negative_tickets_%dd", md, float64(t.negMain))
	e.putf("negative_tickets_%dd", ld, float64(t.neg))
}

func emitNPS(e *emitter, r *rowCtx) {
	s := r.nps
	last, prev := s.top[0], s.top[1]
	score := latestValue(last, 1)
	cat := func(lo, hi int32) float64 {
		if !last.ok {
			return 0
		}
		return indicator(last.v >= lo && last.v <= hi)
	}
	change := nan
	if prev.ok {
		change = float64(last.v - prev.v)
	}
	e.put("nps_latest", score)
	e.put("nps_promoter", cat(9, 10))
	e.put("nps_passive", cat(7, 8))
	e.put("nps_detractor", cat(0, 6))
	e.put("nps_change", change)
	e.put("days_since_nps", daysSince(r, last.ok, last.ts))
	e.put("nps_count", float64(s.n))
	e.put("nps_mean", ratio(float64(s.sum), float64(s.n)))
	e.put("nps_none", indicator(s.n == 0))
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

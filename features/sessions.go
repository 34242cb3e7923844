package features

import (
	"math"

	"churn/data"
)

// The sessions table: the visits and channels families, their accumulator
// and their fold.

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

var sessionsFold = tableFold{
	table:   data.Sessions,
	add:     columnsAdder((*Builder).addSessions, sessionColumns, func(c *data.SessionColumns) int { return len(c.CustomerID) }),
	resolve: resolver(func(r *data.Session) string { return r.CustomerID }),
	reset:   func(b *Builder) { b.sess = store[sessAcc]{} },
	merge:   func(b, o *Builder) { mergeOrMove(&b.sess, &o.sess, (*sessAcc).merge) },
	move:    func(part, o *Builder) { part.sess = o.sess },
	view: func(r *rowCtx, src *Builder, i int32, k int) {
		r.sess = &r.zeroSes
		if a := src.sess.peek(i); a != nil {
			r.sessBuf = a[k]
			r.sessBuf.act = cumulate(k, func(j int) *actAcc { return &a[j].act })
			r.sess = &r.sessBuf
		}
	},
}

// AddSessions folds session rows; rows of unknown customers are counted
// and ignored, as are rows with a null start.
func (b *Builder) AddSessions(rows []data.Session) (unknown int) {
	return b.addSessions(sessionColumns(rows), nil)
}

// sessionColumns lays rows out as the column batch the fold reads.
func sessionColumns(rows []data.Session) *data.SessionColumns {
	c := &data.SessionColumns{
		CustomerID: make([]string, len(rows)),
		StartedAt:  make([]int64, len(rows)),
		DurationS:  make([]float64, len(rows)),
		Pages:      make([]float64, len(rows)),
		Channel:    make([]string, len(rows)),
	}
	for i, r := range rows {
		c.CustomerID[i], c.StartedAt[i], c.DurationS[i], c.Pages[i], c.Channel[i] = r.CustomerID, r.StartedAt, r.DurationS, r.Pages, r.Channel
	}
	return c
}

// addSessions folds a batch of sessions; idx, when given, holds the
// customer index of each row (negative for an unknown id).
func (b *Builder) addSessions(c *data.SessionColumns, idx []int32) (unknown int) {
	b.seen[data.Sessions.Index()] = true
	if b.sess.idx == nil && b.cust != nil {
		b.sess = newStore[sessAcc](b.lo, b.hi, len(b.g.cutoffs))
	}
	g := &b.g
	n := len(c.CustomerID)
	starts, durs, pages, chans := c.StartedAt[:n], c.DurationS[:n], c.Pages[:n], c.Channel[:n]
	for r := range n {
		i, ok := b.customer(idx, r, c.CustomerID[r], &unknown)
		if !ok {
			continue
		}
		ts := starts[r]
		if ts == data.NoTime {
			continue
		}
		b.markActivity(i, ts)
		ch := chanHash(chans[r])
		if ts < b.chanUntil {
			b.chanCount[0].add(ch, chans[r], i, ts)
		}
		if ts >= g.cutoffs[len(g.cutoffs)-1] {
			continue
		}
		accs := b.sess.get(i)
		k0 := bucketOf(g.cutoffs, ts)
		accs[k0].act.addLifetime(ts, b.cust.signup[i])
		mw := g.wins[g.main]
		for k := k0; k < len(g.cutoffs); k++ {
			d := g.cutoffs[k] - ts
			if d > g.reach {
				break
			}
			a := &accs[k]
			a.act.addWindow(g, d)
			if d > 2*mw {
				continue
			}
			p := 0
			if d > mw {
				p = 1
			}
			var one [2]uint16
			one[p] = 1
			a.ch.add(ch, one)
			if v := durs[r]; !math.IsNaN(v) && v >= 0 && !math.IsInf(v, 0) {
				a.durMs[p] += int64(math.Round(v * 1000))
				a.durN[p]++
			}
			if v := pages[r]; !math.IsNaN(v) && v >= 0 && !math.IsInf(v, 0) {
				a.pages[p] += int64(math.Round(v))
				a.pagesN[p]++
			}
		}
	}
	return unknown
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

// emitChannels is the family "channels" (sessions).
func emitChannels(e *emitter, r *rowCtx) {
	c := &r.sess.ch
	md := winDays(r, r.b.g.main)
	var cur, prev [chanSlots + 1]float64
	var curN, prevN float64
	kinds := 0
	for j := 0; j < int(c.used); j++ {
		cur[j], prev[j] = float64(c.n[j][0]), float64(c.n[j][1])
	}
	cur[chanSlots], prev[chanSlots] = float64(c.over[0]), float64(c.over[1])
	top := 0.0
	for j := range cur {
		curN += cur[j]
		prevN += prev[j]
		if cur[j] > 0 {
			kinds++
		}
		top = max(top, cur[j])
	}
	// The shift is summed in integers: the slots are in hash order, and a
	// float sum in that order would round differently for other names.
	shift := nan
	if curN > 0 && prevN > 0 {
		var num int64
		for j := range cur {
			d := int64(cur[j])*int64(prevN) - int64(prev[j])*int64(curN)
			num += max(d, -d)
		}
		shift = float64(num) / (2 * curN * prevN)
	}
	e.putf("session_channels_%dd", md, float64(kinds))
	e.putf("session_top_channel_share_%dd", md, ratio(top, curN))
	e.put("session_channel_shift", shift)
	e.put("sessions_per_tenure_day", perTenureDay(r, float64(r.sess.act.total)))
	// The catalog's channels by rank, and "other": the share of the
	// window's sessions, and its change on the window before.
	b := r.b
	n := len(b.sessRanks) + 1
	rc, rp := r.chanBuf[:n], r.chanBuf[MaxChannels+1:][:n]
	rcN := b.sessRanks.split(c, 0, rc)
	rpN := b.sessRanks.split(c, 1, rp)
	for s := range n {
		share := ratio(rc[s], rcN)
		change := nan
		if rcN > 0 && rpN > 0 {
			change = share - rp[s]/rpN
		}
		e.put(b.sessChanNames[2*s], share)
		e.put(b.sessChanNames[2*s+1], change)
	}
}

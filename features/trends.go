package features

// Channels, paces, support load and spend trends: features that compare a
// customer with their own past, and that name nothing (see doc.go).

// chanSlots is how many session channels a customer's state tells apart;
// the channels beyond them are summed into one.
const chanSlots = 4

// chanAcc counts a customer's sessions per channel in the main window and
// the one before it, at one cutoff. Channels are told apart by a 32-bit
// hash of their name (0 is the empty name). It keeps the chanSlots
// smallest hashes, ascending, and sums the others into over, so the
// state does not depend on the order of rows or merges.
type chanAcc struct {
	hash [chanSlots]uint32
	n    [chanSlots][2]uint16
	used uint8
	over [2]uint16
}

func chanHash(name string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(name); i++ {
		h ^= uint32(name[i])
		h *= 16777619
	}
	return h
}

// add counts n[0], n[1] sessions of the channel hashed h.
func (c *chanAcc) add(h uint32, n [2]uint16) {
	j := 0
	for j < int(c.used) && c.hash[j] < h {
		j++
	}
	if j < int(c.used) && c.hash[j] == h {
		c.n[j][0] = sat16add(c.n[j][0], n[0])
		c.n[j][1] = sat16add(c.n[j][1], n[1])
		return
	}
	if j == chanSlots {
		c.over[0], c.over[1] = sat16add(c.over[0], n[0]), sat16add(c.over[1], n[1])
		return
	}
	if int(c.used) == chanSlots {
		last := chanSlots - 1
		c.over[0], c.over[1] = sat16add(c.over[0], c.n[last][0]), sat16add(c.over[1], c.n[last][1])
		c.used--
	}
	copy(c.hash[j+1:c.used+1], c.hash[j:c.used])
	copy(c.n[j+1:c.used+1], c.n[j:c.used])
	c.hash[j], c.n[j] = h, n
	c.used++
}

func (c *chanAcc) merge(o *chanAcc) {
	for j := 0; j < int(o.used); j++ {
		c.add(o.hash[j], o.n[j])
	}
	c.over[0], c.over[1] = sat16add(c.over[0], o.over[0]), sat16add(c.over[1], o.over[1])
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

// emitPace is the family "pace" (events).
func emitPace(e *emitter, r *rowCtx) {
	e.put("core_per_tenure_day", perTenureDay(r, float64(r.ev.core.total)))
}

// lowCSAT is the highest CSAT that counts as low.
const lowCSAT = 2

// staleDays is the age from which an open ticket counts as unresolved.
const staleDays = 7

// emitSupportLoad is the family "support_load" (tickets).
func emitSupportLoad(e *emitter, r *rowCtx) {
	t := r.tick
	ld := winDays(r, r.b.g.long)
	e.putf("tickets_low_csat_%dd", ld, float64(t.lowCsat))
	e.put("tickets_stale_open", float64(t.stale))
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

package features

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
)

// Channels, paces, support load and spend trends: features that compare a
// customer with their own past, and that name nothing (see doc.go).

// chanSlots is how many channels (of sessions or of tickets) a customer's
// state tells apart; the channels beyond them are summed into one.
const chanSlots = 4

// chanAcc counts a customer's sessions per channel in the main window and
// the one before it (tickets: in the long window, n[j][0]), at one
// cutoff. Channels are told apart by a 32-bit hash of their name. It keeps the chanSlots
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

// chanStat is what a Builder keeps of one channel name of one table, to
// rank the names as rankNames ranks event names.
type chanStat struct {
	name    string
	hash    uint32
	n       int64
	sumCust uint64
	sumTS   uint64
	minTS   int64
}

// chanCounts counts the rows per channel name of one table; names are
// told apart by chanHash (two names of one hash count as the first seen).
type chanCounts struct {
	stats []chanStat
	at    map[uint32]int32 // hash -> index in stats
	last  int32            // the index of the latest row's name, a cache
}

// add counts a row of customer i at ts on the channel name of hash h.
func (c *chanCounts) add(h uint32, name string, i int32, ts int64) {
	j := c.find(h)
	if j < 0 {
		if c.at == nil {
			c.at = map[uint32]int32{}
		}
		j = int32(len(c.stats))
		c.at[h] = j
		c.stats = append(c.stats, chanStat{name: strings.Clone(name), hash: h, minTS: math.MaxInt64})
	}
	c.last = j
	s := &c.stats[j]
	s.n++
	s.sumCust += uint64(i)
	s.sumTS += uint64(ts)
	s.minTS = min(s.minTS, ts)
}

// find returns the index of hash h in stats, -1 when absent: the latest
// row's first, then a scan of the few names most tables have, then the
// map.
func (c *chanCounts) find(h uint32) int32 {
	if j := c.last; int(j) < len(c.stats) && c.stats[j].hash == h {
		return j
	}
	if len(c.stats) <= 8 {
		for j := range c.stats {
			if c.stats[j].hash == h {
				return int32(j)
			}
		}
		return -1
	}
	if j, ok := c.at[h]; ok {
		return j
	}
	return -1
}

// merge adds the counts of o.
func (c *chanCounts) merge(o *chanCounts) {
	for _, s := range o.stats {
		j, ok := c.at[s.hash]
		if !ok {
			if c.at == nil {
				c.at = map[uint32]int32{}
			}
			j = int32(len(c.stats))
			c.at[s.hash] = j
			c.stats = append(c.stats, chanStat{name: s.name, hash: s.hash, minTS: math.MaxInt64})
		}
		t := &c.stats[j]
		t.n += s.n
		t.sumCust += s.sumCust
		t.sumTS += s.sumTS
		t.minTS = min(t.minTS, s.minTS)
	}
}

// top returns the MaxChannels most frequent non-empty names, ties broken
// by the rows' statistics and by the name last, as rankNames does.
func (c *chanCounts) top() []string {
	st := slices.Clone(c.stats)
	slices.SortFunc(st, func(a, b chanStat) int {
		return cmp.Or(cmp.Compare(b.n, a.n), cmp.Compare(a.minTS, b.minTS), cmp.Compare(a.sumCust, b.sumCust),
			cmp.Compare(a.sumTS, b.sumTS), strings.Compare(a.name, b.name))
	})
	var out []string
	for _, s := range st {
		if s.name != "" && len(out) < MaxChannels {
			out = append(out, s.name)
		}
	}
	return out
}

// chanRanks are a table's catalog channels as the fold sees them: the
// hash of the name of each rank.
type chanRanks []uint32

func newChanRanks(names []string) chanRanks {
	out := make(chanRanks, 0, len(names))
	for _, n := range names {
		if h := chanHash(n); !slices.Contains(out, h) {
			out = append(out, h)
		}
	}
	return out
}

// split spreads a customer's per-channel counts (window p of c) over the
// ranks, into dst (len(ranks)+1, "other" last), and returns the total.
func (r chanRanks) split(c *chanAcc, p int, dst []float64) float64 {
	clear(dst)
	total := float64(c.over[p])
	dst[len(r)] = total
	for j := 0; j < int(c.used); j++ {
		v := float64(c.n[j][p])
		total += v
		if s := slices.Index(r, c.hash[j]); s >= 0 {
			dst[s] += v
		} else {
			dst[len(r)] += v
		}
	}
	return total
}

// channelNames are the column names of the ranked channels of a table:
// format applied to "cNN" per rank and to "other".
func channelNames(n int, format string) []string {
	out := make([]string, 0, n+1)
	for s := 0; s < n; s++ {
		out = append(out, fmt.Sprintf(format, fmt.Sprintf("c%02d", s+1)))
	}
	return append(out, fmt.Sprintf(format, "other"))
}

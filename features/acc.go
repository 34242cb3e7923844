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

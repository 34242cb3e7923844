package features

import "math"

// The helpers that the feature families share. Each family is an emitX
// function in its table's file: it puts the same named columns, in the
// same order, for every row. doc.go lists them.

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

func latestValue(l latest, scale float64) float64 {
	if !l.ok {
		return nan
	}
	return float64(l.v) / scale
}

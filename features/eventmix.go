package features

import (
	"fmt"
	"math"
)

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

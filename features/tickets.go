package features

import (
	"math"
	"strings"

	"churn/data"
	"churn/features/sentiment"
)

// The tickets table: the tickets, sentiment and support_load families,
// their accumulator and their fold.

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

var ticketsFold = tableFold{
	table:   data.Tickets,
	add:     rowsAdder((*Builder).addTickets),
	resolve: resolver(func(r *data.Ticket) string { return r.CustomerID }),
	reset:   func(b *Builder) { b.tick = store[tickAcc]{} },
	merge:   func(b, o *Builder) { mergeOrMove(&b.tick, &o.tick, (*tickAcc).merge) },
	move:    func(part, o *Builder) { part.tick = o.tick },
	view: func(r *rowCtx, src *Builder, i int32, k int) {
		r.tick = src.tick.at(i, k, &r.zeroTk)
	},
}

// AddTickets folds ticket rows; rows of unknown customers are counted and
// ignored, as are rows with a null creation time. A ticket's text is
// scored only when its precomputed sentiment is null.
func (b *Builder) AddTickets(rows []data.Ticket) (unknown int) {
	return b.addTickets(rows, nil)
}

func (b *Builder) addTickets(rows []data.Ticket, idx []int32) (unknown int) {
	b.seen[data.Tickets.Index()] = true
	if b.tick.idx == nil && b.cust != nil {
		b.tick = newStore[tickAcc](b.lo, b.hi, len(b.g.cutoffs))
	}
	g := &b.g
	for r := range rows {
		row := &rows[r]
		i, ok := b.customer(idx, r, row.CustomerID, &unknown)
		if !ok {
			continue
		}
		ts := row.CreatedAt
		if ts == data.NoTime {
			continue
		}
		ch := chanHash(row.Channel)
		if ts < b.chanUntil {
			b.chanCount[1].add(ch, row.Channel, i, ts)
		}
		if ts >= g.cutoffs[len(g.cutoffs)-1] {
			continue
		}
		sent := row.Sentiment
		if math.IsNaN(sent) && row.Text != "" {
			sent = b.memo.score(row.Text)
		}
		hasSent := !math.IsNaN(sent) && !math.IsInf(sent, 0)
		s := fixed(max(-1, min(1, sent)))
		neg := hasSent && s < b.negSent
		// CSAT and effort are known once the ticket is resolved (at
		// creation when it has no resolution time).
		known := ts
		if row.ResolvedAt != data.NoTime && row.ResolvedAt > ts {
			known = row.ResolvedAt
		}
		accs := b.tick.get(i)
		lw, mw := g.wins[g.long], g.wins[g.main]
		for k, c := range g.cutoffs {
			d := c - ts
			if d <= 0 {
				continue
			}
			a := &accs[k]
			for w := 0; w < g.nW; w++ {
				if d <= g.wins[w] {
					a.n[w]++
				}
			}
			if d > mw && d <= 2*mw {
				a.prevMain++
			}
			if a.total == 0 || ts > a.last {
				a.last = ts
			}
			a.total++
			if row.ResolvedAt == data.NoTime || row.ResolvedAt >= c {
				a.open++
				if d >= staleDays*dayNS {
					a.stale++
				}
			}
			if d > lw {
				continue
			}
			a.ch.add(ch, [2]uint16{1, 0})
			if hasSent {
				if a.sentN == 0 || int32(s) < a.sentMin {
					a.sentMin = int32(s)
				}
				a.sentN++
				a.sentSum += s
				a.sentLast.offer(ts, int32(s))
				if neg {
					a.neg++
					if d <= mw {
						a.negMain++
					}
				}
			}
			if v := row.FirstResponseS; !math.IsNaN(v) && v >= 0 && !math.IsInf(v, 0) && float64(d) > v*1e9 {
				a.frN++
				a.frMs += int64(math.Round(v * 1000))
			}
			if row.ResolvedAt != data.NoTime && row.ResolvedAt < c && row.ResolvedAt >= ts {
				a.resN++
				a.resS += (row.ResolvedAt - ts) / 1e9
			}
			if known < c {
				if v := row.CSAT; v >= 1 && v <= 5 {
					if v <= lowCSAT {
						a.lowCsat++
					}
					a.csatN++
					a.csatSum += int32(v)
					a.csatLast.offer(known, int32(v))
				}
				if v := row.Effort; v >= 1 && v <= 5 {
					a.effN++
					a.effSum += int32(v)
					a.effLast.offer(known, int32(v))
				}
			}
		}
	}
	return unknown
}

// scoreText scores a ticket's text when its precomputed sentiment is null.
var scoreText = sentiment.Score

// textMemo keeps the scores of the first maxMemo distinct ticket texts a
// Builder scores. Ticket texts often repeat (templates, canned replies; in
// the generator's data nearly all do), and scoring one costs most of the
// CPU that folding a ticket takes. Scores are a function of the text, so a
// remembered score is the score.
type textMemo struct {
	m map[string]float64
}

const maxMemo = 1 << 14

func (t *textMemo) score(text string) float64 {
	if s, ok := t.m[text]; ok {
		return s
	}
	s := scoreText(text)
	if t.m == nil {
		t.m = map[string]float64{}
	}
	if len(t.m) < maxMemo && len(text) <= 1<<10 {
		t.m[strings.Clone(text)] = s
	}
	return s
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

// emitSupportLoad is the family "support_load" (tickets).
func emitSupportLoad(e *emitter, r *rowCtx) {
	t := r.tick
	ld := winDays(r, r.b.g.long)
	e.putf("tickets_low_csat_%dd", ld, float64(t.lowCsat))
	e.put("tickets_stale_open", float64(t.stale))
}

// lowCSAT is the highest CSAT that counts as low.
const lowCSAT = 2

// staleDays is the age from which an open ticket counts as unresolved.
const staleDays = 7

package features

import "churn/data"

// The surveys table: the nps family, its accumulator and its fold.

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

var surveysFold = tableFold{
	table:   data.Surveys,
	add:     rowsAdder((*Builder).addSurveys),
	resolve: resolver(func(r *data.Survey) string { return r.CustomerID }),
	reset:   func(b *Builder) { b.nps = store[npsAcc]{} },
	merge:   func(b, o *Builder) { mergeOrMove(&b.nps, &o.nps, (*npsAcc).merge) },
	move:    func(part, o *Builder) { part.nps = o.nps },
	view: func(r *rowCtx, src *Builder, i int32, k int) {
		r.nps = src.nps.at(i, k, &r.zeroNPS)
	},
}

// AddSurveys folds NPS answers; rows of unknown customers are counted and
// ignored, as are rows with a null time or a score outside 0..10.
func (b *Builder) AddSurveys(rows []data.Survey) (unknown int) {
	return b.addSurveys(rows, nil)
}

func (b *Builder) addSurveys(rows []data.Survey, idx []int32) (unknown int) {
	b.seen[data.Surveys.Index()] = true
	if b.nps.idx == nil && b.cust != nil {
		b.nps = newStore[npsAcc](b.lo, b.hi, len(b.g.cutoffs))
	}
	g := &b.g
	for r := range rows {
		row := &rows[r]
		i, ok := b.customer(idx, r, row.CustomerID, &unknown)
		if !ok {
			continue
		}
		ts := row.AnsweredAt
		if ts == data.NoTime || row.NPS < 0 || row.NPS > 10 || ts >= g.cutoffs[len(g.cutoffs)-1] {
			continue
		}
		accs := b.nps.get(i)
		for k, c := range g.cutoffs {
			if ts >= c {
				continue
			}
			a := &accs[k]
			a.n++
			a.sum += int32(row.NPS)
			a.offer(latest{ts, int32(row.NPS), true})
		}
	}
	return unknown
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

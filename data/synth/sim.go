package synth

import (
	"cmp"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"

	"churn/data"
)

type custState uint8

const (
	pending custState = iota // not signed up yet
	active
	gone
)

// activation of a customer: unknown during the first 21 days.
const (
	actUnknown int8 = iota
	actNo
	actYes
)

// customer is the latent state of one simulated customer.
type customer struct {
	pcg rand.PCG
	rng *rand.Rand

	idx       int
	id        string
	num       []byte // the digits of id, for ticket and order ids
	signup    int64
	signupDay int // day index of the signup, negative for the initial base
	plan      plan
	region    int
	channel   int
	regionNm  string
	channelNm string
	discount  float64 // price discount during the first year
	price     float64

	mu, e, fast, slow float64 // engagement: baseline, level, 7 and 45 day averages
	offset            float64 // shift of the target of e by decline episodes
	declineRate       float64
	declineLeft       int
	recovering        bool
	problemLeft       int
	sev               float64 // severity of the current product problem
	bad               float64 // decayed count of bad support experiences
	satP              float64 // personal satisfaction, not seen by usage
	onb               float64 // onboarding propensity
	core21            int     // core actions in the first 21 days
	activated         int8
	appShare          float64
	integ             bool
	buyRate, spend    float64

	nextInvoice int
	refundDay   int
	refundAmt   float64
	tickets     int
	orders      int
	state       custState
	cancelledAt int64
}

func newCustomer(c *customer, cfg Config, idx int, start int64) {
	*c = customer{idx: idx}
	c.pcg = *rand.NewPCG(splitmix64(uint64(cfg.Seed)), splitmix64(uint64(idx)^0x5bd1e995))
	c.rng = rand.New(&c.pcg)
	r := c.rng
	c.id = CustomerID(idx)
	c.num = []byte(c.id[1:])

	if r.Float64() < cfg.NonContractualShare {
		c.plan = payg
	} else {
		c.plan = plan(weighted(r, int(payg), func(i int) float64 { return planSpecs[i].share }))
	}
	c.region = weighted(r, len(regionSpecs), func(i int) float64 { return regionSpecs[i].share })
	c.channel = weighted(r, len(channelSpecs), func(i int) float64 { return channelSpecs[i].share })
	c.regionNm = regionSpecs[c.region].name
	if r.Float64() < 0.01 {
		c.regionNm = ""
	}
	c.channelNm = channelSpecs[c.channel].name
	if r.Float64() < 0.03 {
		c.channelNm = ""
	}
	ps := &planSpecs[c.plan]
	if ps.price > 0 && r.Float64() < 0.2 {
		c.discount = 0.15
	}
	c.price = ps.price

	c.mu = ps.logVisits + 0.6*r.NormFloat64()
	c.satP = 0.7 * r.NormFloat64()
	c.onb = r.NormFloat64()
	c.appShare = r.Float64()
	c.integ = r.Float64() < ps.integ
	if c.plan == payg {
		c.buyRate = gamma(r, 0.8, 1.0/20/0.8)
		c.spend = math.Exp(math.Log(45) + 0.7*r.NormFloat64())
	} else {
		c.buyRate = gamma(r, 0.5, 1.0/90/0.5)
		c.spend = math.Exp(math.Log(30) + 0.6*r.NormFloat64())
	}

	tod := int64(r.Float64()*86400) * secNS
	if r.Float64() < cfg.InitialShare {
		c.signupDay = -min(30+int(r.ExpFloat64()*300), 2000)
		c.e = c.mu + 0.39*r.NormFloat64()
		if r.Float64() < sigmoid(1.8+c.onb) {
			c.activated = actYes
		} else {
			c.activated = actNo
		}
	} else {
		c.signupDay = int(float64(cfg.Days) * math.Pow(r.Float64(), 0.8))
		c.e = c.mu - 0.3 + 0.5*c.onb + 0.2*r.NormFloat64()
	}
	c.signup = start + int64(c.signupDay)*dayNS + tod
	c.fast, c.slow = c.e, c.e
	if c.plan != payg {
		// Invoices fall every 30 days from the signup day.
		c.nextInvoice = c.signupDay
		if c.nextInvoice < 0 {
			c.nextInvoice += (-c.nextInvoice + 29) / 30 * 30
		}
	}
	c.refundDay = -1
	c.cancelledAt = data.NoTime
}

// batch buffers the rows of one table: the rows of the current day are
// sorted by time at the end of the day, then whole days are flushed.
type batch[T any] struct {
	rows  []T
	mark  int
	ts    func(T) int64
	flush func([]T) error
	n     int64
	keys  []uint64 // scratch of endDay
	tmp   []T      // scratch of endDay
}

// flushRows is the number of buffered rows that triggers a flush.
const flushRows = 32 * 1024

// posBits is the width of a row's position in a sort key.
const posBits = 40

// endDay sorts the rows of the day that starts at t0 by time, ties in the
// order they were drawn, and flushes whole days when enough rows wait.
// Every row of the day is a whole number of seconds after t0, so a key
// packs the second of the day (17 bits) above the position: sorting plain
// integers and permuting once beats a stable sort of wide structs.
func (b *batch[T]) endDay(t0 int64) error {
	seg := b.rows[b.mark:]
	b.keys = b.keys[:0]
	for i := range seg {
		b.keys = append(b.keys, uint64((b.ts(seg[i])-t0)/secNS)<<posBits|uint64(i))
	}
	slices.Sort(b.keys)
	b.tmp = append(b.tmp[:0], seg...)
	for i, k := range b.keys {
		seg[i] = b.tmp[k&(1<<posBits-1)]
	}
	if len(b.rows) >= flushRows {
		if err := b.drain(); err != nil {
			return err
		}
	}
	b.mark = len(b.rows)
	return nil
}

func (b *batch[T]) drain() error {
	if len(b.rows) == 0 {
		return nil
	}
	b.n += int64(len(b.rows))
	err := b.flush(b.rows)
	b.rows = b.rows[:0]
	b.mark = 0
	return err
}

// sinks receive the rows of a shard, each table in time order.
type sinks struct {
	customers func([]data.Customer) error
	sessions  func([]data.Session) error
	events    func([]data.Event) error
	tickets   func([]data.Ticket) error
	surveys   func([]data.Survey) error
	orders    func([]data.Order) error
}

// shardSim simulates the customers of one shard day by day.
type shardSim struct {
	cfg        Config
	start, end int64
	custs      []customer

	sessions batch[data.Session]
	events   batch[data.Event]
	tickets  batch[data.Ticket]
	surveys  batch[data.Survey]
	orders   batch[data.Order]
	churned  int64
	textBuf  []byte
	idBuf    []byte
}

// simulate runs shard of cfg and hands its rows to out.
func simulate(ctx context.Context, cfg Config, shard int, out sinks) (Stats, error) {
	end := data.Instant(cfg.End.UTC().Truncate(0))
	if r := end % microNS; r < 0 {
		end -= r + microNS // floor, before 1970 too
	} else {
		end -= r
	}
	g := &shardSim{cfg: cfg, end: end, start: end - int64(cfg.Days)*dayNS}
	g.sessions = batch[data.Session]{ts: func(s data.Session) int64 { return s.StartedAt }, flush: out.sessions}
	g.events = batch[data.Event]{ts: func(e data.Event) int64 { return e.TS }, flush: out.events}
	g.tickets = batch[data.Ticket]{ts: func(t data.Ticket) int64 { return t.CreatedAt }, flush: out.tickets}
	g.surveys = batch[data.Survey]{ts: func(s data.Survey) int64 { return s.AnsweredAt }, flush: out.surveys}
	g.orders = batch[data.Order]{ts: func(o data.Order) int64 { return o.TS }, flush: out.orders}

	lo, hi := cfg.shardRange(shard)
	if lo >= hi {
		return Stats{}, nil
	}
	g.custs = make([]customer, hi-lo)
	for i := range g.custs {
		newCustomer(&g.custs[i], cfg, lo+i, g.start)
	}
	for d := 0; d < cfg.Days; d++ {
		if d%16 == 0 {
			if err := ctx.Err(); err != nil {
				return Stats{}, err
			}
		}
		t0 := g.start + int64(d)*dayNS
		wd := ((t0/dayNS)%7 + 7 + 4) % 7 // 0 = Sunday; 1970-01-01 was a Thursday
		weekend := wd == 0 || wd == 6
		for i := range g.custs {
			g.step(&g.custs[i], d, t0, weekend)
		}
		for _, f := range []func(int64) error{g.sessions.endDay, g.events.endDay, g.tickets.endDay, g.surveys.endDay, g.orders.endDay} {
			if err := f(t0); err != nil {
				return Stats{}, err
			}
		}
	}
	for _, f := range []func() error{g.sessions.drain, g.events.drain, g.tickets.drain, g.surveys.drain, g.orders.drain} {
		if err := f(); err != nil {
			return Stats{}, err
		}
	}

	rows := make([]data.Customer, len(g.custs))
	for i := range g.custs {
		c := &g.custs[i]
		rows[i] = data.Customer{
			ID:          c.id,
			SignupAt:    c.signup,
			Plan:        planSpecs[c.plan].name,
			Region:      c.regionNm,
			Channel:     c.channelNm,
			CancelledAt: c.cancelledAt,
		}
	}
	slices.SortStableFunc(rows, func(a, b data.Customer) int { return cmp.Compare(a.SignupAt, b.SignupAt) })
	if err := out.customers(rows); err != nil {
		return Stats{}, err
	}
	return Stats{
		Customers: int64(len(rows)),
		Sessions:  g.sessions.n,
		Events:    g.events.n,
		Tickets:   g.tickets.n,
		Surveys:   g.surveys.n,
		Orders:    g.orders.n,
		Churned:   g.churned,
	}, nil
}

// timeOfDay draws an instant on the day starting at t0 at a local hour of
// activity for a customer tz hours east of UTC, wrapped into the UTC day,
// to the second as most event logs record it.
func timeOfDay(r *rand.Rand, t0, tz int64) int64 {
	local := (8.5+10*r.Float64()+1.3*r.NormFloat64())*3600 - float64(tz*3600)
	s := int64(local) % 86400
	if s < 0 {
		s += 86400
	}
	return t0 + s*secNS
}

// step simulates day d, starting at t0, for customer c.
func (g *shardSim) step(c *customer, d int, t0 int64, weekend bool) {
	switch c.state {
	case gone:
		return
	case pending:
		if d < c.signupDay {
			return
		}
		c.state = active
	}
	r := c.rng
	ps := &planSpecs[c.plan]
	lo, hi := max(t0, c.signup+secNS), t0+dayNS
	tenure := float64(t0-c.signup) / float64(dayNS)

	// Latent engagement: decline episodes, product problems, noise.
	if c.declineLeft > 0 {
		c.offset = max(c.offset-c.declineRate, -3)
		c.declineLeft--
		if c.declineLeft == 0 {
			c.recovering = r.Float64() < pRecover
		}
	} else {
		if c.recovering {
			c.offset *= recoverRate
		}
		if r.Float64() < pDecline {
			c.declineLeft = 20 + int(r.ExpFloat64()*50)
			c.declineRate = 0.006 + 0.014*r.Float64()
			c.recovering = false
		}
	}
	if c.problemLeft > 0 {
		c.problemLeft--
		if c.problemLeft == 0 {
			c.sev = 0
		}
	} else if r.Float64() < pProblem {
		c.problemLeft = 3 + int(r.ExpFloat64()*10)
		c.sev = 0.3 + 0.7*r.Float64()
	}
	c.e += kappa*(c.mu+c.offset-0.4*c.sev-c.e) + sigma*r.NormFloat64()
	c.fast += (c.e - c.fast) / 7
	c.slow += (c.e - c.slow) / 45
	c.bad *= badDecay
	dv := c.e - c.mu
	if c.activated == actUnknown && tenure >= 21 {
		c.activated = actNo
		if c.core21 >= ps.activate {
			c.activated = actYes
		}
	}
	price := c.price
	if tenure < 365 {
		price *= 1 - c.discount
	}

	// Churn hazard.
	logm := -2.0*dv - 0.35*(c.mu-ps.logVisits) - 2.0*(c.fast-c.slow) +
		0.45*c.bad + 0.6*c.sev - 0.5*c.satP + channelSpecs[c.channel].hazard +
		1.0*math.Exp(-tenure/90)
	switch {
	case c.activated == actNo && tenure < 365:
		logm += 1.0
	case c.activated == actUnknown:
		logm -= 0.3 * c.onb
	}
	if c.discount > 0 {
		if tenure < 365 {
			logm -= 0.25
		} else if tenure < 455 {
			logm += 0.4 // the discount ended: the price went up
		}
	}
	h := min(ps.hazard*math.Exp(clamp(logm, -4, 4))+hAbrupt, maxHazard)
	leaving := r.Float64() < h
	if leaving {
		span := (hi - lo) / secNS
		if span > 1 {
			hi = lo + (1+r.Int64N(span-1))*secNS
		}
	}

	tz := regionSpecs[c.region].tz
	g.visits(c, r, ps, dv, t0, lo, hi, tz, tenure, weekend)
	if g.cfg.AutomatedEvent && c.plan != payg {
		ts := t0 + int64(splitmix64(uint64(c.idx))%86400)*secNS
		if ts >= lo && ts < hi {
			g.events.rows = append(g.events.rows, data.Event{CustomerID: c.id, TS: ts, Event: evHeartbeat, Quantity: 1})
		}
	}
	if c.integ && r.Float64() < 0.9*sigmoid(3*(dv+0.8)) {
		ts := t0 + (3*3600+int64(r.IntN(1800)))*secNS
		if ts >= lo && ts < hi {
			g.events.rows = append(g.events.rows, data.Event{CustomerID: c.id, TS: ts, Event: evIntegration,
				Quantity: math.Round(math.Exp(5 + 0.8*r.NormFloat64()))})
		}
	}
	if r.Float64() < ps.tickets*ticketBase*math.Exp(-0.6*dv)*(1+5*c.sev) {
		g.ticket(c, r, dv, t0, lo, hi, tz)
	}
	if r.Float64() < surveyRate && r.Float64() < surveyResponse {
		ts := timeOfDay(r, t0, tz)
		if ts >= lo && ts < hi {
			s := c.satP + 0.6*dv - 0.5*c.bad - 0.8*c.sev
			nps := int(clamp(math.Round(7.2+1.6*s+1.2*r.NormFloat64()), 0, 10))
			row := data.Survey{CustomerID: c.id, AnsweredAt: ts, NPS: nps}
			if r.Float64() < 0.3 {
				row.Comment = npsComment(r, regionSpecs[c.region].lang, nps)
			}
			g.surveys.rows = append(g.surveys.rows, row)
		}
	}
	g.purchases(c, r, ps, dv, d, t0, lo, hi, tz, price)

	if leaving {
		c.state = gone
		g.churned++
		if c.plan != payg {
			c.cancelledAt = hi
		}
	}
}

// visits draws the day's sessions and the events inside them.
func (g *shardSim) visits(c *customer, r *rand.Rand, ps *planSpec, dv float64, t0, lo, hi, tz int64, tenure float64, weekend bool) {
	lam := math.Exp(c.e)
	if weekend && c.plan != payg {
		lam *= weekendVisits
	}
	n := poisson(r, lam)
	if n == 0 {
		return
	}
	coreRate := ps.core * math.Exp(0.5*dv)
	if tenure < 30 {
		coreRate *= math.Exp(0.6 * c.onb)
	}
	// The mix of actions shifts as engagement falls: fewer reports and
	// invitations, more exports (taking the data out).
	wDash, wReport, wExport, wInvite := 1.0, 1.2*math.Exp(0.4*dv), 0.5*math.Exp(-0.8*dv), 0.15*math.Exp(dv)
	wSum := wDash + wReport + wExport + wInvite
	for k := 0; k < n; k++ {
		start := timeOfDay(r, t0, tz)
		if start < lo || start >= hi {
			continue
		}
		dur := min(math.Exp(5.2+0.3*dv+0.8*r.NormFloat64()), 4*3600)
		dur = math.Round(dur)
		pages := float64(1 + poisson(r, dur/75))
		s := data.Session{CustomerID: c.id, StartedAt: start, DurationS: dur, Pages: pages, Channel: chWeb}
		if r.Float64() < c.appShare {
			s.Channel = chApp
		}
		switch u := r.Float64(); {
		case u < 0.02:
			s.DurationS = math.NaN()
		case u < 0.04:
			s.Pages = math.NaN()
		case u < 0.05:
			s.Channel = ""
		}
		g.sessions.rows = append(g.sessions.rows, s)

		end := min(start+int64(dur)*secNS, hi-secNS)
		if r.Float64() < 0.85 {
			ts := min(start+int64(1+r.IntN(5))*secNS, end)
			g.events.rows = append(g.events.rows, data.Event{CustomerID: c.id, TS: ts, Event: evLogin, Quantity: 1})
		}
		m := poisson(r, coreRate)
		for j := 0; j < m; j++ {
			ts := start + r.Int64N((end-start)/secNS+1)*secNS
			ev := data.Event{CustomerID: c.id, TS: ts, Quantity: 1}
			u := r.Float64() * wSum
			switch {
			case u < wDash:
				ev.Event = evDashboard
			case u < wDash+wReport:
				ev.Event = evReport
			case u < wDash+wReport+wExport:
				ev.Event = evExport
				ev.Quantity = max(1, math.Round(math.Exp(3+r.NormFloat64())))
			default:
				ev.Event = evInvite
				ev.Quantity = float64(1 + poisson(r, 0.3))
			}
			if r.Float64() < 0.03 {
				ev.Quantity = math.NaN()
			}
			g.events.rows = append(g.events.rows, ev)
			if tenure < 21 {
				c.core21++
			}
		}
	}
}

// responseMedian is the median first response time in seconds, and
// resolveMedian the median time to resolution, per ticket channel.
var (
	ticketChannels  = [...]string{chEmail, chChat, chPhone, chSocial}
	ticketShares    = [...]float64{0.45, 0.35, 0.20, 0}
	responseMedian  = [...]float64{3 * 3600, 90, 40, 5400}
	resolveMedian   = [...]float64{26 * 3600, 3 * 3600, 5 * 3600, 30 * 3600}
	resolvedQuality = -1.1
)

// ticket draws one support contact.
func (g *shardSim) ticket(c *customer, r *rand.Rand, dv float64, t0, lo, hi, tz int64) {
	ts := timeOfDay(r, t0, tz)
	if ts < lo || ts >= hi {
		return
	}
	s := c.satP + 0.8*dv - 0.6*c.bad - 1.2*c.sev + 0.7*r.NormFloat64()
	tn := neutral
	switch {
	case s < -0.5:
		tn = negative
	case s > 0.7:
		tn = positive
	}
	ch := weighted(r, len(ticketChannels), func(i int) float64 { return ticketShares[i] })
	if tn == negative && r.Float64() < 0.25 {
		ch = 3
	}
	c.tickets++
	t := data.Ticket{CustomerID: c.id, CreatedAt: ts, Channel: ticketChannels[ch],
		Sentiment: math.NaN(), ResolvedAt: data.NoTime, CSAT: math.NaN(), Effort: math.NaN()}
	if r.Float64() >= 0.01 {
		b := append(g.idBuf[:0], 'T')
		b = append(b, c.num...)
		b = append(b, '-')
		b = strconv.AppendInt(b, int64(c.tickets), 10)
		t.TicketID = string(b)
		g.idBuf = b
	}
	if r.Float64() >= 0.01 {
		t.Text, g.textBuf = ticketText(g.textBuf, r, regionSpecs[c.region].lang, tn)
	}
	frs := math.Round(responseMedian[ch] * math.Exp(0.9*r.NormFloat64()))
	t.FirstResponseS = frs
	if r.Float64() < 0.03 {
		t.FirstResponseS = math.NaN()
	}
	q := r.NormFloat64() - 0.5*c.sev - 0.3*math.Log(frs/responseMedian[ch])
	resolved := q > resolvedQuality
	if resolved {
		dt := frs + resolveMedian[ch]*math.Exp(r.NormFloat64())
		if at := ts + int64(dt)*secNS; at < g.end {
			t.ResolvedAt = at
		}
	}
	if r.Float64() < 0.5 {
		t.CSAT = clamp(math.Round(3+1.1*q+0.4*s), 1, 5)
	}
	if r.Float64() < 0.4 {
		t.Effort = clamp(math.Round(3.3+0.9*q+0.6*r.NormFloat64()), 1, 5)
	}
	if r.Float64() < 0.04 {
		t.Sentiment = round(clamp(0.45*s+0.25*r.NormFloat64(), -1, 1), 3)
	}
	if !resolved || q < -0.7 {
		c.bad++
	}
	g.tickets.rows = append(g.tickets.rows, t)
}

// purchases draws the day's invoice, ad-hoc order and refund.
func (g *shardSim) purchases(c *customer, r *rand.Rand, ps *planSpec, dv float64, d int, t0, lo, hi, tz int64, price float64) {
	if c.plan != payg && d == c.nextInvoice {
		c.nextInvoice += 30
		ts := max(t0+(2*3600+int64(r.IntN(1800)))*secNS, lo)
		if ts < hi {
			o := data.Order{CustomerID: c.id, TS: ts, Amount: round(price, 2), Margin: math.NaN()}
			if r.Float64() < 0.8 {
				o.Margin = ps.margin
			}
			o.OrderID = g.orderID(c, "INV-")
			g.orders.rows = append(g.orders.rows, o)
		}
	}
	if d == c.refundDay {
		c.refundDay = -1
		if ts := timeOfDay(r, t0, tz); ts >= lo && ts < hi {
			g.orders.rows = append(g.orders.rows, data.Order{CustomerID: c.id, TS: ts, Amount: c.refundAmt,
				OrderID: g.orderID(c, "R-"), Margin: math.NaN()})
		}
	}
	if r.Float64() < c.buyRate*math.Exp(0.6*dv) {
		ts := timeOfDay(r, t0, tz)
		if ts < lo || ts >= hi {
			return
		}
		amount := round(max(c.spend*math.Exp(0.35*r.NormFloat64()), 1), 2)
		o := data.Order{CustomerID: c.id, TS: ts, Amount: amount, Margin: math.NaN()}
		if r.Float64() < 0.6 {
			o.Margin = round(0.2+0.4*r.Float64(), 3)
		}
		if r.Float64() >= 0.02 {
			o.OrderID = g.orderID(c, "O-")
		}
		g.orders.rows = append(g.orders.rows, o)
		if c.refundDay < 0 && r.Float64() < refundShare {
			c.refundDay = d + 1 + r.IntN(14)
			c.refundAmt = -amount
			if r.IntN(2) == 0 {
				c.refundAmt = -round(amount*(0.2+0.6*r.Float64()), 2)
			}
		}
	}
}

func (g *shardSim) orderID(c *customer, prefix string) string {
	c.orders++
	b := append(g.idBuf[:0], prefix...)
	b = append(b, c.num...)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(c.orders), 10)
	g.idBuf = b
	return string(b)
}

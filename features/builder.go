package features

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"churn/data"
	"churn/features/sentiment"
)

// scoreText scores a ticket's text when its precomputed sentiment is null.
var scoreText = sentiment.Score

// Flags per customer and cutoff.
const (
	flagLabelActive    uint8 = 1 << iota // a session, event or order in [c+gap, c+gap+horizon)
	flagLookbackActive                   // a session, event or order in [c-lookback, c)
)

// customers is the frozen customer index, shared read-only by forks.
type customers struct {
	ids         []string // sorted
	signup      []int64
	cancelled   []int64
	plan        []string
	region      []string
	contractual []bool   // per customer and cutoff, i*len(cutoffs)+k: see labelModes
	channel     []string // acquisition_channel
	index       map[string]int32
}

// minCancelShare is the share of customers who must have cancelled before a
// cutoff for a dataset in which no customer has a plan to count as
// contractual under Auto: a stray cancellation is not a contract.
const minCancelShare = 0.01

// labelModes says, for every customer and cutoff, whether the contractual
// label applies, from the customers table as of each cutoff (see Auto):
// a plan is contractual at c when one of its customers cancelled before
// c; a customer without a plan follows the majority of the customers with
// one who signed up before c (ties: noncontractual), and when none has a
// plan, the customers are contractual at c when at least minCancelShare of
// those who signed up before c cancelled before it.
func labelModes(mode LabelMode, c *customers, cutoffs []int64) []bool {
	nk := len(cutoffs)
	out := make([]bool, len(c.ids)*nk)
	switch mode {
	case Contractual:
		for i := range out {
			out[i] = true
		}
		return out
	case Noncontractual:
		return out
	}
	firstCancel := map[string]int64{} // plan -> earliest cancellation
	for i, p := range c.plan {
		if t := c.cancelled[i]; p != "" && t != data.NoTime {
			if f, ok := firstCancel[p]; !ok || t < f {
				firstCancel[p] = t
			}
		}
	}
	planAt := func(p string, cut int64) bool {
		f, ok := firstCancel[p]
		return ok && f < cut
	}
	for k, cut := range cutoffs {
		var withPlan, onContract, signed, cancelled int
		for i, p := range c.plan {
			if c.signup[i] >= cut {
				continue
			}
			signed++
			if t := c.cancelled[i]; t != data.NoTime && t < cut {
				cancelled++
			}
			if p != "" {
				withPlan++
				if planAt(p, cut) {
					onContract++
				}
			}
		}
		var noPlan bool
		if withPlan > 0 {
			noPlan = 2*onContract > withPlan
		} else {
			noPlan = cancelled > 0 && float64(cancelled) >= minCancelShare*float64(signed)
		}
		for i, p := range c.plan {
			if p == "" {
				out[i*nk+k] = noPlan
			} else {
				out[i*nk+k] = planAt(p, cut)
			}
		}
	}
	return out
}

// Builder folds history rows into per-customer, per-cutoff accumulators in
// one pass per table. Read the customers table completely with
// AddCustomers, call Freeze, then feed the other tables in any order, from
// any number of forks (one per goroutine), and Merge the forks. A Builder
// is not safe for concurrent use; forks share only read-only state.
type Builder struct {
	cfg     Config
	g       geom
	dataEnd int64
	core    map[string]bool  // nil: every event is core
	ignore  map[string]bool  // not engagement: Config.IgnoreEvents and the automated names not in core
	weights map[string]int64 // engagement weights, micro units
	negSent int64            // NegativeSentiment, micro units

	pending []data.Customer // before Freeze
	extras  pendingExtras   // extra customers columns, before Freeze
	invalid int             // customer rows without an id or a signup time
	cust    *customers      // after Freeze

	flags  []uint8 // nCust*nCut
	sess   store[sessAcc]
	ev     store[evAcc]
	tick   store[tickAcc]
	nps    store[npsAcc]
	ord    store[ordAcc]
	ordSet []dayset // per customer, the days with a purchase before the last cutoff

	cat           Catalog        // see SetCatalog
	catSet        bool           // SetCatalog was called
	slotOf        map[string]int // event name -> mix slot, for the catalog's events
	mixNames      []string       // the event mix's columns
	chanCount     [2]chanCounts  // rows per channel name, of sessions and of tickets, before chanUntil
	chanUntil     int64          // see ChannelsUntil
	sessRanks     chanRanks      // the catalog's session channels
	tickRanks     chanRanks      // the catalog's ticket channels
	sessChanNames []string       // per session channel rank and "other": share and share change columns
	tickChanNames []string       // per ticket channel rank and "other": count column
	attrRaw       []attrColumn   // raw attribute values, after Freeze
	attrCodes     [][]float64    // per catalog attribute, per customer
	attrNames     []string       // per catalog attribute, its column base name
	seen          [len(tableOrder)]bool
	vocab         vocab
	memo          textMemo
	spent         bool // merged into another Builder

	// shard and shards: a shard (see Shards) folds only the customers
	// with index % shards == shard; shards is 0 for any other Builder.
	shard, shards int
	parts         []*Builder // the shards joined by JoinShards, by shard
}

// tableOrder numbers the history tables for Builder.seen.
var tableOrder = [...]data.Table{data.Sessions, data.Events, data.Tickets, data.Surveys, data.Orders}

// NewBuilder checks cfg and the cutoffs (ascending unix nanoseconds) and
// returns an empty Builder. dataEnd is the first instant the data does not
// cover: a cutoff is labelled only when cutoff + gap + horizon <= dataEnd.
func NewBuilder(cfg Config, cutoffs []int64, dataEnd int64) (*Builder, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("features config: %w", err)
	}
	if len(cutoffs) == 0 {
		return nil, ErrNoCutoffs
	}
	for i := 1; i < len(cutoffs); i++ {
		if cutoffs[i] <= cutoffs[i-1] {
			return nil, fmt.Errorf("cutoff %d: %w", i, ErrCutoffOrder)
		}
	}
	b := &Builder{
		cfg:     cfg,
		dataEnd: dataEnd,
		negSent: fixed(cfg.NegativeSentiment),
		weights: make(map[string]int64, len(cfg.EngagementWeights)),
	}
	b.g = geom{
		cutoffs:  append([]int64(nil), cutoffs...),
		nW:       len(cfg.Windows),
		main:     len(cfg.Windows) / 2,
		long:     len(cfg.Windows) - 1,
		gap:      int64(cfg.Gap),
		horizon:  int64(cfg.Horizon),
		lookback: int64(cfg.Lookback),
	}
	for i, w := range cfg.Windows {
		b.g.wins[i] = int64(w)
	}
	b.g.reach = max(2*b.g.wins[b.g.long], weeksN*weekNS, b.g.wins[b.g.long], 2*b.g.wins[b.g.main])
	if len(cfg.CoreEvents) > 0 {
		b.core = make(map[string]bool, len(cfg.CoreEvents))
		for _, e := range cfg.CoreEvents {
			b.core[e] = true
		}
	}
	for k, v := range cfg.EngagementWeights {
		b.weights[k] = fixed(v)
	}
	b.chanUntil = cutoffs[len(cutoffs)-1]
	b.applyCatalog(Catalog{})
	return b, nil
}

// SetCatalog fixes the catalog the features use: the event names of the
// mix, the automated event names and the attributes. Call it before any
// event row and before Fork or Shards (or give it to shards made before
// with ShareCatalog); a Builder without one learns its attributes at
// Freeze and folds every event name into "other". Training
// learns the catalog (NewEventProfile, then Catalog); scoring sets the one
// stored with the model, whose event names all keep their columns
// whatever Config.EventVocab says now (0 still turns the family off);
// names beyond MaxEventVocab are dropped.
func (b *Builder) SetCatalog(c Catalog) {
	b.catSet = true
	b.applyCatalog(c)
	if b.cust != nil {
		b.encodeAttributes()
	}
}

// ChannelsUntil sets the instant before which the fold counts the rows of
// each channel name, from which a build without fixed channels (see
// Catalog.ChannelsSet) ranks them: by default the last cutoff. Builders
// of different cutoffs that give it the same instant learn the same
// channels, as an EventProfile of the same until learns the same event
// names. Call it before the first row.
func (b *Builder) ChannelsUntil(until int64) { b.chanUntil = until }

// Catalog returns the catalog in use: after Freeze, with the attributes
// learned from the customers unless SetCatalog gave them.
func (b *Builder) Catalog() Catalog { return b.cat }

// CatalogWith returns the catalog of the events of ev and the attributes
// in use: what SetCatalog needs after an EventProfile.
func (b *Builder) CatalogWith(ev Catalog) Catalog {
	ev.Attributes = b.cat.Attributes
	return ev
}

func (b *Builder) applyCatalog(c Catalog) {
	if len(c.Events) > MaxEventVocab {
		c.Events = c.Events[:MaxEventVocab]
	}
	b.cat = c
	b.slotOf = make(map[string]int, len(c.Events))
	for s, name := range c.Events {
		b.slotOf[name] = s
	}
	b.ignore = make(map[string]bool, len(b.cfg.IgnoreEvents)+len(c.Automated))
	for _, name := range b.cfg.IgnoreEvents {
		b.ignore[name] = true
	}
	for _, name := range c.Automated {
		if b.core == nil || !b.core[name] {
			b.ignore[name] = true
		}
	}
	b.mixNames = nil
	if b.cfg.EventVocab > 0 {
		b.mixNames = mixNames(len(c.Events), int(b.g.wins[b.g.main]/dayNS))
	}
	b.attrNames = attrColumnNames(c.Attributes)
	b.vocab = vocab{}
	b.applyChannels()
}

// applyChannels sets the fold's and the columns' view of the catalog's
// channels.
func (b *Builder) applyChannels() {
	c := &b.cat
	if len(c.SessionChannels) > MaxChannels {
		c.SessionChannels = c.SessionChannels[:MaxChannels]
	}
	if len(c.TicketChannels) > MaxChannels {
		c.TicketChannels = c.TicketChannels[:MaxChannels]
	}
	b.sessRanks, b.tickRanks = newChanRanks(c.SessionChannels), newChanRanks(c.TicketChannels)
	md, ld := int(b.g.wins[b.g.main]/dayNS), int(b.g.wins[b.g.long]/dayNS)
	b.sessChanNames = b.sessChanNames[:0:0]
	for _, n := range channelNames(len(b.sessRanks), "session_%s") {
		b.sessChanNames = append(b.sessChanNames, fmt.Sprintf("%s_share_%dd", n, md), n+"_share_change")
	}
	b.tickChanNames = channelNames(len(b.tickRanks), "tickets_%s_"+strconv.Itoa(ld)+"d")
}

// AddCustomers adds rows of the customers table. Call it for the whole
// table before Freeze; after Freeze it does nothing. Rows with an empty id
// or a null signup time are ignored and counted by InvalidCustomers.
func (b *Builder) AddCustomers(rows []data.Customer) {
	if b.cust != nil {
		return
	}
	for _, r := range rows {
		if r.ID == "" || r.SignupAt == data.NoTime {
			b.invalid++
			continue
		}
		r.ID = strings.Clone(r.ID)
		r.Plan = strings.Clone(r.Plan)
		r.Region = strings.Clone(r.Region)
		r.Channel = strings.Clone(r.Channel)
		b.pending = append(b.pending, r)
	}
}

// Freeze fixes the customer index, sorted by id, and returns how many rows
// repeated an id already seen (the first row wins). Calling it again
// returns 0 and changes nothing.
func (b *Builder) Freeze() (dups int) {
	if b.cust != nil {
		return 0
	}
	rows := b.pending
	b.pending = nil
	sort.SliceStable(rows, func(i, j int) bool { return rows[i].ID < rows[j].ID })
	c := &customers{index: make(map[string]int32, len(rows))}
	for i, r := range rows {
		if i > 0 && r.ID == rows[i-1].ID {
			dups++
			continue
		}
		c.index[r.ID] = int32(len(c.ids))
		c.ids = append(c.ids, r.ID)
		c.signup = append(c.signup, r.SignupAt)
		c.cancelled = append(c.cancelled, r.CancelledAt)
		c.plan = append(c.plan, r.Plan)
		c.region = append(c.region, r.Region)
		c.channel = append(c.channel, r.Channel)
	}
	c.contractual = labelModes(b.cfg.Label, c, b.g.cutoffs)
	b.cust = c
	b.attrRaw = append([]attrColumn{{"plan", c.plan}, {"region", c.region}, {"acquisition_channel", c.channel}}, b.extras.columns(c)...)
	b.extras = pendingExtras{}
	if !b.catSet {
		b.cat.Attributes = b.learnAttributes()
		b.attrNames = attrColumnNames(b.cat.Attributes)
	}
	b.encodeAttributes()
	b.reset()
	return dups
}

// reset gives b empty accumulators for the frozen customers.
func (b *Builder) reset() {
	n, k := len(b.cust.ids), len(b.g.cutoffs)
	b.flags = make([]uint8, n*k)
	b.sess = store[sessAcc]{}
	b.ev = store[evAcc]{}
	b.tick = store[tickAcc]{}
	b.nps = store[npsAcc]{}
	b.ord = store[ordAcc]{}
	b.ordSet = nil
	b.chanCount = [2]chanCounts{}
	b.seen = [len(tableOrder)]bool{}
	b.vocab = vocab{} // a fork must not share the cache's backing array
	b.memo = textMemo{}
	b.spent = false
}

// Fork returns a Builder with empty accumulators that shares b's frozen
// customer index and configuration, for one goroutine. b must be frozen.
func (b *Builder) Fork() *Builder {
	f := *b
	f.pending = nil
	if f.cust == nil {
		f.cust = &customers{index: map[string]int32{}}
	}
	f.reset()
	return &f
}

// InvalidCustomers returns how many customer rows AddCustomers ignored for
// an empty id or a null signup time.
func (b *Builder) InvalidCustomers() int { return b.invalid }

// Customers returns the number of customers in the frozen index.
func (b *Builder) Customers() int {
	if b.cust == nil {
		return 0
	}
	return len(b.cust.ids)
}

func (b *Builder) lookup(id string) (int32, bool) {
	if b.cust == nil {
		return 0, false
	}
	i, ok := b.cust.index[id]
	return i, ok
}

// markActivity sets the label and lookback flags of customer i for a
// session, event or order at ts.
func (b *Builder) markActivity(i int32, ts int64) {
	f := b.flags[int(i)*len(b.g.cutoffs):]
	for k, c := range b.g.cutoffs {
		if start := c + b.g.gap; ts >= start && ts-start < b.g.horizon {
			f[k] |= flagLabelActive
		}
		if ts < c && c-ts <= b.g.lookback {
			f[k] |= flagLookbackActive
		}
	}
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
	b.seen[0] = true
	if b.sess.idx == nil && b.cust != nil {
		b.sess = newStore[sessAcc](len(b.cust.ids), len(b.g.cutoffs))
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

// AddEvents folds event rows; rows of unknown customers are counted and
// ignored, as are rows with a null timestamp.
func (b *Builder) AddEvents(rows []data.Event) (unknown int) {
	return b.addEvents(eventColumns(rows), nil)
}

// eventColumns lays rows out as the column batch the fold reads.
func eventColumns(rows []data.Event) *data.EventColumns {
	c := &data.EventColumns{
		CustomerID: make([]string, len(rows)),
		TS:         make([]int64, len(rows)),
		Event:      make([]string, len(rows)),
		Quantity:   make([]float64, len(rows)),
	}
	for i, r := range rows {
		c.CustomerID[i], c.TS[i], c.Event[i], c.Quantity[i] = r.CustomerID, r.TS, r.Event, r.Quantity
	}
	return c
}

// addEvents folds a batch of events; idx as for addSessions.
func (b *Builder) addEvents(c *data.EventColumns, idx []int32) (unknown int) {
	b.seen[1] = true
	if b.ev.idx == nil && b.cust != nil {
		b.ev = newStore[evAcc](len(b.cust.ids), len(b.g.cutoffs))
		b.ev.sideW = len(b.g.cutoffs) * 3 * b.mixSlots() // the event mix
	}
	g := &b.g
	n := len(c.CustomerID)
	times, names := c.TS[:n], c.Event[:n]
	for r := range n {
		i, ok := b.customer(idx, r, c.CustomerID[r], &unknown)
		if !ok {
			continue
		}
		ts := times[r]
		if ts == data.NoTime {
			continue
		}
		ek := b.vocab.lookup(names[r], b)
		if ek.activity {
			b.markActivity(i, ts)
		}
		if ts >= g.cutoffs[len(g.cutoffs)-1] {
			continue
		}
		accs, mix := b.ev.getSide(i)
		k0 := bucketOf(g.cutoffs, ts)
		b.addMix(mix, ek.slot, k0, ts)
		if ek.core {
			accs[k0].core.addLifetime(ts, b.cust.signup[i])
		}
		mw := g.wins[g.main]
		for k := k0; k < len(g.cutoffs); k++ {
			d := g.cutoffs[k] - ts
			if d > g.reach {
				break
			}
			a := &accs[k]
			if ek.core {
				a.core.addWindow(g, d)
			}
			if d > 2*mw {
				continue
			}
			p := 0
			if d > mw {
				p = 1
			}
			a.all[p]++
			if ek.core {
				a.engage[p] += ek.weight
			}
		}
	}
	return unknown
}

// AddTickets folds ticket rows; rows of unknown customers are counted and
// ignored, as are rows with a null creation time. A ticket's text is
// scored only when its precomputed sentiment is null.
func (b *Builder) AddTickets(rows []data.Ticket) (unknown int) {
	return b.addTickets(rows, nil)
}

func (b *Builder) addTickets(rows []data.Ticket, idx []int32) (unknown int) {
	b.seen[2] = true
	if b.tick.idx == nil && b.cust != nil {
		b.tick = newStore[tickAcc](len(b.cust.ids), len(b.g.cutoffs))
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

// AddSurveys folds NPS answers; rows of unknown customers are counted and
// ignored, as are rows with a null time or a score outside 0..10.
func (b *Builder) AddSurveys(rows []data.Survey) (unknown int) {
	return b.addSurveys(rows, nil)
}

func (b *Builder) addSurveys(rows []data.Survey, idx []int32) (unknown int) {
	b.seen[3] = true
	if b.nps.idx == nil && b.cust != nil {
		b.nps = newStore[npsAcc](len(b.cust.ids), len(b.g.cutoffs))
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

// AddOrders folds orders; rows of unknown customers are counted and
// ignored, as are rows with a null time or amount.
func (b *Builder) AddOrders(rows []data.Order) (unknown int) {
	return b.addOrders(rows, nil)
}

func (b *Builder) addOrders(rows []data.Order, idx []int32) (unknown int) {
	b.seen[4] = true
	if b.ord.idx == nil && b.cust != nil {
		b.ord = newStore[ordAcc](len(b.cust.ids), len(b.g.cutoffs))
		b.ordSet = make([]dayset, len(b.cust.ids))
	}
	g := &b.g
	for r := range rows {
		row := &rows[r]
		i, ok := b.customer(idx, r, row.CustomerID, &unknown)
		if !ok {
			continue
		}
		ts := row.TS
		if ts == data.NoTime || math.IsNaN(row.Amount) || math.IsInf(row.Amount, 0) {
			continue
		}
		if row.Amount >= 0 {
			b.markActivity(i, ts) // a refund is not activity
		}
		bucket := bucketOf(g.cutoffs, ts)
		if bucket == len(g.cutoffs) {
			continue
		}
		amt := fixed(row.Amount)
		day := int32(floorDiv(ts, dayNS))
		var margin int64 = -1
		if m := row.Margin; amt >= 0 && !math.IsNaN(m) && m >= 0 && m <= 1 {
			margin = fixed(m)
		}
		if amt >= 0 {
			b.ordSet[i].add(day)
		}
		accs := b.ord.get(i)
		mw, lw := g.wins[g.main], g.wins[g.long]
		for k := bucket; k < len(g.cutoffs); k++ {
			d := g.cutoffs[k] - ts
			a := &accs[k]
			a.addLifetime(day, amt, margin)
			if d <= mw {
				a.spend[0] += amt
			} else if d <= 2*mw {
				a.spend[1] += amt
			}
			if d <= lw {
				a.nLong++
			}
		}
	}
	return unknown
}

// Merge folds o, a fork of the same frozen Builder, into b. Merging is
// exact: any grouping and order of merges gives bit-identical features.
// Accumulators of a table b has not seen yet move from o to b without a
// copy, so o is spent: do not add rows to it; Merge and Build refuse it
// with ErrSpent.
func (b *Builder) Merge(o *Builder) error {
	if b.cust == nil || o.cust != b.cust || o == b || b.parts != nil || o.parts != nil {
		return ErrNotFork
	}
	if o.spent || b.spent {
		return ErrSpent
	}
	for i := range b.flags {
		b.flags[i] |= o.flags[i]
	}
	for t := range b.seen {
		b.seen[t] = b.seen[t] || o.seen[t]
	}
	// A table b has not seen is moved from o, not copied: o is spent.
	if o.sess.idx != nil {
		if b.sess.idx == nil {
			b.sess, o.sess = o.sess, store[sessAcc]{}
		} else {
			mergeStore(&b.sess, &o.sess, (*sessAcc).merge)
		}
	}
	if o.ev.idx != nil {
		if b.ev.idx == nil {
			b.ev, o.ev = o.ev, store[evAcc]{}
		} else {
			mergeStore(&b.ev, &o.ev, (*evAcc).merge)
			for i, v := range o.ev.idx {
				if v != 0 {
					_, dst := b.ev.getSide(int32(i))
					_, src := o.ev.getSide(int32(i))
					b.mergeMix(dst, src)
				}
			}
		}
	}
	if o.tick.idx != nil {
		if b.tick.idx == nil {
			b.tick, o.tick = o.tick, store[tickAcc]{}
		} else {
			mergeStore(&b.tick, &o.tick, (*tickAcc).merge)
		}
	}
	if o.nps.idx != nil {
		if b.nps.idx == nil {
			b.nps, o.nps = o.nps, store[npsAcc]{}
		} else {
			mergeStore(&b.nps, &o.nps, (*npsAcc).merge)
		}
	}
	if o.ord.idx != nil {
		if b.ord.idx == nil {
			b.ord, o.ord = o.ord, store[ordAcc]{}
			b.ordSet, o.ordSet = o.ordSet, nil
		} else {
			mergeStore(&b.ord, &o.ord, (*ordAcc).merge)
			for i := range o.ordSet {
				b.ordSet[i].merge(&o.ordSet[i])
			}
		}
	}
	for t := range b.chanCount {
		b.chanCount[t].merge(&o.chanCount[t])
	}
	o.spent = true
	return nil
}

// bucketOf returns how many cutoffs are <= ts: the index of the first
// cutoff the row at ts is before.
func bucketOf(cutoffs []int64, ts int64) int {
	k := 0
	for k < len(cutoffs) && cutoffs[k] <= ts {
		k++
	}
	return k
}

// eventKind is what AddEvents needs of an event name.
type eventKind struct {
	name     string
	core     bool
	activity bool  // not ignored: counts as activity for status and label
	weight   int64 // micro units
	slot     int   // event mix slot: the catalog rank, or K for "other"
}

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

// vocab caches the kinds of the first maxVocab event names a Builder sees
// in a small open-addressing table, hashed by the names' lengths and end
// bytes: the fold looks up every event's name, and a probe or two find it
// where comparing it with each cached name in turn would take many.
type vocab struct {
	kinds []eventKind
	slots [vocabSlots]uint8 // index+1 into kinds; 0: empty
}

const (
	maxVocab   = 64
	vocabSlots = 128 // a power of two, at least twice maxVocab
)

// vocabSlot is the first slot to try for name.
func vocabSlot(name string) int {
	n := len(name)
	h := uint32(n)
	if n > 0 {
		h = (h*31+uint32(name[0]))*31 + uint32(name[n-1])
	}
	if n > 2 {
		h = (h*31+uint32(name[1]))*31 + uint32(name[n-2])
	}
	return int((h * 2654435761) >> (32 - 7))
}

func (v *vocab) lookup(name string, b *Builder) eventKind {
	j := vocabSlot(name)
	for ; v.slots[j] != 0; j = (j + 1) & (vocabSlots - 1) {
		if k := &v.kinds[v.slots[j]-1]; k.name == name {
			return *k
		}
	}
	w, known := b.weights[name]
	if !known {
		w = micro
	}
	slot, ok := b.slotOf[name]
	if !ok {
		slot = len(b.cat.Events)
	}
	ign := b.ignore[name]
	k := eventKind{core: (b.core == nil || b.core[name]) && !ign, activity: !ign, weight: w, slot: slot}
	if len(v.kinds) < maxVocab {
		k.name = strings.Clone(name)
		v.kinds = append(v.kinds, k)
		v.slots[j] = uint8(len(v.kinds))
	}
	return k
}

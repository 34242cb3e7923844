package features

import (
	"cmp"
	"math"
	"slices"
	"strings"

	"churn/data"
)

// Catalog is what the features learn from a dataset's values rather than
// from its column names: the event names of the event mix, the event
// names that behave like automated signals, and the customer attributes
// with their levels. Training learns it (EventProfile, Freeze) and stores
// it with the model; scoring hands the stored one to SetCatalog, so that
// a name's column means the same thing in both.
//
// Nothing in a Catalog depends on how names are spelled, only on how
// often and when they occur: event names and attribute levels are ranked
// by their number of rows, ties broken by statistics of the rows
// themselves (the customers and instants they occur at), and by the name
// only when two names have exactly the same rows in every one of those
// statistics. A dataset whose names are renamed or permuted gives the
// same ranks, so the same feature matrix.
type Catalog struct {
	// Events are the event names of the mix, most frequent first: the name
	// of rank r (1-based) feeds the columns event_rNN_*. Names not listed
	// fold into "other".
	Events []string `json:"events"`
	// Automated are the event names detected as automated signals (see
	// EventProfile.Catalog), in rank order.
	Automated []string `json:"automated,omitempty"`
	// Attributes are the customers columns used as features, in column
	// order of the features (see Attribute).
	Attributes []Attribute `json:"attributes,omitempty"`
	// SessionChannels and TicketChannels are the channel names of the
	// sessions and tickets tables, most frequent first, at most
	// MaxChannels each (the empty name never): the name of rank r feeds
	// the columns session_cNN_* and tickets_cNN_*; other names fold into
	// "other".
	SessionChannels []string `json:"session_channels,omitempty"`
	TicketChannels  []string `json:"ticket_channels,omitempty"`
	// ChannelsSet says the channel lists are fixed, as learned by a
	// training build or stored with a model. When it is false, the
	// Builder learns them at its first build from the rows it folded
	// before Builder.ChannelsUntil (by default its last cutoff), ranked
	// as event names are.
	ChannelsSet bool `json:"channels_set,omitempty"`
}

// Attribute is one customers column used as features.
type Attribute struct {
	// Name is the column's name: plan, region, acquisition_channel, or an
	// extra column of customers/.
	Name string `json:"name"`
	// Numeric: every non-null value parsed as a finite number; the feature
	// is the number.
	Numeric bool `json:"numeric,omitempty"`
	// Levels are a categorical column's values, most frequent first, at
	// most MaxLevels; the others read as "other".
	Levels []string `json:"levels,omitempty"`
}

// Limits of the learned catalog.
const (
	// MaxLevels is the most levels a categorical attribute keeps.
	MaxLevels = 30
	// MaxChannels is the most channel names of a table that get columns
	// of their own.
	MaxChannels = chanSlots
	// oneHotLevels is how many of the most frequent levels also get a 0/1
	// column, for models that need one-hot codes.
	oneHotLevels = 6
	// profileSampled: the cadence of event names is measured on about this
	// many customers, those whose index is a multiple of a step.
	profileSampled = 4096
	// automatedMinSpan is the span, in days from a customer's first to last
	// row of a name, from which that customer's cadence counts.
	automatedMinSpan = 28
	// automatedMinCustomers is the number of such customers a name needs
	// before it can be called automated.
	automatedMinCustomers = 20
	// automatedMedian and automatedLow are the median and lower-quartile
	// day coverage (days with the name over the days of its span) from
	// which a name is automated.
	automatedMedian = 0.9
	automatedLow    = 0.75
	// automatedApart is the median, over the sampled customers, of a
	// name's day coverage on the days without use over its coverage on the
	// days with use, from which it fires apart from use (see
	// EventProfile.Catalog): 1 for a signal that ignores use, 0 for an
	// action taken only while using the product.
	automatedApart = 0.5
	// apartMinDays is how many days with use and without use of the span a
	// customer needs for that ratio to count.
	apartMinDays = 7
	// maxProfileNames bounds the distinct event names a profile tracks; a
	// catalogue with more names keeps the first ones seen, which with
	// several readers depends on the order they read in: Untracked counts
	// the rows of the names left out, so that the caller can say so.
	maxProfileNames = 1 << 16
)

// nameStat is what the profile keeps of one event name.
type nameStat struct {
	name    string
	n       int64  // rows
	sumCust uint64 // sum of the rows' customer indices, wrapping
	sumTS   uint64 // sum of the rows' instants, wrapping
	minTS   int64
}

// EventProfile counts event rows per name, to learn the event part of a
// Catalog: which names are frequent, and which fire day after day for
// every customer whatever they do. It sees only rows before until. Feed
// it with AddEvents or AddEventRows; profiles of one frozen Builder merge
// exactly with Merge.
type EventProfile struct {
	until int64
	ids   map[string]int32
	stats []nameStat
	cache nameCache
	days  map[uint64]*dayset // (customer << 24 | name id) -> days, for the sampled customers
	step  int32              // customers with index % step == 0 are sampled
	b     *Builder           // for the customer index of AddEventRows

	sess     map[int32]*dayset // customer -> days with a session, for the sampled customers
	sessSeen bool              // AddSessions was called: sess is the reference of use

	untracked int64 // rows of names left out because the profile was full
}

// NewEventProfile returns an empty profile of the rows before until for
// b's frozen customers.
func (b *Builder) NewEventProfile(until int64) *EventProfile {
	p := &EventProfile{until: until, ids: map[string]int32{}, days: map[uint64]*dayset{}, step: 1, b: b, sess: map[int32]*dayset{}}
	if b.cust != nil {
		p.step = int32(max(1, len(b.cust.ids)/profileSampled))
	}
	return p
}

// nameCache is a small open-addressing table in front of a map of names,
// hashed like vocab: most catalogues have a few dozen names.
type nameCache struct {
	names []string
	ids   []int32
	slots [vocabSlots]uint8
}

func (c *nameCache) lookup(name string) (int32, bool) {
	for j := vocabSlot(name); c.slots[j] != 0; j = (j + 1) & (vocabSlots - 1) {
		if k := c.slots[j] - 1; c.names[k] == name {
			return c.ids[k], true
		}
	}
	return 0, false
}

func (c *nameCache) add(name string, id int32) {
	if len(c.names) >= maxVocab {
		return
	}
	j := vocabSlot(name)
	for c.slots[j] != 0 {
		j = (j + 1) & (vocabSlots - 1)
	}
	c.names = append(c.names, name)
	c.ids = append(c.ids, id)
	c.slots[j] = uint8(len(c.names))
}

// profileID is what id returned for a name; within a batch it does not
// change, as a name once given an id keeps it and a full profile stays full.
type profileID struct {
	id int32
	ok bool
}

func (p *EventProfile) id(name string) (int32, bool) {
	if id, ok := p.cache.lookup(name); ok {
		return id, true
	}
	id, ok := p.ids[name]
	if !ok {
		if len(p.stats) >= maxProfileNames {
			return 0, false
		}
		name = strings.Clone(name)
		id = int32(len(p.stats))
		p.ids[name] = id
		p.stats = append(p.stats, nameStat{name: name, minTS: math.MaxInt64})
	}
	p.cache.add(p.stats[id].name, id)
	return id, true
}

// batchID is id for a name of the batch seen caches.
func (p *EventProfile) batchID(seen *batchNames[profileID], name string) (int32, bool) {
	e, hit := seen.find(name)
	if !hit {
		id, ok := p.id(name)
		e.set(name, profileID{id, ok})
	}
	return e.v.id, e.v.ok
}

// AddEvents profiles a batch of events; idx holds each row's customer index
// (Builder.Index; negative for an unknown customer, whose rows are
// skipped).
func (p *EventProfile) AddEvents(c *data.EventColumns, idx []int32) {
	n := len(c.CustomerID)
	var seen batchNames[profileID] // this batch's names only
	for r := range n {
		i := idx[r]
		ts := c.TS[r]
		if i < 0 || ts == data.NoTime || ts >= p.until {
			continue
		}
		id, ok := p.batchID(&seen, c.Event[r])
		if !ok {
			p.untracked++
			continue
		}
		s := &p.stats[id]
		s.n++
		s.sumCust += uint64(i)
		s.sumTS += uint64(ts)
		s.minTS = min(s.minTS, ts)
		if i%p.step == 0 {
			key := uint64(i)<<24 | uint64(id)
			d := p.days[key]
			if d == nil {
				d = &dayset{}
				p.days[key] = d
			}
			d.add(int32(floorDiv(ts, dayNS)))
		}
	}
}

// AddEventRows is AddEvents for rows, keyed by the Builder's index.
func (p *EventProfile) AddEventRows(rows []data.Event) {
	idx := make([]int32, len(rows))
	for r := range rows {
		idx[r] = p.b.Index(rows[r].CustomerID)
	}
	p.AddEvents(eventColumns(rows), idx)
}

// AddSessions profiles a batch of sessions, idx as for AddEvents: the days
// on which the sampled customers used the product, against which Catalog
// tells an action taken during use from a signal that fires apart from
// it. Call it for every sessions file or for none.
func (p *EventProfile) AddSessions(c *data.SessionColumns, idx []int32) {
	p.sessSeen = true
	for r := range len(c.CustomerID) {
		i := idx[r]
		ts := c.StartedAt[r]
		if i < 0 || i%p.step != 0 || ts == data.NoTime || ts >= p.until {
			continue
		}
		d := p.sess[i]
		if d == nil {
			d = &dayset{}
			p.sess[i] = d
		}
		d.add(int32(floorDiv(ts, dayNS)))
	}
}

// AddSessionRows is AddSessions for rows, keyed by the Builder's index.
func (p *EventProfile) AddSessionRows(rows []data.Session) {
	idx := make([]int32, len(rows))
	for r := range rows {
		idx[r] = p.b.Index(rows[r].CustomerID)
	}
	p.AddSessions(sessionColumns(rows), idx)
}

// Merge adds the rows of o, a profile of the same Builder, to p.
func (p *EventProfile) Merge(o *EventProfile) {
	p.sessSeen = p.sessSeen || o.sessSeen
	for i, d := range o.sess {
		if t := p.sess[i]; t != nil {
			t.merge(d)
		} else {
			p.sess[i] = d
		}
	}
	p.untracked += o.untracked
	remap := make([]int32, len(o.stats))
	for j, s := range o.stats {
		id, ok := p.id(s.name)
		if !ok {
			remap[j] = -1
			p.untracked += s.n
			continue
		}
		remap[j] = id
		t := &p.stats[id]
		t.n += s.n
		t.sumCust += s.sumCust
		t.sumTS += s.sumTS
		t.minTS = min(t.minTS, s.minTS)
	}
	for key, d := range o.days {
		id := remap[key&(1<<24-1)]
		if id < 0 {
			continue
		}
		k := key>>24<<24 | uint64(id)
		if t := p.days[k]; t != nil {
			t.merge(d)
		} else {
			p.days[k] = d
		}
	}
}

// Names returns the number of distinct event names profiled.
func (p *EventProfile) Names() int { return len(p.stats) }

// Untracked returns the event rows not profiled because their name came
// after the profile's first maxProfileNames names (of this profile or of
// one merged into it). When it is not zero the catalogue is learned from
// the names that came first, which several readers may not agree on from
// one run to the next.
func (p *EventProfile) Untracked() int64 { return p.untracked }

// rankNames orders stats most frequent first. Ties are broken by the rows'
// statistics, which do not depend on the names' spelling, and by the name
// last (only names with identical statistics reach it).
func rankNames(stats []nameStat) []nameStat {
	out := slices.Clone(stats)
	slices.SortFunc(out, func(a, b nameStat) int {
		return cmp.Or(
			cmp.Compare(b.n, a.n),
			cmp.Compare(a.minTS, b.minTS),
			cmp.Compare(a.sumCust, b.sumCust),
			cmp.Compare(a.sumTS, b.sumTS),
			strings.Compare(a.name, b.name),
		)
	})
	return out
}

// Catalog returns the event part of the catalog: the k most frequent
// names, and the names that behave like automated signals.
//
// A name is automated when it passes two tests on the sampled customers
// (about profileSampled, every n-th by index). Cadence: at least
// automatedMinCustomers of them have it over a span of automatedMinSpan
// days or more, and the share of the days of that span on which it
// occurs is at least automatedMedian for the median customer and
// automatedLow for the lower quartile: it fires day after day, for nearly
// everyone. Apart from use: on the days of that span on which the
// customer did not use the product it occurs about as often as on the
// days they did, the median customer's ratio of the two coverages being
// at least automatedApart. The days of use are the days with a session
// when the profile saw sessions (AddSessions), else the days with a row
// of a name that fails the cadence test. The ratio counts for customers
// with at least apartMinDays days of each kind; when fewer than
// automatedMinCustomers have them (everyone uses the product every day,
// or nothing tells use apart), the cadence test decides alone. So a
// product action used daily is told from a heartbeat by the days on which
// the customer stays away.
func (p *EventProfile) Catalog(k int) Catalog {
	ranked := rankNames(p.stats)
	var cat Catalog
	for _, s := range ranked[:min(k, len(ranked))] {
		cat.Events = append(cat.Events, s.name)
	}
	regular := p.cadence()
	var use map[int32]*dayset
	if slices.ContainsFunc(regular, func(c []int32) bool { return c != nil }) {
		use = p.useDays(regular)
	}
	for _, s := range ranked {
		id := p.ids[s.name]
		if regular[id] != nil && p.apart(id, regular[id], use) {
			cat.Automated = append(cat.Automated, s.name)
		}
	}
	return cat
}

// NeedsSessions reports whether a name passes the cadence test, so that
// only sessions (AddSessions) can tell whether it fires apart from use.
func (p *EventProfile) NeedsSessions() bool {
	for _, c := range p.cadence() {
		if c != nil {
			return true
		}
	}
	return false
}

// cadence returns, per name id, the customers (sampled) over whose span of
// automatedMinSpan days or more the name fires, in index order, when the
// name passes the cadence test; nil for the other names.
func (p *EventProfile) cadence() [][]int32 {
	cover := make([][]float64, len(p.stats))
	custs := make([][]int32, len(p.stats))
	for key, d := range p.days {
		id := key & (1<<24 - 1)
		first, last, n := d.span()
		if last-first+1 < automatedMinSpan {
			continue
		}
		cover[id] = append(cover[id], float64(n)/float64(last-first+1))
		custs[id] = append(custs[id], int32(key>>24))
	}
	for id, c := range cover {
		if len(c) < automatedMinCustomers {
			custs[id] = nil
			continue
		}
		slices.Sort(c)
		if !(c[len(c)/2] >= automatedMedian && c[len(c)/4] >= automatedLow) {
			custs[id] = nil
			continue
		}
		slices.Sort(custs[id])
	}
	return custs
}

// apart reports whether name id, which passes the cadence test for the
// sampled customers custs, fires apart from use (use: see useDays); see
// Catalog.
func (p *EventProfile) apart(id int32, custs []int32, use map[int32]*dayset) bool {
	var ratios []float64
	for _, i := range custs {
		d := p.days[uint64(i)<<24|uint64(id)]
		use := use[i]
		first, last, _ := d.span()
		var used, usedHit, idle, idleHit int
		for day := first; day <= last; day++ {
			hit := d.has(day)
			if use != nil && use.has(day) {
				used++
				if hit {
					usedHit++
				}
			} else {
				idle++
				if hit {
					idleHit++
				}
			}
		}
		switch {
		case used < apartMinDays || idle < apartMinDays:
		case usedHit == 0:
			ratios = append(ratios, math.Inf(1))
		default:
			ratios = append(ratios, (float64(idleHit)/float64(idle))/(float64(usedHit)/float64(used)))
		}
	}
	if len(ratios) < automatedMinCustomers {
		return true
	}
	slices.Sort(ratios)
	return ratios[len(ratios)/2] >= automatedApart
}

// useDays returns, per sampled customer, the days on which they used the
// product: their session days when sessions were profiled, else the days
// with a row of a name that fails the cadence test (regular: see
// cadence). A customer without such a day has none.
func (p *EventProfile) useDays(regular [][]int32) map[int32]*dayset {
	if p.sessSeen {
		return p.sess
	}
	use := map[int32]*dayset{}
	for key, d := range p.days {
		if regular[key&(1<<24-1)] != nil {
			continue
		}
		i := int32(key >> 24)
		u := use[i]
		if u == nil {
			u = &dayset{}
			use[i] = u
		}
		u.merge(d)
	}
	return use
}

// has reports whether day is in the set.
func (d *dayset) has(day int32) bool {
	o := day - d.base
	if d.bits == nil || o < 0 || int(o/64) >= len(d.bits) {
		return false
	}
	return d.bits[o/64]&(1<<(o%64)) != 0
}

// span returns the first and last day of a non-empty set and its number
// of days.
func (d *dayset) span() (first, last int32, n int) {
	first, last = math.MaxInt32, math.MinInt32
	for i, w := range d.bits {
		if w == 0 {
			continue
		}
		base := d.base + int32(64*i)
		first = min(first, base+int32(trailingZeros(w)))
		last = max(last, base+63-int32(leadingZeros(w)))
		n += popcount(w)
	}
	return first, last, n
}

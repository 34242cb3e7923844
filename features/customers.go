package features

import (
	"sort"
	"strings"

	"churn/data"
)

// The customers table: the frozen customer index, its fold (AddCustomers,
// Freeze) and the family "profile". The attributes family is in
// attributes.go.

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
		b.attrCols = attrColumns(b.cat.Attributes)
	}
	b.encodeAttributes()
	b.lo, b.hi = 0, len(c.ids)
	b.reset()
	return dups
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

func emitProfile(e *emitter, r *rowCtx) {
	e.put("tenure_days", float64(r.tenure)/float64(dayNS))
}

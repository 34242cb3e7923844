package features

import (
	"fmt"
	"math"

	"churn/data"
)

// The statuses.
const (
	Active  Status = "active"
	New     Status = "new"
	Churned Status = "churned"
)

// FamilyStatus says whether a feature family could be built, and why not.
type FamilyStatus struct {
	Name  string
	Built bool
	Why   string // empty when built
}

// Frame is the feature matrix: one row per customer and cutoff, for every
// customer who signed up before that cutoff, ordered by cutoff then
// customer id.
type Frame struct {
	Names      []string // feature column names, in the order of doc.go
	CustomerID []string
	Cutoff     []int64
	X          []float64 // row-major, Rows() x len(Names); NaN = missing
	Label      []float64 // 1 churned within the horizon, 0 stayed, NaN not labelled
	Status     []Status
	Plan       []string
	Region     []string
	// Contractual says which label definition applies to the row.
	Contractual []bool
	// SignupAt is the customer's signup time; CancelledAt their
	// cancellation when it fell before the row's cutoff, data.NoTime
	// otherwise (a later one is the future).
	SignupAt, CancelledAt []int64
	// Value-model inputs, in days; NaN for customers without a purchase
	// (and everywhere when there is no orders table). RFMx is the number of
	// distinct purchase days minus one, RFMtx the days from the first to
	// the last purchase day, RFMT the whole days from the first purchase
	// day to the last day before the cutoff. MeanRepeat is the mean amount
	// of the repeat purchase days (same-day orders summed, first purchase
	// day excluded), 0 when RFMx is 0 (no repeat spend; the feature
	// repeat_day_value is NaN then).
	RFMx, RFMtx, RFMT, MeanRepeat []float64
	// SpendRate is the net spend (purchases minus refunds) per 30 days of
	// tenure (at least 30 days); Margin the mean known margin of the purchases, DefaultMargin
	// when none is known.
	SpendRate, Margin []float64
	Families          []FamilyStatus
	// Catalog is the catalog the frame was built with: what the event mix
	// ranks and the attribute codes stand for.
	Catalog *Catalog
}

// Rows returns the number of rows.
func (f *Frame) Rows() int { return len(f.CustomerID) }

// Select returns a frame of the given rows of f, in that order, with f's
// names, families and catalog; the row values are copies.
func (f *Frame) Select(rows []int) *Frame {
	cols := len(f.Names)
	out := &Frame{Names: f.Names, Families: f.Families, Catalog: f.Catalog, X: make([]float64, 0, len(rows)*cols)}
	for _, i := range rows {
		out.CustomerID = append(out.CustomerID, f.CustomerID[i])
		out.Cutoff = append(out.Cutoff, f.Cutoff[i])
		out.X = append(out.X, f.X[i*cols:(i+1)*cols]...)
		out.Label = append(out.Label, f.Label[i])
		out.Status = append(out.Status, f.Status[i])
		out.Plan = append(out.Plan, f.Plan[i])
		out.Region = append(out.Region, f.Region[i])
		out.Contractual = append(out.Contractual, f.Contractual[i])
		out.SignupAt = append(out.SignupAt, f.SignupAt[i])
		out.CancelledAt = append(out.CancelledAt, f.CancelledAt[i])
		out.RFMx = append(out.RFMx, f.RFMx[i])
		out.RFMtx = append(out.RFMtx, f.RFMtx[i])
		out.RFMT = append(out.RFMT, f.RFMT[i])
		out.MeanRepeat = append(out.MeanRepeat, f.MeanRepeat[i])
		out.SpendRate = append(out.SpendRate, f.SpendRate[i])
		out.Margin = append(out.Margin, f.Margin[i])
	}
	return out
}

// Col returns the index of the named feature column, or -1.
func (f *Frame) Col(name string) int {
	for i, n := range f.Names {
		if n == name {
			return i
		}
	}
	return -1
}

// At returns the value of feature column j in row i.
func (f *Frame) At(i, j int) float64 { return f.X[i*len(f.Names)+j] }

// Row returns the feature values of row i (a view into X).
func (f *Frame) Row(i int) []float64 {
	n := len(f.Names)
	return f.X[i*n : (i+1)*n : (i+1)*n]
}

// family is one named feature family, built from one table.
type family struct {
	name  string
	table data.Table
	emit  func(e *emitter, r *rowCtx)
}

var families = []family{
	{"profile", data.Customers, emitProfile},
	{"usage", data.Events, emitUsage},
	{"visits", data.Sessions, emitVisits},
	{"engagement", data.Events, emitEngagement},
	{"tickets", data.Tickets, emitTickets},
	{"sentiment", data.Tickets, emitSentiment},
	{"nps", data.Surveys, emitNPS},
	{"value", data.Orders, emitValue},
	{"event_mix", data.Events, emitEventMix},
	{"attributes", data.Customers, emitAttributes},
	{"channels", data.Sessions, emitChannels},
	{"pace", data.Events, emitPace},
	{"support_load", data.Tickets, emitSupportLoad},
	{"spend_trend", data.Orders, emitSpendTrend},
}

// emitter appends a row's features; in naming mode it also records names.
type emitter struct {
	naming bool
	names  []string
	x      []float64
}

func (e *emitter) put(name string, v float64) {
	if e.naming {
		e.names = append(e.names, name)
	}
	e.x = append(e.x, v)
}

// putf is put for a name with a window length, formatted only in naming
// mode so that rows cost no formatting.
func (e *emitter) putf(format string, days int, v float64) {
	if e.naming {
		e.names = append(e.names, fmt.Sprintf(format, days))
	}
	e.x = append(e.x, v)
}

// rowCtx is what the families see of one customer at one cutoff.
type rowCtx struct {
	b       *Builder
	c       int64 // cutoff
	tenure  int64 // c - signup, > 0
	sess    *sessAcc
	ev      *evAcc
	tick    *tickAcc
	nps     *npsAcc
	ord     *ordAcc
	set     *dayset  // purchase days; nil without orders
	k       int      // cutoff index
	i       int      // customer index; -1 when naming
	mix     []uint16 // event mix row; nil without events
	mixBuf  mixView
	chanBuf [2 * (MaxChannels + 1)]float64 // per channel rank, two windows
	rfm     rfm
	sessBuf sessAcc // a[k] with its lifetime part cumulated
	evBuf   evAcc
	zeroSes sessAcc
	zeroEv  evAcc
	zeroTk  tickAcc
	zeroNPS npsAcc
	zeroOrd ordAcc
}

// Build computes the feature matrix, labels and statuses for every cutoff.
// present says which tables the dataset had; a table that is absent and
// never fed leaves its families unbuilt and their columns NaN.
func (b *Builder) Build(present map[data.Table]bool) (*Frame, error) {
	return b.build(present, 0, len(b.g.cutoffs), 0, b.Customers(), nil, false)
}

// BuildLabelled is Build for the rows with a label alone (Label not NaN):
// the rows training fits and measures on, in the order Build gives them,
// each identical to Build's. The features of the other rows are not
// computed, and their memory never taken; CustomersAt says how many rows
// each cutoff had in all.
func (b *Builder) BuildLabelled(present map[data.Table]bool) (*Frame, error) {
	return b.build(present, 0, len(b.g.cutoffs), 0, b.Customers(), nil, true)
}

// CustomersAt returns the number of customers who signed up before the
// k-th cutoff: the rows Build gives at it, labelled or not. b must be
// frozen.
func (b *Builder) CustomersAt(k int) int {
	n := 0
	if b.cust == nil {
		return 0
	}
	c := b.g.cutoffs[k]
	for _, s := range b.cust.signup {
		if s < c {
			n++
		}
	}
	return n
}

// Cutoffs returns the number of cutoffs.
func (b *Builder) Cutoffs() int { return len(b.g.cutoffs) }

// BuildAt is Build for the k-th cutoff alone (0 <= k < Cutoffs()): the rows
// of that cutoff, identical to those Build gives. With many cutoffs and
// customers it bounds the memory of the matrix to one cutoff at a time.
func (b *Builder) BuildAt(present map[data.Table]bool, k int) (*Frame, error) {
	if k < 0 || k >= len(b.g.cutoffs) {
		return nil, fmt.Errorf("cutoff %d of %d: %w", k, len(b.g.cutoffs), ErrCutoffRange)
	}
	return b.build(present, k, k+1, 0, b.Customers(), nil, false)
}

// BuildRange is BuildAt for the customers with index lo <= i < hi alone
// (customers are indexed in id order, 0 <= lo <= hi <= Customers()):
// consecutive ranges give, one after the other, the rows of BuildAt. It
// bounds the memory of the matrix to a slice of one cutoff.
func (b *Builder) BuildRange(present map[data.Table]bool, k, lo, hi int) (*Frame, error) {
	return b.BuildRangeInto(present, k, lo, hi, nil)
}

// BuildRangeInto is BuildRange writing the matrix into x's memory when it
// is large enough (the X of an earlier frame the caller is done with):
// writing a feature table slice by slice, the matrices were most of the
// garbage of the build.
func (b *Builder) BuildRangeInto(present map[data.Table]bool, k, lo, hi int, x []float64) (*Frame, error) {
	if k < 0 || k >= len(b.g.cutoffs) {
		return nil, fmt.Errorf("cutoff %d of %d: %w", k, len(b.g.cutoffs), ErrCutoffRange)
	}
	if lo < 0 || hi < lo || hi > b.Customers() {
		return nil, fmt.Errorf("customers %d to %d of %d: %w", lo, hi, b.Customers(), ErrCutoffRange)
	}
	return b.build(present, k, k+1, lo, hi, x, false)
}

// build builds the rows of customers lo <= i < hi at cutoffs from <= k <
// to, in cutoff then customer order; with labelled, those with a label
// alone.
func (b *Builder) build(present map[data.Table]bool, from, to, lo, hi int, x []float64, labelled bool) (*Frame, error) {
	if b.cust == nil {
		return nil, ErrNotFrozen
	}
	if b.spent {
		return nil, ErrSpent
	}
	if lo < b.lo || hi > b.hi {
		return nil, fmt.Errorf("customers %d to %d, the builder holds %d to %d: %w", lo, hi, b.lo, b.hi, ErrCutoffRange)
	}
	has := func(t data.Table) bool {
		if t == data.Customers || present[t] {
			return true
		}
		i := t.Index()
		return i >= 0 && b.seen[i]
	}
	if !b.cat.ChannelsSet {
		b.cat.SessionChannels = b.chanCount[0].top()
		b.cat.TicketChannels = b.chanCount[1].top()
		b.cat.ChannelsSet = true
		b.applyChannels()
	}
	cat := b.cat
	f := &Frame{Catalog: &cat}
	for _, fam := range families {
		st := FamilyStatus{Name: fam.name, Built: has(fam.table)}
		if !st.Built {
			st.Why = fmt.Sprintf("no %s table", fam.table)
		}
		f.Families = append(f.Families, st)
	}
	// Names come from one pass in naming mode over an empty row.
	var r rowCtx
	r.b = b
	r.tenure = 1
	r.i = -1
	for _, t := range tableFolds {
		t.view(&r, &Builder{}, -1, 0)
	}
	e := &emitter{naming: true}
	for _, fam := range families {
		fam.emit(e, &r)
	}
	f.Names = e.names
	nF := len(f.Names)
	e = &emitter{}

	cu := b.cust
	rows := 0
	for k := from; k < to; k++ {
		c := b.g.cutoffs[k]
		for i := lo; i < hi; i++ {
			if cu.signup[i] < c && (!labelled || b.hasLabel(i, k, c)) {
				rows++
			}
		}
	}
	if cap(x) >= rows*nF {
		e.x = x[:0]
	} else {
		e.x = make([]float64, 0, rows*nF)
	}
	f.CustomerID = make([]string, 0, rows)
	f.Cutoff = make([]int64, 0, rows)
	f.Label = make([]float64, 0, rows)
	f.Status = make([]Status, 0, rows)
	f.Plan = make([]string, 0, rows)
	f.Region = make([]string, 0, rows)
	f.Contractual = make([]bool, 0, rows)
	f.SignupAt = make([]int64, 0, rows)
	f.CancelledAt = make([]int64, 0, rows)
	for _, col := range []*[]float64{&f.RFMx, &f.RFMtx, &f.RFMT, &f.MeanRepeat, &f.SpendRate, &f.Margin} {
		*col = make([]float64, 0, rows)
	}

	for k := from; k < to; k++ {
		c := b.g.cutoffs[k]
		for i := lo; i < hi; i++ {
			signup := cu.signup[i]
			if signup >= c {
				continue
			}
			st, label := b.statusLabel(i, k, c)
			if labelled && math.IsNaN(label) {
				continue
			}
			ii := int32(i)
			r.c, r.k, r.tenure, r.i = c, k, c-signup, i
			src := b.part(i)
			for _, t := range tableFolds {
				t.view(&r, src, ii, k)
			}

			start := len(e.x)
			for fi, fam := range families {
				from := len(e.x)
				fam.emit(e, &r)
				if !f.Families[fi].Built {
					for j := from; j < len(e.x); j++ {
						e.x[j] = math.NaN()
					}
				}
			}
			if len(e.x)-start != nF {
				return nil, fmt.Errorf("customer %s: %d features, want %d: %w", cu.ids[i], len(e.x)-start, nF, errFeatureCount)
			}

			f.CustomerID = append(f.CustomerID, cu.ids[i])
			f.Cutoff = append(f.Cutoff, c)
			f.Label = append(f.Label, label)
			f.Status = append(f.Status, st)
			f.Plan = append(f.Plan, cu.plan[i])
			f.Region = append(f.Region, cu.region[i])
			f.Contractual = append(f.Contractual, cu.contractual[i*len(b.g.cutoffs)+k])
			f.SignupAt = append(f.SignupAt, signup)
			f.CancelledAt = append(f.CancelledAt, before(cu.cancelled[i], c))
			orders := has(data.Orders)
			f.RFMx = append(f.RFMx, nanIf(!orders, r.rfm.x))
			f.RFMtx = append(f.RFMtx, nanIf(!orders, r.rfm.tx))
			f.RFMT = append(f.RFMT, nanIf(!orders, r.rfm.T))
			f.MeanRepeat = append(f.MeanRepeat, nanIf(!orders, r.rfm.meanRepeat))
			f.SpendRate = append(f.SpendRate, nanIf(!orders, float64(r.rfm.buy-r.rfm.ref)/micro/spendMonths(r.tenure)))
			f.Margin = append(f.Margin, r.rfm.margin)
		}
	}
	f.X = e.x
	return f, nil
}

// before returns t when it is before c, and data.NoTime otherwise: a later
// time is the future at c.
func before(t, c int64) int64 {
	if t != data.NoTime && t < c {
		return t
	}
	return data.NoTime
}

func nanIf(cond bool, v float64) float64 {
	if cond {
		return math.NaN()
	}
	return v
}

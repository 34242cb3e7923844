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
	// X is row-major, Rows() x len(Names); NaN = missing. In a frame
	// of PlanBuildMapped it lies off the Go heap and is unmapped once no
	// copy of the Frame is reachable: whoever uses X, or a slice of it,
	// keeps the Frame reachable (runtime.KeepAlive) until done with it.
	X      []float64
	Label  []float64 // 1 churned within the horizon, 0 stayed, NaN not labelled
	Status []Status
	Plan   []string
	Region []string
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
	// mem owns X when it lies off the heap (PlanBuildMapped), nil
	// otherwise.
	mem *arena
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
	p, err := b.plan(present, from, to, lo, hi, x, labelled, planCustomers, false)
	if err != nil {
		return nil, err
	}
	for j := range p.parts {
		if err := p.Fill(j); err != nil {
			return nil, err
		}
	}
	return p.Frame, nil
}

// BuildPlan is a build split into parts, each the rows of one cutoff and
// one range of customers, that may be filled in any order and at the same
// time: Build's frame built on several goroutines. The plan's Frame has
// every row and column allocated from the start; Fill writes the rows of
// one part in place, so the frame, once every part is filled, is the one
// Build gives, bit for bit.
type BuildPlan struct {
	// Frame is the frame the parts fill. Its rows are in Build's order;
	// a row's values are set once its part is filled.
	Frame    *Frame
	b        *Builder
	parts    []buildPart
	built    []bool // per family, as Frame.Families
	orders   bool   // the orders table is present
	labelled bool
}

// buildPart is the rows of customers [lo, hi) at cutoff k, rows [row,
// row+n) of the frame.
type buildPart struct {
	k, lo, hi int
	row, n    int
}

// planCustomers is how many customers of one cutoff a part of a BuildPlan
// covers: enough that a part's set-up is nothing beside its rows, few
// enough that the parts of a cutoff keep a few goroutines busy to the end.
const planCustomers = 4096

// PlanBuild is Build as a BuildPlan, for a caller that fills its parts on
// several goroutines; with labelled, BuildLabelled. The Builder must not
// be fed, merged or joined until every part is filled.
func (b *Builder) PlanBuild(present map[data.Table]bool, labelled bool) (*BuildPlan, error) {
	return b.plan(present, 0, len(b.g.cutoffs), 0, b.Customers(), nil, labelled, planCustomers, false)
}

// PlanBuildMapped is PlanBuild with the frame's matrix mapped off the Go
// heap where the platform allows (see Frame.X for how long it lives).
// Memory from the heap is cleared by the goroutine that takes it, before
// any part is filled; memory freshly mapped is not, and its first writes,
// by the goroutines that fill the parts, fault it in huge pages at once.
// The values are those of PlanBuild, bit for bit.
func (b *Builder) PlanBuildMapped(present map[data.Table]bool, labelled bool) (*BuildPlan, error) {
	return b.plan(present, 0, len(b.g.cutoffs), 0, b.Customers(), nil, labelled, planCustomers, true)
}

// Parts returns the number of parts of the plan, for Fill.
func (p *BuildPlan) Parts() int { return len(p.parts) }

// plan lays out the build of the rows of customers lo <= i < hi at
// cutoffs from <= k < to (see build), into x's memory when it is large
// enough, in parts of per customers of a cutoff; with mapped, and no x,
// off the heap (PlanBuildMapped).
func (b *Builder) plan(present map[data.Table]bool, from, to, lo, hi int, x []float64, labelled bool, per int, mapped bool) (*BuildPlan, error) {
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
	p := &BuildPlan{Frame: f, b: b, orders: has(data.Orders), labelled: labelled}
	for _, fam := range families {
		st := FamilyStatus{Name: fam.name, Built: has(fam.table)}
		if !st.Built {
			st.Why = fmt.Sprintf("no %s table", fam.table)
		}
		f.Families = append(f.Families, st)
		p.built = append(p.built, st.Built)
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

	cu := b.cust
	rows := 0
	for k := from; k < to; k++ {
		c := b.g.cutoffs[k]
		for plo := lo; plo < hi; plo += per {
			part := buildPart{k: k, lo: plo, hi: min(plo+per, hi), row: rows}
			for i := part.lo; i < part.hi; i++ {
				if cu.signup[i] < c && (!labelled || b.hasLabel(i, k, c)) {
					part.n++
				}
			}
			rows += part.n
			p.parts = append(p.parts, part)
		}
	}
	switch {
	case cap(x) >= rows*nF:
		f.X = x[:rows*nF]
	case mapped:
		f.X = newPage[float64](&f.mem, rows*nF)
	default:
		f.X = make([]float64, rows*nF)
	}
	f.CustomerID = make([]string, rows)
	f.Cutoff = make([]int64, rows)
	f.Label = make([]float64, rows)
	f.Status = make([]Status, rows)
	f.Plan = make([]string, rows)
	f.Region = make([]string, rows)
	f.Contractual = make([]bool, rows)
	f.SignupAt = make([]int64, rows)
	f.CancelledAt = make([]int64, rows)
	for _, col := range []*[]float64{&f.RFMx, &f.RFMtx, &f.RFMT, &f.MeanRepeat, &f.SpendRate, &f.Margin} {
		*col = make([]float64, rows)
	}
	return p, nil
}

// Fill computes the rows of part j (0 <= j < Parts()) into the plan's
// Frame. Calls for different parts may run at the same time: a part
// writes its own rows alone and reads the Builder's accumulators, which
// no build changes.
func (p *BuildPlan) Fill(j int) error {
	if j < 0 || j >= len(p.parts) {
		return fmt.Errorf("part %d of %d: %w", j, len(p.parts), ErrCutoffRange)
	}
	b, f, part := p.b, p.Frame, p.parts[j]
	cu := b.cust
	nF := len(f.Names)
	var r rowCtx
	r.b = b
	e := &emitter{x: f.X[part.row*nF : part.row*nF : (part.row+part.n)*nF]}
	k := part.k
	c := b.g.cutoffs[k]
	row := part.row
	for i := part.lo; i < part.hi; i++ {
		signup := cu.signup[i]
		if signup >= c {
			continue
		}
		st, label := b.statusLabel(i, k, c)
		if p.labelled && math.IsNaN(label) {
			continue
		}
		if row == part.row+part.n {
			return fmt.Errorf("cutoff %d, customers %d to %d: more than the %d rows planned: %w", k, part.lo, part.hi, part.n, errFeatureCount)
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
			if !p.built[fi] {
				for j := from; j < len(e.x); j++ {
					e.x[j] = math.NaN()
				}
			}
		}
		if len(e.x)-start != nF {
			return fmt.Errorf("customer %s: %d features, want %d: %w", cu.ids[i], len(e.x)-start, nF, errFeatureCount)
		}

		f.CustomerID[row] = cu.ids[i]
		f.Cutoff[row] = c
		f.Label[row] = label
		f.Status[row] = st
		f.Plan[row] = cu.plan[i]
		f.Region[row] = cu.region[i]
		f.Contractual[row] = cu.contractual[i*len(b.g.cutoffs)+k]
		f.SignupAt[row] = signup
		f.CancelledAt[row] = before(cu.cancelled[i], c)
		f.RFMx[row] = nanIf(!p.orders, r.rfm.x)
		f.RFMtx[row] = nanIf(!p.orders, r.rfm.tx)
		f.RFMT[row] = nanIf(!p.orders, r.rfm.T)
		f.MeanRepeat[row] = nanIf(!p.orders, r.rfm.meanRepeat)
		f.SpendRate[row] = nanIf(!p.orders, float64(r.rfm.buy-r.rfm.ref)/micro/spendMonths(r.tenure))
		f.Margin[row] = r.rfm.margin
		row++
	}
	if row != part.row+part.n {
		return fmt.Errorf("cutoff %d, customers %d to %d: %d rows, %d planned: %w", k, part.lo, part.hi, row-part.row, part.n, errFeatureCount)
	}
	return nil
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

package lists

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"churn/data/runs"
)

// Filter selects customers of a run. The zero value selects everyone.
type Filter struct {
	Segment   string  // one segment name; "" any
	Risk      string  // churn risk tier high, medium or low; "" any
	ValueTier string  // value tier high, medium or low; "" any
	Region    string  // "" any
	Plan      string  // "" any
	Search    string  // part of a customer id, case-insensitive; "" any
	MinValue  float64 // predicted value at least this
	MinRisk   float64 // churn probability at least this, in [0, 1]
}

// matcher is a Filter compiled against one run: codes instead of strings.
type matcher struct {
	r                               *Run
	segment, risk, tier, region, pl int // -1 any
	search                          string
	lower                           []string // the run's ids in lower case, when searching
	minValue, minRisk               float64
}

func quoteAll(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, ", ")
}

// compile checks f against the run and reports every problem at once.
func (r *Run) compile(f Filter) (*matcher, error) {
	m := &matcher{r: r, segment: -1, risk: -1, tier: -1, region: -1, pl: -1,
		search: strings.ToLower(f.Search), minValue: f.MinValue, minRisk: f.MinRisk}
	if m.search != "" {
		m.lower = r.lowerIDs()
	}
	var errs []string
	if f.Segment != "" {
		m.segment = r.segment.lookup(f.Segment)
		if m.segment < 0 && slices.Contains(runs.Segments, f.Segment) {
			// A canonical id selects the segment whatever the run named it.
			m.segment = r.segment.lookup(r.SegmentName(f.Segment))
		}
		if m.segment < 0 && !slices.Contains(runs.Segments, f.Segment) && !slices.Contains(r.SegmentNames(), f.Segment) {
			known := r.SegmentNames()
			for _, v := range r.segment.values {
				if !slices.Contains(known, v) {
					known = append(known, v)
				}
			}
			errs = append(errs, fmt.Sprintf("unknown segment %q (segments: %s)", f.Segment, strings.Join(known, ", ")))
		} else if m.segment < 0 {
			m.segment = math.MaxInt // a known segment that no customer is in
		}
	}
	tier := func(name, v string, c *category, dst *int) {
		if v == "" {
			return
		}
		if !slices.Contains(runs.Tiers, v) {
			errs = append(errs, fmt.Sprintf("unknown %s %q (want high, medium or low)", name, v))
			return
		}
		if *dst = c.lookup(v); *dst < 0 {
			*dst = math.MaxInt
		}
	}
	tier("churn risk tier", f.Risk, &r.risk, &m.risk)
	tier("value tier", f.ValueTier, &r.tier, &m.tier)
	for _, c := range []struct {
		name, v string
		cat     *category
		dst     *int
	}{{"region", f.Region, &r.region, &m.region}, {"plan", f.Plan, &r.plan, &m.pl}} {
		if c.v == "" {
			continue
		}
		if *c.dst = c.cat.lookup(c.v); *c.dst < 0 {
			errs = append(errs, fmt.Sprintf("unknown %s %q (the run has %s)", c.name, c.v, quoteAll(nonEmpty(c.cat.values))))
		}
	}
	if math.IsNaN(f.MinValue) || math.IsInf(f.MinValue, 0) {
		errs = append(errs, fmt.Sprintf("minimum value %v is not a number", f.MinValue))
	}
	if !(f.MinRisk >= 0 && f.MinRisk <= 1) {
		errs = append(errs, fmt.Sprintf("minimum churn probability %v is outside 0..1", f.MinRisk))
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s: %w", strings.Join(errs, "; "), ErrInvalid)
	}
	return m, nil
}

func nonEmpty(s []string) []string {
	out := make([]string, 0, len(s))
	for _, v := range s {
		if v != "" {
			out = append(out, v)
		}
	}
	return out
}

func (m *matcher) match(i int32) bool {
	r := m.r
	if m.segment >= 0 && int(r.segment.code[i]) != m.segment ||
		m.risk >= 0 && int(r.risk.code[i]) != m.risk ||
		m.tier >= 0 && int(r.tier.code[i]) != m.tier ||
		m.region >= 0 && int(r.region.code[i]) != m.region ||
		m.pl >= 0 && int(r.plan.code[i]) != m.pl {
		return false
	}
	// NaN fails both comparisons: a customer without a value or
	// probability is not selected by a minimum.
	if m.minValue != 0 && !(r.value[i] >= m.minValue) {
		return false
	}
	if m.minRisk != 0 && !(r.prob[i] >= m.minRisk) {
		return false
	}
	if m.search != "" && !strings.Contains(m.lower[i], m.search) {
		return false
	}
	return true
}

// lowerIDs returns the customer ids in lower case, computed once.
func (r *Run) lowerIDs() []string {
	r.lowerOnce.Do(func() {
		r.lower = make([]string, r.N)
		for i, id := range r.ids {
			r.lower[i] = strings.ToLower(id)
		}
	})
	return r.lower
}

// parseSort returns the column index and direction of a sort key: "col" or
// "-col" descending, "+col" ascending; "" is value_at_risk descending.
func (r *Run) parseSort(key string) (col int, desc bool, norm string, err error) {
	desc = true
	name := key
	switch {
	case key == "":
		name = "value_at_risk"
	case strings.HasPrefix(key, "+"):
		name, desc = key[1:], false
	case strings.HasPrefix(key, "-"):
		name = key[1:]
	}
	col, ok := r.index[name]
	if !ok {
		return 0, false, "", fmt.Errorf("unknown sort column %q (columns: %s): %w", name, strings.Join(r.Columns(), ", "), ErrInvalid)
	}
	if desc {
		return col, true, "-" + name, nil
	}
	return col, false, "+" + name, nil
}

// Order returns the rows of the run sorted by key ("col" or "-col"
// descending, "+col" ascending, "" value at risk descending), nulls last
// in both directions, ties by customer id ascending. The order is computed
// once per key and shared: callers must not modify it.
func (r *Run) Order(key string) ([]int32, error) {
	col, desc, norm, err := r.parseSort(key)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if o, ok := r.orders[norm]; ok {
		return o, nil
	}
	o := make([]int32, r.N)
	for i := range o {
		o[i] = int32(i)
	}
	c := &r.cols[col]
	ids := r.ids
	byID := func(a, b int32) int { return strings.Compare(ids[a], ids[b]) }
	switch {
	case c.f != nil:
		f := c.f
		slices.SortFunc(o, func(a, b int32) int {
			x, y := f[a], f[b]
			xn, yn := math.IsNaN(x), math.IsNaN(y)
			switch {
			case xn && yn:
				return byID(a, b)
			case xn:
				return 1
			case yn:
				return -1
			}
			v := cmp.Compare(x, y)
			if desc {
				v = -v
			}
			if v != 0 {
				return v
			}
			return byID(a, b)
		})
	case c.s != nil:
		s := c.s
		slices.SortFunc(o, func(a, b int32) int {
			v := strings.Compare(s[a], s[b])
			if desc {
				v = -v
			}
			if v != 0 {
				return v
			}
			return byID(a, b)
		})
	default: // a constant column: the order of ids
		slices.SortFunc(o, byID)
	}
	r.orders[norm] = o
	return o, nil
}

// Select returns the rows that match f, sorted by key (see Order), at
// most top of them when top > 0.
func (r *Run) Select(f Filter, key string, top int) ([]int32, error) {
	m, err := r.compile(f)
	if err != nil {
		return nil, err
	}
	order, err := r.Order(key)
	if err != nil {
		return nil, err
	}
	var rows []int32
	for _, i := range order {
		if m.match(i) {
			rows = append(rows, i)
			if top > 0 && len(rows) == top {
				break
			}
		}
	}
	return rows, nil
}

// Page returns the total number of rows that match f and the rows of one
// page of them (pages counted from 0), sorted by key.
func (r *Run) Page(f Filter, key string, page, size int) (total int, rows []int32, err error) {
	m, err := r.compile(f)
	if err != nil {
		return 0, nil, err
	}
	if page < 0 || size <= 0 {
		return 0, nil, fmt.Errorf("page %d of size %d: want page >= 0 and size > 0: %w", page, size, ErrInvalid)
	}
	order, err := r.Order(key)
	if err != nil {
		return 0, nil, err
	}
	// Count in row order, which reads the columns sequentially, then walk
	// the sorted order only as far as the page.
	for i := range int32(r.N) {
		if m.match(i) {
			total++
		}
	}
	lo := page * size
	rows = make([]int32, 0, min(size, max(0, total-lo)))
	seen := 0
	for _, i := range order {
		if len(rows) == cap(rows) {
			break
		}
		if !m.match(i) {
			continue
		}
		if seen >= lo {
			rows = append(rows, i)
		}
		seen++
	}
	return total, rows, nil
}

// Counts is what a filter selects, per segment.
type Counts struct {
	Segment     string  `json:"segment"`
	Customers   int     `json:"customers"`
	ValueAtRisk float64 `json:"value_at_risk"`
	ID          string  `json:"id,omitempty"` // the canonical id of one of runs.Segments
}

// SegmentCounts returns the customers and value at risk of every segment
// of the run, the six segments first in the order of runs.Segments (under the
// names the run gave them), then any others.
func (r *Run) SegmentCounts() []Counts {
	n := make([]int, len(r.segment.values))
	v := make([]float64, len(r.segment.values))
	for i, c := range r.segment.code {
		n[c]++
		if x := r.var_[i]; !math.IsNaN(x) {
			v[c] += x
		}
	}
	var out []Counts
	names := r.SegmentNames()
	for i, s := range names {
		if k := r.segment.lookup(s); k >= 0 {
			out = append(out, Counts{s, n[k], v[k], runs.Segments[i]})
		} else {
			out = append(out, Counts{Segment: s, ID: runs.Segments[i]})
		}
	}
	for k, s := range r.segment.values {
		if !slices.Contains(names, s) {
			out = append(out, Counts{Segment: s, Customers: n[k], ValueAtRisk: v[k]})
		}
	}
	return out
}

// Values returns the distinct non-empty values of a categorical column:
// "segment", "churn_risk", "value_tier", "region" or "plan".
func (r *Run) Values(name string) []string {
	switch name {
	case "segment":
		return nonEmpty(r.segment.values)
	case "churn_risk":
		return nonEmpty(r.risk.values)
	case "value_tier":
		return nonEmpty(r.tier.values)
	case "region":
		return nonEmpty(r.region.values)
	case "plan":
		return nonEmpty(r.plan.values)
	}
	return nil
}

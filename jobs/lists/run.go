package lists

import (
	"errors"
	"fmt"
	"io/fs"
	"math"
	"slices"
	"sort"
	"strings"
	"sync"

	"churn/data"
	"churn/data/runs"
	"churn/data/store"
)

// Dates returns the dates of the finished runs under scores, oldest first
// (runs.Dates). A missing or unreadable folder, or one without runs, is an
// ErrInvalid.
func Dates(scores string) ([]string, error) {
	if scores == "" {
		return nil, fmt.Errorf("no scores folder given: %w", ErrInvalid)
	}
	dates, err := runs.Dates(scores)
	if errors.Is(err, store.ErrUnavailable) {
		return nil, fmt.Errorf("scores: %w", err) // a retry may succeed
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("scores folder %s does not exist: %w", scores, ErrInvalid)
	}
	if err != nil {
		return nil, fmt.Errorf("scores folder %s: %w: %w", scores, ErrInvalid, err)
	}
	if len(dates) == 0 {
		return nil, fmt.Errorf("scores folder %s holds no as_of=YYYY-MM-DD run folders (write one with churn run --out %s): %w", scores, scores, ErrInvalid)
	}
	return dates, nil
}

// CheckDate reports whether d is a run date of the form YYYY-MM-DD; its
// error is an ErrInvalid.
func CheckDate(d string) error {
	if err := runs.CheckDate(d); err != nil {
		return fmt.Errorf("%w: %w", err, ErrInvalid)
	}
	return nil
}

// pick returns asOf when it is one of dates, or the latest date when asOf
// is empty.
func pick(scores string, dates []string, asOf string) (string, error) {
	if asOf == "" {
		return dates[len(dates)-1], nil
	}
	if err := CheckDate(asOf); err != nil {
		return "", err
	}
	if _, ok := slices.BinarySearch(dates, asOf); !ok {
		return "", fmt.Errorf("no run of %s under %s (runs: %s): %w: %w", asOf, scores, strings.Join(dates, ", "), ErrInvalid, ErrNotFound)
	}
	return asOf, nil
}

// column is one output column of a run: strings or floats, or one
// constant string for every row.
type column struct {
	name  string
	s     []string
	f     []float64
	konst string
	dec   int // decimals written for floats
}

func (c *column) str(i int32) string {
	if c.s != nil {
		return c.s[i]
	}
	return c.konst
}

// category holds a string column as small codes, for fast filters.
type category struct {
	values []string // distinct values, sorted
	code   []uint16 // per row, index into values
}

func newCategory(s []string) (category, error) {
	seen := map[string]uint16{}
	for _, v := range s {
		if _, ok := seen[v]; !ok {
			seen[v] = 0
		}
	}
	if len(seen) > math.MaxUint16 {
		return category{}, fmt.Errorf("%d distinct values", len(seen))
	}
	c := category{values: make([]string, 0, len(seen)), code: make([]uint16, len(s))}
	for v := range seen {
		c.values = append(c.values, v)
	}
	sort.Strings(c.values)
	for i, v := range c.values {
		seen[v] = uint16(i)
	}
	for i, v := range s {
		c.code[i] = seen[v]
	}
	return c, nil
}

// lookup returns the code of v, or -1 when no row has it.
func (c *category) lookup(v string) int {
	i, ok := slices.BinarySearch(c.values, v)
	if !ok {
		return -1
	}
	return i
}

// Run is one run's scored customers, in memory. Its methods are safe for
// concurrent use.
type Run struct {
	Dir      string        // the as_of=DATE folder
	AsOf     string        // YYYY-MM-DD
	Manifest runs.Manifest // as written by the run
	N        int           // customers
	Facts    []string      // the fact columns: every extra double column
	// Passthrough lists the customers/ columns the run carried, such as
	// email or crm_id, shown after customer_id.
	Passthrough []string

	cols  []column       // output columns in output order
	index map[string]int // output column name -> index in cols
	ids   []string
	prob  []float64
	value []float64
	var_  []float64
	// reasons as written, "; "-joined
	reasons []string
	// segID is every row's canonical segment id, whatever the run named
	// the segment: what comparisons between runs use.
	segID []string

	segment, risk, tier, region, plan category

	lowerOnce sync.Once
	lower     []string // ids in lower case, for searches

	mu     sync.Mutex
	orders map[string][]int32 // "+col" or "-col" -> row order
	sorted map[string][]float64
}

// Load reads the run of asOf (YYYY-MM-DD; "" means the latest) under
// scores into memory.
func Load(scores, asOf string) (*Run, error) {
	dates, err := Dates(scores)
	if err != nil {
		return nil, err
	}
	d, err := pick(scores, dates, asOf)
	if err != nil {
		return nil, err
	}
	return loadDir(scores, d)
}

// previous returns the run date before asOf under scores, or since when
// given.
func previous(scores, asOf, since string) (string, error) {
	dates, err := Dates(scores)
	if err != nil {
		return "", err
	}
	if since != "" {
		d, err := pick(scores, dates, since)
		if err != nil {
			return "", err
		}
		if d >= asOf {
			return "", fmt.Errorf("--since %s is not before the run of %s: %w", d, asOf, ErrInvalid)
		}
		return d, nil
	}
	i, _ := slices.BinarySearch(dates, asOf)
	if i == 0 {
		return "", fmt.Errorf("no run before %s under %s to compare with: %w", asOf, scores, ErrInvalid)
	}
	return dates[i-1], nil
}

func loadDir(scores, asOf string) (*Run, error) {
	run, err := runs.Open(scores, asOf)
	if err != nil {
		return nil, unreadable(err)
	}
	r := &Run{Dir: run.Dir, AsOf: asOf, Manifest: run.Manifest}
	all, err := run.Read()
	if err != nil {
		return nil, unreadable(err)
	}
	if err := r.build(all); err != nil {
		return nil, fmt.Errorf("run %s: %w", r.Dir, err)
	}
	return r, nil
}

// unreadable marks an error reading a run as ErrInvalid, except a
// bucket's failure that a retry may get past: a store that kept failing
// (store.ErrUnavailable) or an object that vanished after it was listed
// (store.ErrGone, a run being replaced).
func unreadable(err error) error {
	if errors.Is(err, store.ErrUnavailable) || errors.Is(err, store.ErrGone) {
		return err
	}
	return fmt.Errorf("%w: %w", err, ErrInvalid)
}

func (r *Run) build(cols []data.OutColumn) error {
	byName := map[string]*data.OutColumn{}
	for i := range cols {
		byName[cols[i].Name] = &cols[i]
	}
	var missing []string
	for _, q := range runs.Required {
		c, ok := byName[q.Name]
		if !ok {
			missing = append(missing, q.Name)
			continue
		}
		if c.Kind != q.Kind {
			return fmt.Errorf("column %s is %s, want %s: %w", q.Name, c.Kind, q.Kind, ErrInvalid)
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("part files lack columns %s (a run written by an older version of churn? run churn run again): %w",
			strings.Join(missing, ", "), ErrInvalid)
	}
	strs := func(name string) []string {
		if c, ok := byName[name]; ok && c.Kind == data.String {
			return c.Strings
		}
		return nil
	}
	r.ids = strs(runs.CustomerID.Name)
	r.N = len(r.ids)
	r.prob = byName[runs.ChurnProbability.Name].Floats
	r.value = byName[runs.PredictedValue.Name].Floats
	r.var_ = byName[runs.ValueAtRisk.Name].Floats
	r.reasons = strs(runs.Reasons.Name)
	if r.reasons == nil {
		r.reasons = make([]string, r.N)
	}
	// The reasons' stable codes, for a CRM to branch on; runs written
	// before the codes existed read as having none.
	codes := strs(runs.ReasonCodes.Name)
	if codes == nil {
		codes = make([]string, r.N)
	}
	for _, c := range []struct {
		dst  *category
		name string
	}{{&r.segment, runs.SegmentColumn.Name}, {&r.risk, runs.ChurnRisk.Name}, {&r.tier, runs.ValueTier.Name}, {&r.region, runs.Region.Name}, {&r.plan, runs.Plan.Name}} {
		s := strs(c.name)
		if s == nil {
			s = make([]string, r.N)
		}
		cat, err := newCategory(s)
		if err != nil {
			return fmt.Errorf("column %s: %w: %w", c.name, ErrInvalid, err)
		}
		*c.dst = cat
	}
	if err := r.canonicalSegments(strs(runs.SegmentColumn.Name)); err != nil {
		return err
	}
	var r1, r2, r3 []string
	r1, r2, r3 = make([]string, r.N), make([]string, r.N), make([]string, r.N)
	for i, s := range r.reasons {
		dst := [3]*string{&r1[i], &r2[i], &r3[i]}
		for k := 0; k < 3 && s != ""; k++ {
			var part string
			part, s, _ = strings.Cut(s, "; ")
			*dst[k] = part
		}
	}
	r.cols = []column{{name: "customer_id", s: r.ids}}
	for _, name := range r.Manifest.Passthrough {
		s := strs(name)
		if s == nil {
			return fmt.Errorf("manifest names passthrough column %s, which the part files lack: %w", name, ErrInvalid)
		}
		r.Passthrough = append(r.Passthrough, name)
		r.cols = append(r.cols, column{name: name, s: s})
	}
	r.cols = append(r.cols, []column{
		{name: "segment", s: strs(runs.SegmentColumn.Name)},
		{name: "churn_probability", f: r.prob, dec: 4},
		{name: "predicted_value", f: r.value, dec: 2},
		{name: "value_at_risk", f: r.var_, dec: 2},
		{name: "reason_1", s: r1},
		{name: "reason_2", s: r2},
		{name: "reason_3", s: r3},
		{name: "reason_codes", s: codes},
	}...)
	known := map[string]bool{"churn_probability": true, "predicted_value": true, "value_at_risk": true}
	for _, c := range cols {
		if known[c.Name] {
			continue
		}
		switch c.Kind {
		case data.Float:
			r.Facts = append(r.Facts, c.Name)
			r.cols = append(r.cols, column{name: c.Name, f: c.Floats, dec: 4})
		case data.Int:
			f := make([]float64, len(c.Ints))
			for i, v := range c.Ints {
				f[i] = float64(v)
			}
			r.Facts = append(r.Facts, c.Name)
			r.cols = append(r.cols, column{name: c.Name, f: f, dec: 0})
		}
	}
	for _, name := range []string{runs.Plan.Name, runs.Region.Name, runs.ChurnRisk.Name, runs.ValueTier.Name} {
		s := strs(name)
		if s == nil {
			s = make([]string, r.N)
		}
		r.cols = append(r.cols, column{name: name, s: s})
	}
	r.cols = append(r.cols, column{name: "as_of", konst: r.AsOf})
	r.index = map[string]int{}
	for i, c := range r.cols {
		r.index[c.name] = i
	}
	r.orders = map[string][]int32{}
	r.sorted = map[string][]float64{}
	return nil
}

// SegmentName returns the name the run gives the segment of canonical id
// (one of runs.Segments).
func (r *Run) SegmentName(id string) string { return r.Manifest.Names().Of(id) }

// SegmentNames returns the run's segment names, in the order of
// runs.Segments.
func (r *Run) SegmentNames() []string { return r.Manifest.Names().List() }

// canonicalSegments maps every row's segment name back to its canonical
// id through the manifest's segment names. A name the manifest does not
// know stays as it is.
func (r *Run) canonicalSegments(names []string) error {
	byName, err := r.Manifest.Names().IDs()
	if err != nil {
		return fmt.Errorf("manifest: %w: %w", err, ErrInvalid)
	}
	r.segID = make([]string, r.N)
	for i, n := range names {
		if id, ok := byName[n]; ok {
			r.segID[i] = id
		} else {
			r.segID[i] = n
		}
	}
	return nil
}

// Columns returns the names of the output columns, in order.
func (r *Run) Columns() []string {
	names := make([]string, len(r.cols))
	for i, c := range r.cols {
		names[i] = c.name
	}
	return names
}

// Find returns the row of a customer id.
func (r *Run) Find(id string) (int32, error) {
	r.mu.Lock()
	byID, ok := r.orders["+customer_id"]
	r.mu.Unlock()
	if !ok {
		var err error
		if byID, err = r.Order("+customer_id"); err != nil {
			return 0, err
		}
	}
	i := sort.Search(len(byID), func(k int) bool { return r.ids[byID[k]] >= id })
	if i == len(byID) || r.ids[byID[i]] != id {
		return 0, fmt.Errorf("no customer %q in the run of %s: %w: %w", id, r.AsOf, ErrInvalid, ErrNotFound)
	}
	return byID[i], nil
}

// Customer is one customer's row: every output column as text (floats
// with their output decimals, null as ""), and the floats again.
type Customer struct {
	Row     int32
	Text    map[string]string
	Numbers map[string]float64 // NaN for null
	Reasons []string
}

// Customer returns row i.
func (r *Run) Customer(i int32) Customer {
	c := Customer{Row: i, Text: map[string]string{}, Numbers: map[string]float64{}}
	var buf []byte
	for k := range r.cols {
		col := &r.cols[k]
		if col.f != nil {
			c.Numbers[col.name] = col.f[i]
			buf = appendFloat(buf[:0], col.f[i], col.dec)
			c.Text[col.name] = string(buf)
			continue
		}
		c.Text[col.name] = col.str(i)
	}
	for _, name := range []string{"reason_1", "reason_2", "reason_3"} {
		if s := c.Text[name]; s != "" {
			c.Reasons = append(c.Reasons, s)
		}
	}
	return c
}

// Percentile returns the share of customers, among those with a value,
// whose value of fact column name is below v, in [0, 1]; NaN when v is NaN
// or nobody has a value.
func (r *Run) Percentile(name string, v float64) float64 {
	if math.IsNaN(v) {
		return math.NaN()
	}
	r.mu.Lock()
	s, ok := r.sorted[name]
	if !ok {
		if k, ok := r.index[name]; ok && r.cols[k].f != nil {
			for _, x := range r.cols[k].f {
				if !math.IsNaN(x) {
					s = append(s, x)
				}
			}
			slices.Sort(s)
		}
		r.sorted[name] = s
	}
	r.mu.Unlock()
	if len(s) == 0 {
		return math.NaN()
	}
	lo := sort.SearchFloat64s(s, v)
	hi := sort.Search(len(s), func(i int) bool { return s[i] > v })
	return (float64(lo) + float64(hi-lo)/2) / float64(len(s))
}

// NewRun makes a run from columns already in memory, as read from a run's
// part files, for callers that hold them (and for benchmarks).
func NewRun(asOf string, m runs.Manifest, cols []data.OutColumn) (*Run, error) {
	if err := CheckDate(asOf); err != nil {
		return nil, err
	}
	r := &Run{AsOf: asOf, Manifest: m}
	if err := r.build(cols); err != nil {
		return nil, fmt.Errorf("run %s: %w", asOf, err)
	}
	return r, nil
}

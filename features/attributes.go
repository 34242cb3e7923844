package features

import (
	"cmp"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Customer attributes: plan, region, acquisition_channel and the extra
// columns of customers/ (AddExtras), as features. The rules, applied at
// Freeze to every customer of the table (attributes are a snapshot of the
// customers table: they carry no time, see doc.go):
//
//   - numeric: every non-null value parses as a finite number (a number
//     stored as text included); the feature is the number.
//   - categorical otherwise: levels ranked by their number of customers,
//     ties broken by the customers who hold them, never by the spelling;
//     the first MaxLevels are kept and the others read as "other".
//   - chosen by default unless the column is constant or all null (no
//     information), or looks like an id or free text: more than
//     MaxLevels levels and more distinct values than half its non-null
//     rows, or a value longer than maxLevelBytes. Config.Attributes lists
//     the columns to use instead; a listed column is used whatever it
//     holds, capped the same way.
const (
	// maxLevelBytes: a longer value makes a column free text.
	maxLevelBytes = 64
	// maxTrackedLevels bounds the distinct values counted per column; a
	// column with more is an id or free text.
	maxTrackedLevels = 1 << 16
)

// attrColumn is one column of raw attribute values, one per customer of
// the frozen index ("" is null).
type attrColumn struct {
	name string
	raw  []string
}

// levelStat counts one value of a categorical column.
type levelStat struct {
	v       string
	n       int
	sumCust int // sum of the customer indices holding it
}

// learnAttribute classifies one column; use says whether a default
// selection would keep it.
func learnAttribute(col attrColumn) (a Attribute, use bool) {
	a.Name = col.name
	nonNull, numeric, long := 0, true, false
	counts := map[string]*levelStat{}
	overflow := false
	for i, v := range col.raw {
		if v == "" {
			continue
		}
		nonNull++
		if numeric {
			if _, ok := parseNumber(v); !ok {
				numeric = false
			}
		}
		if len(v) > maxLevelBytes {
			long = true
		}
		s := counts[v]
		if s == nil {
			if len(counts) >= maxTrackedLevels {
				overflow = true
				continue
			}
			s = &levelStat{v: v}
			counts[v] = s
		}
		s.n++
		s.sumCust += i
	}
	if nonNull == 0 {
		return a, false
	}
	if numeric {
		a.Numeric = true
		return a, len(counts) > 1
	}
	levels := make([]levelStat, 0, len(counts))
	for _, s := range counts {
		levels = append(levels, *s)
	}
	slices.SortFunc(levels, func(x, y levelStat) int {
		return cmp.Or(cmp.Compare(y.n, x.n), cmp.Compare(x.sumCust, y.sumCust), strings.Compare(x.v, y.v))
	})
	for _, l := range levels[:min(MaxLevels, len(levels))] {
		a.Levels = append(a.Levels, l.v)
	}
	idLike := overflow || long || (len(levels) > MaxLevels && 2*len(levels) > nonNull)
	return a, len(levels) > 1 && !idLike
}

// parseNumber reads a number written as text; NaN and infinities are not
// numbers here.
func parseNumber(s string) (float64, bool) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, false
	}
	return v, true
}

// encodeAttributes turns the raw columns into per-customer codes for the
// catalog's attributes: the number, or the level's rank (0 the most
// frequent, len(Levels) for "other"); NaN for a null, or for an attribute
// the data lacks.
func (b *Builder) encodeAttributes() {
	n := len(b.cust.ids)
	b.attrCodes = make([][]float64, len(b.cat.Attributes))
	for j, a := range b.cat.Attributes {
		codes := make([]float64, n)
		var raw []string
		for _, c := range b.attrRaw {
			if c.name == a.Name {
				raw = c.raw
				break
			}
		}
		rank := make(map[string]int, len(a.Levels))
		for r, l := range a.Levels {
			rank[l] = r
		}
		for i := range codes {
			v := ""
			if raw != nil {
				v = raw[i]
			}
			switch {
			case v == "":
				codes[i] = nan
			case a.Numeric:
				x, ok := parseNumber(v)
				codes[i] = nanIf(!ok, x)
			default:
				r, ok := rank[v]
				if !ok {
					r = len(a.Levels)
				}
				codes[i] = float64(r)
			}
		}
		b.attrCodes[j] = codes
	}
}

// learnAttributes chooses and classifies the attribute columns: those
// cfg.Attributes lists, in that order, or by default every usable one in
// the order plan, region, acquisition_channel, then the extra columns in
// the order they were added.
func (b *Builder) learnAttributes() []Attribute {
	var out []Attribute
	if b.cfg.Attributes != nil {
		for _, name := range b.cfg.Attributes {
			col := attrColumn{name: name, raw: make([]string, len(b.cust.ids))}
			for _, c := range b.attrRaw {
				if c.name == name {
					col = c
				}
			}
			a, _ := learnAttribute(col)
			out = append(out, a)
		}
		return out
	}
	for _, c := range b.attrRaw {
		if a, use := learnAttribute(c); use {
			out = append(out, a)
		}
	}
	return out
}

// attrFeatureName makes a column name of an attribute's name: lower case,
// every byte outside [a-z0-9_] as '_'.
func attrFeatureName(name string) string {
	out := []byte("attr_")
	for i := 0; i < len(name); i++ {
		c := name[i]
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '_':
		default:
			c = '_'
		}
		out = append(out, c)
	}
	return string(out)
}

// emitAttributes is the family "attributes": per numeric attribute its
// value; per categorical one its level rank and a 0/1 column for each of
// the oneHotLevels most frequent levels.
func emitAttributes(e *emitter, r *rowCtx) {
	b := r.b
	for j, a := range b.cat.Attributes {
		names := b.attrCols[j]
		v := nan
		if b.attrCodes != nil && r.i >= 0 {
			v = b.attrCodes[j][r.i]
		}
		e.put(names[0], v)
		if a.Numeric {
			continue
		}
		for l, name := range names[1:] {
			h := nan
			if !math.IsNaN(v) {
				h = indicator(int(v) == l)
			}
			e.put(name, h)
		}
	}
}

// attrColumns gives each attribute its column names, in emit order: a
// numeric one its base name (attrColumnNames), a categorical one its rank
// column and one 0/1 column per level of the oneHotLevels most frequent.
// The builder names them once, so that a row costs no formatting.
func attrColumns(attrs []Attribute) [][]string {
	base := attrColumnNames(attrs)
	out := make([][]string, len(attrs))
	for j, a := range attrs {
		if a.Numeric {
			out[j] = []string{base[j]}
			continue
		}
		out[j] = []string{base[j] + "_rank"}
		for l := 0; l < min(oneHotLevels, len(a.Levels)); l++ {
			out[j] = append(out[j], base[j]+"_top"+strconv.Itoa(l+1))
		}
	}
	return out
}

// attrColumnNames gives each attribute its column base name, made unique
// with a numeric suffix where two names clean to the same one.
func attrColumnNames(attrs []Attribute) []string {
	seen := map[string]bool{}
	out := make([]string, len(attrs))
	for j, a := range attrs {
		n := attrFeatureName(a.Name)
		for k := 2; seen[n]; k++ {
			n = attrFeatureName(a.Name) + "_" + strconv.Itoa(k)
		}
		seen[n] = true
		out[j] = n
	}
	return out
}

// pendingExtras holds the extra customers columns added before Freeze.
type pendingExtras struct {
	names []string
	byID  map[string][]string // customer id -> values, by names
}

// AddExtras adds extra columns of the customers table, to be used as
// attributes: names are the columns, ids the rows' customer ids and
// values[j][r] the value of column names[j] in row r ("" for null; numbers
// as text). A customer's first value of a column wins, as its first
// customers row does. Call it before Freeze, with the same names every
// time; rows of ids the customers rows lack are ignored.
func (b *Builder) AddExtras(names []string, ids []string, values [][]string) {
	if b.cust != nil || len(names) == 0 {
		return
	}
	x := &b.extras
	if x.byID == nil {
		x.byID = map[string][]string{}
	}
	col := make([]int, len(names))
	for j, n := range names {
		col[j] = -1
		for k, m := range x.names {
			if m == n {
				col[j] = k
			}
		}
		if col[j] < 0 {
			col[j] = len(x.names)
			x.names = append(x.names, strings.Clone(n))
		}
	}
	for r, id := range ids {
		if id == "" {
			continue
		}
		row := x.byID[id]
		if row == nil {
			id = strings.Clone(id)
		}
		for len(row) < len(x.names) {
			row = append(row, "")
		}
		for j := range names {
			if v := values[j][r]; row[col[j]] == "" && v != "" {
				row[col[j]] = strings.Clone(v)
			}
		}
		x.byID[id] = row
	}
}

// columns lays the extras out by customer index of c.
func (x *pendingExtras) columns(c *customers) []attrColumn {
	out := make([]attrColumn, len(x.names))
	for j, n := range x.names {
		out[j] = attrColumn{name: n, raw: make([]string, len(c.ids))}
	}
	for id, row := range x.byID {
		i, ok := c.index[id]
		if !ok {
			continue
		}
		for j, v := range row {
			out[j].raw[i] = v
		}
	}
	return out
}

package output

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"churn/data"
	"churn/jobs/ingest"
)

// PassthroughColumns reads the named columns of the dataset's customers/
// files and lays them out in the order of ids, as text: the key a CRM
// matches on (an e-mail, a record id) or who owns the account. Numbers are
// written in full, timestamps as RFC 3339 (dates as YYYY-MM-DD), and a
// customer without a value, or missing from customers/, gets "". A name
// that no customers/ file has is invalid input.
//
// Only these columns and the id are decoded, one file at a time; the
// table has one row per customer, so memory grows with customers.
func PassthroughColumns(ds *data.Dataset, m data.Mapping, names, ids []string) ([]data.OutColumn, error) {
	idCol := "customer_id"
	if n := m[data.Customers]["customer_id"]; n != "" {
		idCol = n
	}
	row := make(map[string]int, len(ids))
	for i, id := range ids {
		row[id] = i
	}
	out := make([]data.OutColumn, len(names))
	found := make([]bool, len(names))
	for k, name := range names {
		out[k] = data.OutColumn{Name: name, Kind: data.String, Strings: make([]string, len(ids))}
	}
	want := append([]string{idCol}, names...)
	for _, f := range ds.Files[data.Customers] {
		cols, err := data.ReadNamedColumns(f.Path, want)
		if err != nil {
			return nil, ingest.Invalid(fmt.Errorf("lists.passthrough: %w", err))
		}
		var idv []string
		for _, c := range cols {
			if c.Name == idCol && c.Kind == data.String {
				idv = c.Strings
			}
		}
		if idv == nil {
			return nil, ingest.Invalid(fmt.Errorf("lists.passthrough: %s has no string column %s", f.Path, idCol))
		}
		for _, c := range cols {
			k := slices.Index(names, c.Name)
			if k < 0 {
				continue
			}
			found[k] = true
			for r, id := range idv {
				if i, ok := row[id]; ok {
					out[k].Strings[i] = cellText(&c, r)
				}
			}
		}
	}
	var missing []string
	for k, ok := range found {
		if !ok {
			missing = append(missing, names[k])
		}
	}
	if len(missing) > 0 {
		return nil, ingest.Invalid(fmt.Errorf("lists.passthrough: customers/ has no column %s", strings.Join(missing, ", ")))
	}
	return out, nil
}

// cellText writes row r of c as text; null is "".
func cellText(c *data.OutColumn, r int) string {
	switch c.Kind {
	case data.String:
		return c.Strings[r]
	case data.Int:
		return strconv.FormatInt(c.Ints[r], 10)
	case data.Float:
		if math.IsNaN(c.Floats[r]) {
			return ""
		}
		return strconv.FormatFloat(c.Floats[r], 'f', -1, 64)
	case data.Timestamp:
		if c.Times[r] == data.NoTime {
			return ""
		}
		t := data.TimeOf(c.Times[r])
		if c.Date {
			return t.Format(data.DateLayout)
		}
		return t.Format(time.RFC3339Nano)
	}
	return ""
}

// InsertAfter inserts cols into out after the column named after; a name
// that out already has is invalid input.
func InsertAfter(out []data.OutColumn, after string, cols []data.OutColumn) ([]data.OutColumn, error) {
	at := len(out)
	for i, c := range out {
		if c.Name == after {
			at = i + 1
		}
		for _, n := range cols {
			if n.Name == c.Name {
				return nil, ingest.Invalid(fmt.Errorf("lists.passthrough: %s is already a column of the scores", c.Name))
			}
		}
	}
	res := make([]data.OutColumn, 0, len(out)+len(cols))
	res = append(res, out[:at]...)
	res = append(res, cols...)
	return append(res, out[at:]...), nil
}

package data

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"
)

// FeatureTable is a table that already has one row per customer, such as
// a data scientist's feature export: a header and string cells, which the
// caller types. It is read whole: such tables are small, and are not the
// histories that the nightly job streams.
type FeatureTable struct {
	Path    string
	Columns []string
	Rows    [][]string
}

// Column returns the index of the named column, or -1.
func (t *FeatureTable) Column(name string) int {
	for i, c := range t.Columns {
		if c == name {
			return i
		}
	}
	return -1
}

// ReadFeatureTableCSV reads a CSV feature table with a header row. A UTF-8
// byte order mark is dropped; every row must have the header's number of
// fields, and a row that does not is a *RowError naming it.
func ReadFeatureTableCSV(path string) (*FeatureTable, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	if b, err := br.Peek(3); err == nil && string(b) == "\uFEFF" {
		br.Discard(3)
	}
	r := csv.NewReader(br)
	r.ReuseRecord = false
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read %s: %w: no header row", path, ErrCorrupt)
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	t := &FeatureTable{Path: path, Columns: make([]string, len(header))}
	seen := map[string]bool{}
	for i, h := range header {
		h = strings.TrimSpace(h)
		if h == "" || seen[h] {
			return nil, fmt.Errorf("read %s: header column %d: %w: empty or repeated name %q", path, i+1, ErrCorrupt, h)
		}
		seen[h] = true
		t.Columns[i] = h
	}
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, &RowError{File: path, Row: int64(pe.Line - 1), Err: fmt.Errorf("%w: %w", ErrCorrupt, pe.Err)}
			}
			return nil, fmt.Errorf("read %s: %w", path, err)
		}
		t.Rows = append(t.Rows, rec)
	}
	return t, nil
}

// ReadFeatureTableParquet reads a flat Parquet feature table (as `churn
// features` writes one) into the same form as a CSV one: numbers in their
// shortest decimal form, timestamps as RFC 3339, nulls as empty cells.
func ReadFeatureTableParquet(path string) (*FeatureTable, error) {
	cols, err := ReadColumns(path)
	if err != nil {
		return nil, err
	}
	t := &FeatureTable{Path: path}
	n := 0
	for _, c := range cols {
		t.Columns = append(t.Columns, c.Name)
		n = max(n, c.Len())
	}
	t.Rows = make([][]string, n)
	for i := range t.Rows {
		rec := make([]string, len(cols))
		for j, c := range cols {
			rec[j] = c.Text(i)
		}
		t.Rows[i] = rec
	}
	return t, nil
}

// Text formats row i of the column as text, for CSV and spreadsheets: a
// decimal point and no exponent, timestamps as ISO 8601 in UTC (a date
// alone at midnight), and an empty string for a null.
func (c *OutColumn) Text(i int) string {
	switch c.Kind {
	case String:
		return c.Strings[i]
	case Float:
		if v := c.Floats[i]; !math.IsNaN(v) && !math.IsInf(v, 0) {
			return strconv.FormatFloat(v, 'f', -1, 64)
		}
	case Int:
		return strconv.FormatInt(c.Ints[i], 10)
	case Timestamp:
		if c.Times[i] == NoTime {
			return ""
		}
		t := TimeOf(c.Times[i])
		if c.Date || t.Equal(t.Truncate(24*time.Hour)) {
			return t.Format(DateLayout)
		}
		return t.Format(time.RFC3339Nano)
	}
	return ""
}

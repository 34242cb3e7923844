package data

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
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

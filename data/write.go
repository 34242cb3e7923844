package data

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"

	"github.com/parquet-go/parquet-go"
)

// OutColumn is one column of an output file. Exactly one slice is used,
// chosen by Kind: Strings ("" written as null), Floats (NaN as null), Ints,
// or Times (nanoseconds, NoTime as null) for Timestamp.
type OutColumn struct {
	Name    string
	Kind    Kind
	Date    bool // with Kind Timestamp: write a DATE (days, UTC) instead of TIMESTAMP(MILLIS)
	Strings []string
	Floats  []float64
	Ints    []int64
	Times   []int64
}

// Len returns the number of values of c, from the slice its Kind uses.
func (c *OutColumn) Len() int {
	switch c.Kind {
	case String:
		return len(c.Strings)
	case Float:
		return len(c.Floats)
	case Int:
		return len(c.Ints)
	case Timestamp:
		return len(c.Times)
	}
	return 0
}

// WriteParquet writes cols as the Parquet file at path, creating parent
// folders, in the order given: strings as STRING, doubles as DOUBLE,
// integers as INT64, timestamps as TIMESTAMP(MILLIS, UTC adjusted), rounded
// down, or DATE; every column OPTIONAL, zstd compressed, row groups of
// opt.RowGroupRows rows. All columns must have the same length. The file is
// fsynced and closed, with every error checked; the same columns give the
// same bytes. On error the partial file is removed.
func WriteParquet(path string, cols []OutColumn, opt WriteOptions) (err error) {
	n := 0
	specs := make([]colSpec, len(cols))
	for i := range cols {
		c := &cols[i]
		if i == 0 {
			n = c.Len()
		} else if c.Len() != n {
			return fmt.Errorf("write %s: column %s has %d values, %s has %d: %w", path, c.Name, c.Len(), cols[0].Name, n, ErrLength)
		}
		specs[i] = colSpec{name: c.Name, kind: c.Kind, unit: parquet.Millisecond}
		if c.Kind == Timestamp && c.Date {
			specs[i].unit = nil
		}
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write parquet: %w", err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(path)
			err = fmt.Errorf("write %s: %w", path, err)
		}
	}()
	buf := bufio.NewWriterSize(f, 1<<20)
	rw, err := newRowWriter(buf, specs, opt)
	if err != nil {
		return err
	}
	for r := 0; r < n; r++ {
		row, err := rw.next()
		if err != nil {
			return err
		}
		for i := range cols {
			c := &cols[i]
			switch c.Kind {
			case String:
				rw.setString(row, i, c.Strings[r])
			case Float:
				rw.setFloat(row, i, c.Floats[r])
			case Int:
				rw.setInt(row, i, c.Ints[r])
			case Timestamp:
				if c.Date {
					rw.setDate(row, i, c.Times[r])
				} else {
					rw.setTime(row, i, c.Times[r], 1_000_000)
				}
			}
		}
	}
	if err := rw.close(); err != nil {
		return err
	}
	if err := buf.Flush(); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	return f.Close()
}

package jobs

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"churn/data"
)

// writeCSV writes columns as CSV for spreadsheets and CRMs: UTF-8, a
// header, ISO 8601 timestamps in UTC, a decimal point, and empty cells for
// missing values. bom prefixes the UTF-8 byte order mark that some
// spreadsheet programs need to detect the encoding.
func writeCSV(w io.Writer, cols []data.OutColumn, bom bool) error {
	bw := bufio.NewWriter(w)
	if bom {
		bw.WriteString("\uFEFF")
	}
	cw := csv.NewWriter(bw)
	header := make([]string, len(cols))
	for j, c := range cols {
		header[j] = c.Name
	}
	if err := cw.Write(header); err != nil {
		return err
	}
	n := columnLen(cols)
	rec := make([]string, len(cols))
	for i := range n {
		for j, c := range cols {
			rec[j] = cell(c, i)
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

func columnLen(cols []data.OutColumn) int {
	if len(cols) == 0 {
		return 0
	}
	c := cols[0]
	return max(len(c.Strings), len(c.Floats), len(c.Ints), len(c.Times))
}

// cell formats one value of a column for CSV.
func cell(c data.OutColumn, i int) string {
	switch c.Kind {
	case data.String:
		return c.Strings[i]
	case data.Float:
		v := c.Floats[i]
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return ""
		}
		return strconv.FormatFloat(v, 'f', -1, 64)
	case data.Int:
		return strconv.FormatInt(c.Ints[i], 10)
	case data.Timestamp:
		if c.Times[i] == data.NoTime {
			return ""
		}
		t := time.Unix(0, c.Times[i]).UTC()
		if t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 && t.Nanosecond() == 0 {
			return t.Format("2006-01-02")
		}
		return t.Format(time.RFC3339)
	}
	return ""
}

// writeCSVFile writes a CSV file so that it appears whole.
func writeCSVFile(path string, cols []data.OutColumn) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if err := writeCSV(tmp, cols, false); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

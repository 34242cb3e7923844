package jobs

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"os"
	"path/filepath"

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
		for j := range cols {
			rec[j] = cols[j].Text(i)
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
	return cols[0].Len()
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

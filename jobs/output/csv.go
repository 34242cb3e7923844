package output

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"

	"churn/data"
	"churn/internal/fsutil"
)

// WriteCSV writes columns as CSV for spreadsheets and CRMs: UTF-8, a
// header, ISO 8601 timestamps in UTC, a decimal point, and empty cells for
// missing values. bom prefixes the UTF-8 byte order mark that some
// spreadsheet programs need to detect the encoding.
func WriteCSV(w io.Writer, cols []data.OutColumn, bom bool) error {
	bw := bufio.NewWriter(w)
	if bom {
		bw.WriteString("\uFEFF")
	}
	cw := csv.NewWriter(bw)
	if err := writeCSVHeader(cw, cols); err != nil {
		return err
	}
	if err := writeCSVRows(cw, cols); err != nil {
		return err
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

func writeCSVHeader(cw *csv.Writer, cols []data.OutColumn) error {
	header := make([]string, len(cols))
	for j, c := range cols {
		header[j] = c.Name
	}
	return cw.Write(header)
}

func writeCSVRows(cw *csv.Writer, cols []data.OutColumn) error {
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
	return nil
}

// CSVStream writes a CSV file a slice of rows at a time, as WriteCSV
// would write all of them at once, into a temporary file that Close
// renames into place: the file appears whole or not at all.
type CSVStream struct {
	path    string
	tmp     *fsutil.File
	bw      *bufio.Writer
	cw      *csv.Writer
	cols    int  // columns of the header
	started bool // the header is written
}

func CreateCSVStream(path string) (*CSVStream, error) {
	tmp, err := fsutil.Create(path)
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", path, err)
	}
	bw := bufio.NewWriterSize(tmp, 1<<20)
	return &CSVStream{path: path, tmp: tmp, bw: bw, cw: csv.NewWriter(bw)}, nil
}

// Write appends the rows of cols; the first call also writes the header.
func (s *CSVStream) Write(cols []data.OutColumn) error {
	if !s.started {
		if err := writeCSVHeader(s.cw, cols); err != nil {
			return fmt.Errorf("write %s: %w", s.path, err)
		}
		s.cols, s.started = len(cols), true
	} else if len(cols) != s.cols {
		return fmt.Errorf("write %s: %d columns, want %d: %w", s.path, len(cols), s.cols, data.ErrLength)
	}
	if err := writeCSVRows(s.cw, cols); err != nil {
		return fmt.Errorf("write %s: %w", s.path, err)
	}
	return nil
}

// Close flushes and syncs the file and renames it into place.
func (s *CSVStream) Close() error {
	if err := s.tmp.Commit(func() error { s.cw.Flush(); return s.cw.Error() }, s.bw.Flush); err != nil {
		return fmt.Errorf("write %s: %w", s.path, err)
	}
	return nil
}

// Abort removes the temporary file.
func (s *CSVStream) Abort() { s.tmp.Abort() }

func columnLen(cols []data.OutColumn) int {
	if len(cols) == 0 {
		return 0
	}
	return cols[0].Len()
}

// WriteCSVFile writes a CSV file so that it appears whole.
func WriteCSVFile(path string, cols []data.OutColumn) error {
	s, err := CreateCSVStream(path)
	if err != nil {
		return err
	}
	if err := s.Write(cols); err != nil {
		s.Abort()
		return err
	}
	return s.Close()
}

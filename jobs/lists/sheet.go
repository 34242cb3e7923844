package lists

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math"

	"github.com/xuri/excelize/v2"
)

// CSVOptions says how a CSV list is spelled for the program that opens it.
// The zero value is plain CSV for CRM imports and scripts: comma, decimal
// point, no byte order mark, cells as they are.
type CSVOptions struct {
	// BOM starts the file with a UTF-8 byte order mark, without which
	// Excel reads UTF-8 as the local code page ("SÃ£o Paulo").
	BOM bool
	// Delimiter separates cells; 0 means ','. Excel in most of Europe and
	// in Brazil splits on ';'.
	Delimiter rune
	// DecimalComma writes numbers with a decimal comma (0,4213), as Excel
	// reads them where ',' is the decimal mark.
	DecimalComma bool
	// EscapeFormulas prefixes with ' every text cell that starts with =,
	// +, -, @, tab or carriage return, so that a spreadsheet shows it
	// instead of running it as a formula (OWASP's CSV injection advice).
	// For spreadsheets only: a CRM import would store the ' with the value.
	EscapeFormulas bool
}

// ParseDelimiter reads a delimiter as given on a command line or in a
// query: ",", ";", "|", "tab" or a tab; "" means ','.
func ParseDelimiter(s string) (rune, error) {
	switch s {
	case "", ",":
		return ',', nil
	case ";":
		return ';', nil
	case "|":
		return '|', nil
	case "tab", "\t", `\t`:
		return '\t', nil
	}
	return 0, fmt.Errorf("delimiter %q: want , ; | or tab: %w", s, ErrInvalid)
}

// formulaStart tells whether a spreadsheet would read s as a formula or
// a command.
func formulaStart(s string) bool {
	if s == "" {
		return false
	}
	switch s[0] {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

// escapeFormula prefixes s with ' when a spreadsheet would run it.
func escapeFormula(s string) string {
	if formulaStart(s) {
		return "'" + s
	}
	return s
}

// WriteCSVWith writes the table as CSV spelled as o says: a header, ISO
// dates, empty cells for nulls.
func (t *Table) WriteCSVWith(w io.Writer, o CSVOptions) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	if o.BOM {
		if _, err := bw.WriteString("\uFEFF"); err != nil {
			return err
		}
	}
	cw := csv.NewWriter(bw)
	if o.Delimiter != 0 {
		cw.Comma = o.Delimiter
	}
	if err := cw.Write(t.Columns()); err != nil {
		return err
	}
	n := t.numCols()
	rec := make([]string, n)
	var buf []byte
	for k := range t.rows {
		for c := 0; c < n; c++ {
			col, i := t.cell(c, k)
			if col.f != nil {
				buf = appendFloat(buf[:0], col.f[i], col.dec)
				if o.DecimalComma {
					for j, b := range buf {
						if b == '.' {
							buf[j] = ','
						}
					}
				}
				rec[c] = string(buf)
				continue
			}
			rec[c] = col.str(i)
			if o.EscapeFormulas {
				rec[c] = escapeFormula(rec[c])
			}
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

// maxSheetRows is the most rows an Excel worksheet holds, header included.
const maxSheetRows = 1 << 20

// WriteXLSX writes the table as an Excel workbook with one sheet,
// "customers": a header row, numbers as numbers (to the decimals the CSV
// shows; nulls as empty cells), text as text with formulas escaped as
// CSVOptions' EscapeFormulas does. Excel opens it in every locale.
func (t *Table) WriteXLSX(w io.Writer) (err error) {
	if len(t.rows)+1 > maxSheetRows {
		return fmt.Errorf("%d rows do not fit an Excel sheet (%d at most): write csv, or use --top: %w", len(t.rows), maxSheetRows-1, ErrInvalid)
	}
	f := excelize.NewFile()
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	const sheet = "customers"
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	names := t.Columns()
	header := make([]any, len(names))
	for c, name := range names {
		header[c] = name
	}
	if err := sw.SetRow("A1", header, excelize.RowOpts{}); err != nil {
		return err
	}
	n := t.numCols()
	row := make([]any, n)
	for k := range t.rows {
		for c := 0; c < n; c++ {
			col, i := t.cell(c, k)
			switch {
			case col.f != nil && (math.IsNaN(col.f[i]) || math.IsInf(col.f[i], 0)):
				row[c] = nil
			case col.f != nil:
				row[c] = roundTo(col.f[i], col.dec)
			default:
				row[c] = escapeFormula(col.str(i))
			}
		}
		cell, err := excelize.CoordinatesToCellName(1, k+2)
		if err != nil {
			return err
		}
		if err := sw.SetRow(cell, row); err != nil {
			return err
		}
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	_, err = f.WriteTo(w)
	return err
}

// roundTo rounds v to dec decimals.
func roundTo(v float64, dec int) float64 {
	p := math.Pow(10, float64(dec))
	return math.Round(v*p) / p
}

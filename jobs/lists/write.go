package lists

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"unsafe"

	"churn/data"
	"churn/data/runs"
	"churn/internal/fsutil"
)

// Options says which list to write, and how. The zero value, with Scores
// set, writes every customer of the latest run as CSV, by value at risk.
type Options struct {
	Scores    string  // folder holding as_of=YYYY-MM-DD/ runs
	AsOf      string  // run date YYYY-MM-DD; "" the latest
	Segment   string  // one segment; "" any
	Risk      string  // churn risk tier high, medium or low; "" any
	ValueTier string  // value tier high, medium or low; "" any
	MinValue  float64 // predicted value at least this
	MinRisk   float64 // churn probability at least this, 0..1
	Region    string  // "" any
	Plan      string  // "" any
	Sort      string  // output column, descending; "+col" ascending; "" value_at_risk
	Top       int     // at most this many rows; 0 all
	Format    string  // csv (default), json (JSON lines), parquet or xlsx
	BOM       bool    // csv: start with a UTF-8 byte order mark
	// Delimiter separates CSV cells: ",", ";", "|" or "tab"; "" is ","
	// (";" with DecimalComma).
	Delimiter string
	// DecimalComma writes CSV numbers with a decimal comma.
	DecimalComma bool
	// Spreadsheet escapes CSV text cells that a spreadsheet would run as
	// formulas (CSVOptions.EscapeFormulas); xlsx always does.
	Spreadsheet bool
	Out         string // output file, written atomically; "" the writer (csv, json)
	Changes     bool   // list changes since the previous run instead
	Since       string // with Changes: the earlier run date; "" the run before
	// Budgeted list: with SaveRate set, customers are ranked by expected
	// net retained value, churn probability x predicted value x SaveRate
	// - OfferCost, and the list stops before the first customer whose
	// expected net value is not positive, or after Budget offers when
	// Budget > 0.
	Budget    int     // at most this many offers; 0 no limit
	OfferCost float64 // what one offer costs, in the unit of predicted value
	SaveRate  float64 // share of offered customers who would otherwise leave and stay, in (0, 1]
}

// Validate reports every problem of the options that needs no run.
func (o Options) Validate() error {
	var errs []error
	switch o.Format {
	case "", "csv", "json", "xlsx":
	case "parquet":
		if o.Out == "" {
			errs = append(errs, errors.New("format parquet needs an output file (--out FILE.parquet)"))
		}
	default:
		errs = append(errs, fmt.Errorf("unknown format %q (want csv, json, parquet or xlsx)", o.Format))
	}
	if _, err := o.csvOptions(); err != nil {
		errs = append(errs, err)
	}
	if (o.Delimiter != "" || o.DecimalComma || o.BOM || o.Spreadsheet) && o.Format != "" && o.Format != "csv" {
		errs = append(errs, fmt.Errorf("bom, delimiter, decimal comma and spreadsheet are for csv, not %s", o.Format))
	}
	if o.Top < 0 {
		errs = append(errs, fmt.Errorf("top %d is negative", o.Top))
	}
	if o.budgeted() {
		if !(o.SaveRate > 0 && o.SaveRate <= 1) {
			errs = append(errs, fmt.Errorf("save rate %v: want a share in (0, 1] (--save-rate) for a budgeted list", o.SaveRate))
		}
		if !(o.OfferCost >= 0) || math.IsInf(o.OfferCost, 0) {
			errs = append(errs, fmt.Errorf("offer cost %v: want a number at least 0", o.OfferCost))
		}
		if o.Budget < 0 {
			errs = append(errs, fmt.Errorf("budget %d offers is negative", o.Budget))
		}
		if o.Changes {
			errs = append(errs, errors.New("a budgeted list (--budget, --offer-cost, --save-rate) is not a list of changes (--changes)"))
		}
	}
	if o.AsOf != "" {
		if err := CheckDate(o.AsOf); err != nil {
			errs = append(errs, err)
		}
	}
	if o.Since != "" {
		if !o.Changes {
			errs = append(errs, errors.New("since is only for changes (--changes)"))
		} else if err := CheckDate(o.Since); err != nil {
			errs = append(errs, err)
		}
	}
	if o.Scores == "" {
		errs = append(errs, errors.New("no scores folder given (--scores DIR)"))
	}
	if o.Out != "" {
		// Checked before the run is read, so that a wrong path fails at once.
		if st, err := os.Stat(filepath.Dir(o.Out)); err != nil || !st.IsDir() {
			errs = append(errs, fmt.Errorf("output folder %s does not exist", filepath.Dir(o.Out)))
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", errors.Join(errs...), ErrInvalid)
	}
	return nil
}

func (o Options) filter() Filter {
	return Filter{Segment: o.Segment, Risk: o.Risk, ValueTier: o.ValueTier, Region: o.Region,
		Plan: o.Plan, MinValue: o.MinValue, MinRisk: o.MinRisk}
}

// csvOptions spells o's CSV options.
func (o Options) csvOptions() (CSVOptions, error) {
	c := CSVOptions{BOM: o.BOM, DecimalComma: o.DecimalComma, EscapeFormulas: o.Spreadsheet}
	d := o.Delimiter
	if d == "" && o.DecimalComma {
		d = ";"
	}
	r, err := ParseDelimiter(d)
	if err != nil {
		return c, err
	}
	if r == ',' && o.DecimalComma {
		return c, fmt.Errorf("a decimal comma needs another delimiter than a comma (--delimiter ';'): %w", ErrInvalid)
	}
	if r != ',' {
		c.Delimiter = r
	}
	return c, nil
}

// budgeted tells whether o asks for a budgeted list.
func (o Options) budgeted() bool { return o.SaveRate != 0 || o.OfferCost != 0 || o.Budget != 0 }

// Offers sums up a budgeted list.
type Offers struct {
	Offers           int     `json:"offers"`
	OfferCost        float64 `json:"offer_cost"`
	SaveRate         float64 `json:"save_rate"`
	Cost             float64 `json:"cost"`               // offers x offer cost
	ExpectedRetained float64 `json:"expected_retained"`  // sum of probability x value x save rate
	ExpectedNet      float64 `json:"expected_net_value"` // retained - cost
	// StoppedBy says why the list ends: "budget", "top", "not_positive"
	// (the next customer's expected net value is not above 0) or "end".
	StoppedBy string `json:"stopped_by"`
}

// Summary tells what Write wrote.
type Summary struct {
	AsOf         string         `json:"as_of"`
	Since        string         `json:"since,omitempty"`
	ModelVersion string         `json:"model_version"`
	Rows         int            `json:"rows"`
	Customers    int            `json:"customers_in_run"`
	Format       string         `json:"format"`
	Sort         string         `json:"sort"`
	Out          string         `json:"out,omitempty"`
	Columns      []string       `json:"columns"`
	Changes      map[string]int `json:"changes,omitempty"`
	Offers       *Offers        `json:"budget,omitempty"`
}

// Write writes the list that o describes to o.Out, or to w when o.Out is
// empty (csv and json only).
func Write(ctx context.Context, o Options, w io.Writer) (*Summary, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	if o.Format == "" {
		o.Format = "csv"
	}
	r, err := Load(o.Scores, o.AsOf)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	var t *Table
	sum := &Summary{AsOf: r.AsOf, ModelVersion: r.Manifest.ModelVersion, Customers: r.N, Format: o.Format, Out: o.Out}
	if o.Changes {
		since, err := previous(o.Scores, r.AsOf, o.Since)
		if err != nil {
			return nil, err
		}
		prev, err := Load(o.Scores, since)
		if err != nil {
			return nil, err
		}
		if t, err = Compare(prev, r, o.filter(), o.Sort, o.Top); err != nil {
			return nil, err
		}
		sum.Since = since
		sum.Changes = map[string]int{}
		for _, c := range t.extra[0].s {
			sum.Changes[c]++
		}
	} else if o.budgeted() {
		if t, sum.Offers, err = Budgeted(r, o.filter(), o.Budget, o.Top, o.OfferCost, o.SaveRate); err != nil {
			return nil, err
		}
	} else {
		rows, err := r.Select(o.filter(), o.Sort, o.Top)
		if err != nil {
			return nil, err
		}
		t = &Table{r: r, rows: rows}
	}
	_, _, sum.Sort, _ = r.parseSort(o.Sort)
	if o.budgeted() {
		sum.Sort = "-" + ExpectedNetColumn
	}
	sum.Rows = len(t.rows)
	sum.Columns = t.Columns()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if o.Out == "" {
		if err := t.write(w, o); err != nil {
			return nil, fmt.Errorf("write list: %w", err)
		}
		return sum, nil
	}
	if err := t.writeFile(o.Out, o); err != nil {
		return nil, err
	}
	return sum, nil
}

// Table is a list: rows of a run, in order, with extra leading columns
// (the change and the previous values, for changes).
type Table struct {
	r     *Run
	rows  []int32
	extra []column // indexed by position in rows, not by run row
}

// NewTable returns the list of rows of r, in the given order.
func NewTable(r *Run, rows []int32) *Table { return &Table{r: r, rows: rows} }

// Len returns the number of rows.
func (t *Table) Len() int { return len(t.rows) }

// Columns returns the column names in output order.
func (t *Table) Columns() []string {
	var names []string
	for _, c := range t.extra {
		names = append(names, c.name)
	}
	return append(names, t.r.Columns()...)
}

// cell returns column c of output row k: the column and the index into it.
func (t *Table) cell(c, k int) (*column, int32) {
	if c < len(t.extra) {
		return &t.extra[c], int32(k)
	}
	return &t.r.cols[c-len(t.extra)], t.rows[k]
}

func (t *Table) numCols() int { return len(t.extra) + len(t.r.cols) }

func (t *Table) write(w io.Writer, o Options) error {
	switch o.Format {
	case "json":
		return t.WriteJSON(w)
	case "xlsx":
		return t.WriteXLSX(w)
	case "csv", "":
		c, err := o.csvOptions()
		if err != nil {
			return err
		}
		if c == (CSVOptions{BOM: c.BOM}) {
			return t.WriteCSV(w, c.BOM)
		}
		return t.WriteCSVWith(w, c)
	}
	return fmt.Errorf("format %s needs an output file: %w", o.Format, ErrInvalid)
}

// writeFile writes the table into a temporary file beside path, syncs it
// and renames it over path.
func (t *Table) writeFile(path string, o Options) error {
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("output folder %s does not exist: %w", dir, ErrInvalid)
	}
	if o.Format == "parquet" {
		tmp := fsutil.TempPath(path)
		if err := data.WriteParquet(tmp, t.OutColumns(), data.WriteOptions{}); err != nil {
			os.Remove(tmp)
			return fmt.Errorf("write list %s: %w", path, err)
		}
		if err := fsutil.Rename(tmp, path); err != nil {
			return fmt.Errorf("write list %s: %w", path, err)
		}
		return nil
	}
	f, err := fsutil.Create(path)
	if err != nil {
		return fmt.Errorf("write list %s: %w", path, err)
	}
	if err := t.write(f, o); err != nil {
		f.Abort()
		return fmt.Errorf("write list %s: %w", path, err)
	}
	if err := f.Commit(); err != nil {
		return fmt.Errorf("write list %s: %w", path, err)
	}
	return nil
}

// appendFloat formats v with dec decimals, trailing zeros trimmed, never
// with an exponent; NaN is empty.
func appendFloat(dst []byte, v float64, dec int) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return dst
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, v, 'f', dec, 64)
	if dec > 0 {
		for dst[len(dst)-1] == '0' {
			dst = dst[:len(dst)-1]
		}
		if dst[len(dst)-1] == '.' {
			dst = dst[:len(dst)-1]
		}
	}
	if s := dst[start:]; string(s) == "-0" {
		dst = append(dst[:start], '0')
	}
	return dst
}

// WriteCSV writes the table as CSV: UTF-8, a header, decimal points, ISO
// dates, empty cells for nulls, and a byte order mark first when bom.
func (t *Table) WriteCSV(w io.Writer, bom bool) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	if bom {
		if _, err := bw.WriteString("\uFEFF"); err != nil {
			return err
		}
	}
	cw := csv.NewWriter(bw)
	if err := cw.Write(t.Columns()); err != nil {
		return err
	}
	n := t.numCols()
	rec := make([]string, n)
	// One buffer holds every number of a row; the record's strings alias
	// it, which is safe because csv.Writer copies them before returning.
	var buf []byte
	ends := make([]int, n)
	for k := range t.rows {
		buf = buf[:0]
		for c := 0; c < n; c++ {
			col, i := t.cell(c, k)
			if col.f != nil {
				buf = appendFloat(buf, col.f[i], col.dec)
			}
			ends[c] = len(buf)
		}
		all := unsafeString(buf)
		lo := 0
		for c := 0; c < n; c++ {
			col, i := t.cell(c, k)
			if col.f != nil {
				rec[c] = all[lo:ends[c]]
			} else {
				rec[c] = col.str(i)
			}
			lo = ends[c]
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

// WriteJSON writes the table as JSON lines: one object per row, keys in
// column order, numbers as numbers, nulls as null.
func (t *Table) WriteJSON(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	names := t.Columns()
	keys := make([][]byte, len(names))
	for c, name := range names {
		b, _ := json.Marshal(name)
		keys[c] = append(b, ':')
	}
	var buf []byte
	for k := range t.rows {
		buf = append(buf[:0], '{')
		for c := range names {
			if c > 0 {
				buf = append(buf, ',')
			}
			buf = append(buf, keys[c]...)
			col, i := t.cell(c, k)
			if col.f != nil {
				if v := col.f[i]; math.IsNaN(v) || math.IsInf(v, 0) {
					buf = append(buf, "null"...)
				} else {
					buf = appendFloat(buf, v, col.dec)
				}
				continue
			}
			b, err := json.Marshal(col.str(i))
			if err != nil {
				return err
			}
			buf = append(buf, b...)
		}
		buf = append(buf, '}', '\n')
		if _, err := bw.Write(buf); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// OutColumns returns the table as columns for data.WriteParquet. Floats
// keep their full precision; as_of is the run's date as a timestamp at
// midnight UTC.
func (t *Table) OutColumns() []data.OutColumn {
	n := t.numCols()
	names := t.Columns()
	out := make([]data.OutColumn, 0, n)
	for c := 0; c < n; c++ {
		col := t.colAt(c)
		oc := data.OutColumn{Name: names[c]}
		switch {
		case col.f != nil:
			oc.Kind = data.Float
			oc.Floats = make([]float64, len(t.rows))
			for k := range t.rows {
				cc, i := t.cell(c, k)
				oc.Floats[k] = cc.f[i]
			}
		case names[c] == "as_of":
			oc.Kind = data.Timestamp
			oc.Times = make([]int64, len(t.rows))
			ns := asOfNanos(t.r.AsOf)
			for k := range oc.Times {
				oc.Times[k] = ns
			}
		default:
			oc.Kind = data.String
			oc.Strings = make([]string, len(t.rows))
			for k := range t.rows {
				cc, i := t.cell(c, k)
				oc.Strings[k] = cc.str(i)
			}
		}
		out = append(out, oc)
	}
	return out
}

func (t *Table) colAt(c int) *column {
	if c < len(t.extra) {
		return &t.extra[c]
	}
	return &t.r.cols[c-len(t.extra)]
}

func asOfNanos(d string) int64 {
	t, err := runs.Cutoff(d)
	if err != nil { // run dates are checked when listed
		return data.NoTime
	}
	return t.UnixNano()
}

// unsafeString views b as a string without copying; b must not change
// while the string is in use.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

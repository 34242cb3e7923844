package lists

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"churn/data/runs"
	"churn/jobs/lists/liststest"
)

// formulaRun is a fake run whose text cells include what a spreadsheet
// would run: customer 0's region, 1's plan and 2's region.
func formulaRun(t *testing.T) *Run {
	t.Helper()
	cols, segs := liststest.Columns(liststest.Run{AsOf: "2024-06-01", Customers: 50, Seed: 3})
	m := byName(cols)
	m["region"].Strings[0] = "=HYPERLINK(\"http://x\",\"São Paulo\")"
	m["plan"].Strings[1] = "@SUM(A1)"
	m["region"].Strings[2] = "-2+3"
	var man runs.Manifest
	for _, s := range segs {
		man.Segments = append(man.Segments, runs.Segment{Segment: s.Segment, Customers: s.Customers})
	}
	r, err := NewRun("2024-06-01", man, cols)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestEscapeFormula(t *testing.T) {
	for in, want := range map[string]string{
		"=1+1": "'=1+1", "+55 11 5555": "'+55 11 5555", "-x": "'-x", "@A1": "'@A1",
		"\tx": "'\tx", "\rx": "'\rx", "São Paulo": "São Paulo", "": "", "a=b": "a=b",
	} {
		if got := escapeFormula(in); got != want {
			t.Errorf("escapeFormula(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestXLSXReadByPython: the workbook WriteXLSX writes is read by an
// independent reader (Python's zipfile and ElementTree, see
// testdata/read_xlsx.py) into the same header, numbers (to the decimals of
// the CSV) and texts, with formula-like texts escaped.
func TestXLSXReadByPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Fatalf("python3 is needed to read the workbook independently (.ci/run's machine has it): %v", err)
	}
	r := formulaRun(t)
	rows, err := r.Select(Filter{}, "+customer_id", 0)
	if err != nil {
		t.Fatal(err)
	}
	tab := NewTable(r, rows)
	path := filepath.Join(t.TempDir(), "list.xlsx")
	var buf bytes.Buffer
	if err := tab.WriteXLSX(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(py, filepath.Join("testdata", "read_xlsx.py"), path).Output()
	if err != nil {
		t.Fatalf("python3 read_xlsx.py: %v", err)
	}
	var got struct {
		Sheet string  `json:"sheet"`
		Rows  [][]any `json:"rows"`
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatal(err)
	}
	if got.Sheet != "customers" || len(got.Rows) != len(rows)+1 {
		t.Fatalf("sheet %q with %d rows, want customers with %d", got.Sheet, len(got.Rows), len(rows)+1)
	}
	names := tab.Columns()
	for c, name := range names {
		if c >= len(got.Rows[0]) || got.Rows[0][c] != name {
			t.Fatalf("header %v, want %v", got.Rows[0], names)
		}
	}
	for k := range rows {
		row := got.Rows[k+1]
		for c := range names {
			col, i := tab.cell(c, k)
			var cell any
			if c < len(row) {
				cell = row[c]
			}
			switch {
			case col.f != nil && math.IsNaN(col.f[i]):
				if cell != nil {
					t.Errorf("row %d %s: %v, want an empty cell for null", k, names[c], cell)
				}
			case col.f != nil:
				want := roundTo(col.f[i], col.dec)
				if v, ok := cell.(float64); !ok || math.Abs(v-want) > 1e-12*math.Max(1, math.Abs(want)) {
					t.Errorf("row %d %s: %v, want the number %v", k, names[c], cell, want)
				}
			default:
				if want := escapeFormula(col.str(i)); cell != want {
					t.Errorf("row %d %s: %q, want %q", k, names[c], cell, want)
				}
			}
		}
	}
	text := string(out)
	for _, want := range []string{`'=HYPERLINK`, `'@SUM(A1)`, `'-2+3`} {
		if !strings.Contains(text, want) {
			t.Errorf("the workbook lacks the escaped cell %s", want)
		}
	}
}

// TestCSVLocales: delimiter, decimal comma, BOM and formula escaping, and
// none of them by default (a CRM import takes cells as they are).
func TestCSVLocales(t *testing.T) {
	r := formulaRun(t)
	rows, err := r.Select(Filter{}, "+customer_id", 0)
	if err != nil {
		t.Fatal(err)
	}
	tab := NewTable(r, rows)
	var plain, eu bytes.Buffer
	if err := tab.write(&plain, Options{Format: "csv"}); err != nil {
		t.Fatal(err)
	}
	if err := tab.write(&eu, Options{Format: "csv", DecimalComma: true, BOM: true, Spreadsheet: true}); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(eu.Bytes(), []byte("\uFEFF")) || bytes.HasPrefix(plain.Bytes(), []byte("\uFEFF")) {
		t.Error("BOM: want it only when asked")
	}
	plainText := plain.String()
	pr := csv.NewReader(&plain)
	er := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(eu.Bytes(), []byte("\uFEFF"))))
	er.Comma = ';'
	precs, err := pr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	erecs, err := er.ReadAll()
	if err != nil {
		t.Fatalf("decimal-comma CSV does not read with ';': %v", err)
	}
	if len(precs) != len(erecs) || len(precs[0]) != len(erecs[0]) {
		t.Fatalf("%dx%d cells plain, %dx%d with decimal comma", len(precs), len(precs[0]), len(erecs), len(erecs[0]))
	}
	prob := 0
	for c, name := range precs[0] {
		if name == "churn_probability" {
			prob = c
		}
	}
	for k := 1; k < len(precs); k++ {
		if want := strings.ReplaceAll(precs[k][prob], ".", ","); erecs[k][prob] != want {
			t.Errorf("row %d probability %q, want %q", k, erecs[k][prob], want)
		}
		for c := range precs[k] {
			p, e := precs[k][c], erecs[k][c]
			if c != prob && formulaStart(p) && e != "'"+p {
				t.Errorf("row %d %s: %q escaped as %q, want %q", k, precs[0][c], p, e, "'"+p)
			}
		}
	}
	if !strings.Contains(plainText, `"=HYPERLINK(""http://x""`) {
		t.Error("plain CSV changed a formula-like cell: a CRM import must get it as it is")
	}
	if _, err := Write(t.Context(), Options{Scores: "x", DecimalComma: true, Delimiter: ","}, &plain); err == nil {
		t.Error("decimal comma with a comma delimiter validated")
	}
}

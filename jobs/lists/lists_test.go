package lists

import (
	"bytes"
	"cmp"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"churn/data"
	"churn/jobs/lists/liststest"
)

const customers = 3000

// fakeScores writes two runs, 2024-05-01 and 2024-06-01, and returns the
// scores folder.
func fakeScores(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	liststest.Write(t, dir, liststest.Run{AsOf: "2024-05-01", Customers: customers, Seed: 1})
	liststest.Write(t, dir, liststest.Run{AsOf: "2024-06-01", Customers: customers, Seed: 2, Odd: true})
	return dir
}

// byName indexes fake columns by name.
func byName(cols []data.OutColumn) map[string]data.OutColumn {
	m := map[string]data.OutColumn{}
	for _, c := range cols {
		m[c.Name] = c
	}
	return m
}

func readCSV(t *testing.T, b []byte) (header []string, rows [][]string) {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		t.Fatalf("read back the CSV: %v", err)
	}
	return recs[0], recs[1:]
}

func TestWriteCSV(t *testing.T) {
	scores := fakeScores(t)
	cols, _ := liststest.Columns(liststest.Run{AsOf: "2024-06-01", Customers: customers, Seed: 2, Odd: true})
	m := byName(cols)
	tests := []struct {
		name string
		o    Options
		keep func(i int) bool
		top  int
	}{
		{"at risk high value", Options{Segment: "at_risk_high_value"},
			func(i int) bool { return m["segment"].Strings[i] == "at_risk_high_value" }, 0},
		{"high risk in the south with value", Options{Risk: "high", Region: "south", MinValue: 150},
			func(i int) bool {
				return m["churn_risk"].Strings[i] == "high" && m["region"].Strings[i] == "south" && m["predicted_value"].Floats[i] >= 150
			}, 0},
		{"top 25 of pro, probability at least 0.3, medium value", Options{Plan: "pro", MinRisk: 0.3, ValueTier: "medium", Top: 25},
			func(i int) bool {
				return m["plan"].Strings[i] == "pro" && m["churn_probability"].Floats[i] >= 0.3 && m["value_tier"].Strings[i] == "medium"
			}, 25},
		{"everyone", Options{}, func(int) bool { return true }, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := tt.o
			o.Scores = scores
			var buf bytes.Buffer
			sum, err := Write(context.Background(), o, &buf)
			if err != nil {
				t.Fatal(err)
			}
			// The list recomputed independently from the fake columns.
			var want []int
			for i := range customers {
				if tt.keep(i) {
					want = append(want, i)
				}
			}
			vr, ids := m["value_at_risk"].Floats, m["customer_id"].Strings
			slices.SortFunc(want, func(a, b int) int {
				if c := cmp.Compare(vr[b], vr[a]); c != 0 {
					return c
				}
				return strings.Compare(ids[a], ids[b])
			})
			if tt.top > 0 && len(want) > tt.top {
				want = want[:tt.top]
			}
			header, rows := readCSV(t, buf.Bytes())
			if sum.Rows != len(want) || len(rows) != len(want) {
				t.Fatalf("got %d rows (summary %d), want %d", len(rows), sum.Rows, len(want))
			}
			if len(want) == 0 {
				t.Fatal("the filter selects nobody: a weak test")
			}
			wantHeader := []string{"customer_id", "segment", "churn_probability", "predicted_value", "value_at_risk",
				"reason_1", "reason_2", "reason_3", "reason_codes", "p_alive", "engagement_score", "days_since_core", "days_since_session",
				"sessions_vs_baseline", "nps_latest", "tickets_open", "days_since_order", "tenure_days",
				"plan", "region", "churn_risk", "value_tier", "as_of"}
			if !slices.Equal(header, wantHeader) {
				t.Fatalf("header\ngot  %v\nwant %v", header, wantHeader)
			}
			for k, i := range want {
				row := rows[k]
				if row[0] != ids[i] {
					t.Fatalf("row %d: customer %s, want %s", k, row[0], ids[i])
				}
				got, err := strconv.ParseFloat(row[4], 64)
				if err != nil || math.Abs(got-vr[i]) > 0.005 {
					t.Errorf("row %d: value_at_risk %q, want %.2f", k, row[4], vr[i])
				}
				if asOf := row[slices.Index(header, "as_of")]; asOf != "2024-06-01" {
					t.Errorf("row %d: as_of %q, want 2024-06-01", k, asOf)
				}
				if reasons := strings.Join(slices.DeleteFunc(slices.Clone(row[5:8]), func(s string) bool { return s == "" }), "; "); reasons != m["reasons"].Strings[i] {
					t.Errorf("row %d: reasons %q, want %q", k, reasons, m["reasons"].Strings[i])
				}
				if got := row[slices.Index(header, "reason_codes")]; got != m["reason_codes"].Strings[i] {
					t.Errorf("row %d: reason_codes %q, want %q", k, got, m["reason_codes"].Strings[i])
				}
				if cell := row[slices.Index(header, "nps_latest")]; math.IsNaN(m["nps_latest"].Floats[i]) && cell != "" {
					t.Errorf("row %d: missing NPS written as %q, want an empty cell", k, cell)
				}
			}
		})
	}
}

func TestWriteCSVBOM(t *testing.T) {
	var buf bytes.Buffer
	if _, err := Write(context.Background(), Options{Scores: fakeScores(t), BOM: true, Top: 3}, &buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(buf.Bytes(), []byte("\xEF\xBB\xBFcustomer_id,")) {
		t.Errorf("starts with %q, want a UTF-8 BOM then the header", buf.Bytes()[:20])
	}
}

func TestWriteSortAscendingNullsLast(t *testing.T) {
	var buf bytes.Buffer
	_, err := Write(context.Background(), Options{Scores: fakeScores(t), Sort: "+nps_latest", Format: "json"}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	var prev float64 = -1
	seenNull := false
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != customers {
		t.Fatalf("got %d JSON lines, want %d", len(lines), customers)
	}
	for k, line := range lines {
		var row map[string]any
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("line %d: %v", k, err)
		}
		v, ok := row["nps_latest"].(float64)
		switch {
		case !ok:
			seenNull = true
		case seenNull:
			t.Fatalf("line %d: NPS %v after a null; nulls go last", k, v)
		case v < prev:
			t.Fatalf("line %d: NPS %v after %v, want ascending", k, v, prev)
		default:
			prev = v
		}
	}
	if !seenNull {
		t.Error("no null NPS seen: a weak test")
	}
}

func TestWriteParquet(t *testing.T) {
	out := filepath.Join(t.TempDir(), "list.parquet")
	sum, err := Write(context.Background(), Options{Scores: fakeScores(t), Segment: "at_risk", Format: "parquet", Out: out}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cols, err := data.ReadColumns(out)
	if err != nil {
		t.Fatal(err)
	}
	m := byName(cols)
	if n := len(m["customer_id"].Strings); n != sum.Rows || n == 0 {
		t.Fatalf("got %d rows, summary says %d", n, sum.Rows)
	}
	for i, s := range m["segment"].Strings {
		if s != "at_risk" {
			t.Fatalf("row %d: segment %s, want at_risk", i, s)
		}
	}
	if c := m["as_of"]; c.Kind != data.Timestamp || c.Times[0] != 1717200000*1e9 {
		t.Errorf("as_of: %s %v, want the timestamp of 2024-06-01", c.Kind, c.Times[:1])
	}
	if ents, _ := os.ReadDir(filepath.Dir(out)); len(ents) != 1 {
		t.Errorf("folder holds %d files, want only the list (no temporary left)", len(ents))
	}
}

func TestChanges(t *testing.T) {
	scores := fakeScores(t)
	var buf bytes.Buffer
	sum, err := Write(context.Background(), Options{Scores: scores, Changes: true}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Since != "2024-05-01" || sum.AsOf != "2024-06-01" {
		t.Fatalf("compared %s with %s, want 2024-06-01 with 2024-05-01", sum.AsOf, sum.Since)
	}
	prev, _ := liststest.Columns(liststest.Run{AsOf: "2024-05-01", Customers: customers, Seed: 1})
	cur, _ := liststest.Columns(liststest.Run{AsOf: "2024-06-01", Customers: customers, Seed: 2, Odd: true})
	p, c := byName(prev), byName(cur)
	want := map[string]int{}
	risky := func(s string) bool { return s == "at_risk" || s == "at_risk_high_value" }
	for i := range customers {
		ps, cs := p["segment"].Strings[i], c["segment"].Strings[i]
		if i == 0 { // the odd id is a new customer
			ps = ""
		}
		if risky(cs) && !risky(ps) {
			want[NewlyAtRisk]++
		}
		if risky(ps) && !risky(cs) && cs != "churned" {
			want[Recovered]++
		}
		if c["value_tier"].Strings[i] == "high" && (i == 0 || p["value_tier"].Strings[i] != "high") {
			want[NewlyHighValue]++
		}
		if cs == "churned" && i != 0 && ps != "churned" {
			want[Churned]++
		}
	}
	for _, k := range ChangeKinds {
		if sum.Changes[k] != want[k] || want[k] == 0 {
			t.Errorf("%s: got %d, want %d (and more than 0)", k, sum.Changes[k], want[k])
		}
	}
	header, rows := readCSV(t, buf.Bytes())
	if header[0] != "change" || header[1] != "previous_segment" || len(rows) != sum.Rows {
		t.Fatalf("header %v with %d rows, want change first and %d rows", header[:2], len(rows), sum.Rows)
	}
}

func TestWriteBadInput(t *testing.T) {
	scores := fakeScores(t)
	empty := t.TempDir()
	old := t.TempDir()
	liststest.Write(t, old, liststest.Run{AsOf: "2023-01-01", Customers: 10, Seed: 1, Drop: []string{"value_at_risk", "value_tier"}})
	tests := []struct {
		name string
		o    Options
		want string // part of the message
	}{
		{"missing folder", Options{Scores: filepath.Join(empty, "nope")}, "does not exist"},
		{"empty folder", Options{Scores: empty}, "no as_of=YYYY-MM-DD run folders"},
		{"older run", Options{Scores: old}, "lack columns value_tier, value_at_risk"},
		{"unknown segment", Options{Scores: scores, Segment: "vip"}, `unknown segment "vip" (segments: at_risk_high_value, at_risk,`},
		{"unknown sort", Options{Scores: scores, Sort: "+score"}, `unknown sort column "score" (columns: customer_id, segment,`},
		{"bad risk tier", Options{Scores: scores, Risk: "HIGH"}, "want high, medium or low"},
		{"probability above 1", Options{Scores: scores, MinRisk: 50}, "outside 0..1"},
		{"unknown region", Options{Scores: scores, Region: "mars"}, `unknown region "mars"`},
		{"malformed date", Options{Scores: scores, AsOf: "../etc"}, "want YYYY-MM-DD"},
		{"date without run", Options{Scores: scores, AsOf: "2024-07-01"}, "no run of 2024-07-01"},
		{"parquet to stdout", Options{Scores: scores, Format: "parquet"}, "needs an output file"},
		{"unknown format", Options{Scores: scores, Format: "xls"}, `unknown format "xls"`},
		{"no run before", Options{Scores: scores, AsOf: "2024-05-01", Changes: true}, "no run before 2024-05-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			_, err := Write(context.Background(), tt.o, &buf)
			if !errors.Is(err, ErrInvalid) {
				t.Fatalf("got %v, want an ErrInvalid", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("message %q does not say %q", err, tt.want)
			}
			if buf.Len() > 0 {
				t.Errorf("wrote %d bytes despite the error", buf.Len())
			}
		})
	}
}

// memRun builds a run of n fake customers in memory, without Parquet.
func memRun(tb testing.TB, n int) *Run {
	cols, _ := liststest.Columns(liststest.Run{AsOf: "2024-06-01", Customers: n, Seed: 3})
	r := &Run{AsOf: "2024-06-01"}
	if err := r.build(cols); err != nil {
		tb.Fatal(err)
	}
	return r
}

// BenchmarkWriteCSV writes every customer of a run as CSV, sorted by value
// at risk: the work of churn lists after reading the run.
func BenchmarkWriteCSV(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		r := memRun(b, n)
		b.Run(strconv.Itoa(n), func(b *testing.B) {
			for range b.N {
				r.orders = map[string][]int32{} // sort again every time
				rows, err := r.Select(Filter{}, "", 0)
				if err != nil {
					b.Fatal(err)
				}
				if err := NewTable(r, rows).WriteCSV(io.Discard, false); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// TestChangesRenamedSegments: runs whose segments carry configured names
// show the same changes as runs with the default names, decided on the
// canonical ids, and the list shows the configured names.
func TestChangesRenamedSegments(t *testing.T) {
	names := map[string]string{"at_risk_high_value": "Save first", "at_risk": "Save", "churned": "Gone", "healthy": "OK"}
	plain, renamed := t.TempDir(), t.TempDir()
	for _, r := range []liststest.Run{{AsOf: "2024-05-01", Seed: 1}, {AsOf: "2024-06-01", Seed: 2}} {
		r.Customers = customers
		liststest.Write(t, plain, r)
		r.Names = names
		liststest.Write(t, renamed, r)
	}
	var a, b bytes.Buffer
	want, err := Write(context.Background(), Options{Scores: plain, Changes: true}, &a)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Write(context.Background(), Options{Scores: renamed, Changes: true}, &b)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range ChangeKinds {
		if got.Changes[k] != want.Changes[k] || want.Changes[k] == 0 {
			t.Errorf("%s with renamed segments: %d, want %d as with the default names (and more than 0)", k, got.Changes[k], want.Changes[k])
		}
	}
	header, rows := readCSV(t, b.Bytes())
	segCol := slices.Index(header, "segment")
	seen := map[string]bool{}
	for _, row := range rows {
		seen[row[1]] = true // previous_segment
		seen[row[segCol]] = true
	}
	for _, n := range []string{"Save first", "Gone"} {
		if !seen[n] {
			t.Errorf("the changes list never shows the configured name %q (saw %v)", n, seen)
		}
	}
	for _, id := range []string{"at_risk_high_value", "churned"} {
		if seen[id] {
			t.Errorf("the changes list shows the canonical id %q instead of its configured name", id)
		}
	}
	// A canonical id selects the renamed segment, as does its name.
	r, err := Load(renamed, "")
	if err != nil {
		t.Fatal(err)
	}
	byID, err := r.Select(Filter{Segment: "at_risk"}, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	byName, err := r.Select(Filter{Segment: "Save"}, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(byID) == 0 || !slices.Equal(byID, byName) {
		t.Errorf("segment at_risk selects %d rows, its name Save %d; want the same, more than 0", len(byID), len(byName))
	}
	if c := r.SegmentCounts(); c[1].Segment != "Save" || c[1].Customers != len(byID) {
		t.Errorf("segment counts %+v, want Save second with %d customers", c[1], len(byID))
	}
}

// TestBudgeted: the budgeted list ranks by p x value x save rate - cost,
// stops where that turns non-positive or at the budget, and sums up.
func TestBudgeted(t *testing.T) {
	scores := fakeScores(t)
	r, err := Load(scores, "2024-05-01")
	if err != nil {
		t.Fatal(err)
	}
	const cost, save = 20.0, 0.3
	// Reference: every customer's net value, computed from the columns.
	cols, _ := liststest.Columns(liststest.Run{AsOf: "2024-05-01", Customers: customers, Seed: 1})
	c := byName(cols)
	var positive []float64
	for i := range customers {
		if v := c["churn_probability"].Floats[i] * c["predicted_value"].Floats[i] * save; v-cost > 0 {
			positive = append(positive, v-cost)
		}
	}
	slices.SortFunc(positive, func(a, b float64) int { return cmp.Compare(b, a) })
	if len(positive) < 10 || len(positive) == customers {
		t.Fatalf("%d of %d customers worth an offer: the fixture does not test the stop", len(positive), customers)
	}
	tests := []struct {
		name    string
		budget  int
		want    int
		stopped string
	}{
		{"until not positive", 0, len(positive), "not_positive"},
		{"budget", 7, 7, "budget"},
	}
	for _, tt := range tests {
		tab, sum, err := Budgeted(r, Filter{}, tt.budget, 0, cost, save)
		if err != nil {
			t.Fatal(err)
		}
		if tab.Len() != tt.want || sum.Offers != tt.want || sum.StoppedBy != tt.stopped {
			t.Fatalf("%s: %d rows, %d offers, stopped by %s; want %d, stopped by %s", tt.name, tab.Len(), sum.Offers, sum.StoppedBy, tt.want, tt.stopped)
		}
		var total float64
		for k := range tt.want {
			got := tab.extra[0].f[k]
			if math.Abs(got-positive[k]) > 1e-9 {
				t.Errorf("%s: row %d expected net %v, want %v", tt.name, k, got, positive[k])
			}
			total += positive[k]
		}
		if math.Abs(sum.ExpectedNet-math.Round(total*100)/100) > 0.011 || sum.Cost != float64(tt.want)*cost {
			t.Errorf("%s: summary %+v, want net %.2f and cost %v", tt.name, sum, total, float64(tt.want)*cost)
		}
	}
	var buf bytes.Buffer
	sum, err := Write(context.Background(), Options{Scores: scores, AsOf: "2024-05-01", Budget: 5, OfferCost: cost, SaveRate: save}, &buf)
	if err != nil {
		t.Fatal(err)
	}
	header, rows := readCSV(t, buf.Bytes())
	if header[0] != ExpectedNetColumn || len(rows) != 5 || sum.Offers == nil || sum.Sort != "-expected_net_value" {
		t.Errorf("budgeted CSV: header %v, %d rows, summary %+v; want %s first, 5 rows", header[:2], len(rows), sum, ExpectedNetColumn)
	}
	for _, o := range []Options{{Scores: scores, SaveRate: 1.5}, {Scores: scores, OfferCost: 5}, {Scores: scores, SaveRate: 0.2, Changes: true}} {
		if _, err := Write(context.Background(), o, io.Discard); !errors.Is(err, ErrInvalid) {
			t.Errorf("options %+v: %v, want ErrInvalid", o, err)
		}
	}
}

// TestSeveralParts: a run written in several part files, as churn-beam
// run writes one per customer range, gives the lists of the same run in
// one part: every format, filter and the changes since the run before
// (which is in parts too).
func TestSeveralParts(t *testing.T) {
	one, parts := t.TempDir(), t.TempDir()
	for _, d := range []struct {
		dir string
		n   int
	}{{one, 1}, {parts, 3}} {
		liststest.Write(t, d.dir, liststest.Run{AsOf: "2024-05-01", Customers: customers, Seed: 1, Parts: d.n})
		liststest.Write(t, d.dir, liststest.Run{AsOf: "2024-06-01", Customers: customers, Seed: 2, Odd: true, Parts: d.n + 1})
	}
	r, err := Load(parts, "")
	if err != nil {
		t.Fatal(err)
	}
	if r.N != customers || len(r.Manifest.Parts) != 4 {
		t.Fatalf("%d customers in parts %v, want %d in 4", r.N, r.Manifest.Parts, customers)
	}
	for _, o := range []Options{{}, {Segment: "at_risk", Format: "json"}, {Top: 40, Format: "json", Plan: "pro"}, {MinRisk: 0.3, Changes: true}} {
		var want, got bytes.Buffer
		o.Scores = one
		if _, err := Write(context.Background(), o, &want); err != nil {
			t.Fatal(err)
		}
		o.Scores = parts
		if _, err := Write(context.Background(), o, &got); err != nil {
			t.Fatal(err)
		}
		if want.Len() == 0 || !bytes.Equal(got.Bytes(), want.Bytes()) {
			t.Errorf("%+v: %d bytes from the parts, %d from one part file", o, got.Len(), want.Len())
		}
	}
}

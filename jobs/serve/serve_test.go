package serve

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"churn/data/runs"
	"churn/jobs/lists"
	"churn/jobs/lists/liststest"
)

func fakeHandler(t *testing.T) http.Handler {
	t.Helper()
	dir := t.TempDir()
	liststest.Write(t, dir, liststest.Run{AsOf: "2024-05-01", Customers: 500, Seed: 1})
	liststest.Write(t, dir, liststest.Run{AsOf: "2024-06-01", Customers: 2000, Seed: 2, Odd: true})
	h, err := Handler(Options{Scores: dir})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func get(t *testing.T, h http.Handler, target string) (int, http.Header, []byte) {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec.Code, rec.Header(), rec.Body.Bytes()
}

func TestAPI(t *testing.T) {
	h := fakeHandler(t)
	code, _, body := get(t, h, "/api/summary")
	var sum summaryJSON
	if err := json.Unmarshal(body, &sum); code != 200 || err != nil {
		t.Fatalf("summary: %d %v %s", code, err, body)
	}
	if sum.AsOf != "2024-06-01" || sum.ModelVersion != "v0003" || sum.Customers != 2000 || len(sum.Runs) != 2 {
		t.Errorf("summary: %+v, want the latest run of 2,000 customers, model v0003, 2 runs", sum)
	}
	n := 0
	for _, s := range sum.Segments {
		n += s.Customers
	}
	if n != 2000 {
		t.Errorf("segments count %d customers, want 2000", n)
	}

	code, _, body = get(t, h, "/api/customers?segment=at_risk&sort=%2Bchurn_probability&page=1&size=7")
	var page pageJSON
	if err := json.Unmarshal(body, &page); code != 200 || err != nil {
		t.Fatalf("customers: %d %v %s", code, err, body)
	}
	if len(page.Rows) != 7 || page.Total <= 14 {
		t.Fatalf("got %d rows of %d, want page 2 of 7 rows", len(page.Rows), page.Total)
	}
	prev := -1.0
	for _, r := range page.Rows {
		p, _ := strconv.ParseFloat(r["churn_probability"], 64)
		if r["segment"] != "at_risk" || p < prev {
			t.Errorf("row %v: want segment at_risk in ascending probability", r)
		}
		prev = p
	}
	dl, err := url.Parse(page.Download)
	if err != nil || dl.Path != "/download.csv" || dl.Query().Get("segment") != "at_risk" || dl.Query().Get("as_of") != "2024-06-01" {
		t.Errorf("download link %q does not carry the filter and the run", page.Download)
	}
	code, hdr, body := get(t, h, page.Download)
	recs, err := csv.NewReader(strings.NewReader(string(body))).ReadAll()
	if code != 200 || err != nil || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") {
		t.Fatalf("download: %d %v %s", code, err, hdr.Get("Content-Type"))
	}
	if len(recs)-1 != page.Total {
		t.Errorf("CSV has %d rows, the page says %d match", len(recs)-1, page.Total)
	}

	id := page.Rows[0]["customer_id"]
	code, _, body = get(t, h, "/api/customer/"+url.PathEscape(id))
	var c customerJSON
	if err := json.Unmarshal(body, &c); code != 200 || err != nil {
		t.Fatalf("customer: %d %v %s", code, err, body)
	}
	if c.CustomerID != id || len(c.Reasons) != 3 || len(c.Facts) == 0 {
		t.Fatalf("customer %+v: want %s with 3 reasons and facts", c, id)
	}
	for _, f := range c.Facts {
		if f.Percentile != nil && (*f.Percentile < 0 || *f.Percentile > 100) {
			t.Errorf("fact %s: percentile %v outside 0..100", f.Name, *f.Percentile)
		}
	}
	// The odd id, with HTML and quotes, is found and comes back as data.
	code, _, body = get(t, h, "/api/customer/"+url.PathEscape(liststest.OddID))
	if err := json.Unmarshal(body, &c); code != 200 || err != nil || c.CustomerID != liststest.OddID {
		t.Errorf("odd customer: %d %v %q", code, err, c.CustomerID)
	}
	// An older run, by date.
	code, _, body = get(t, h, "/api/summary?as_of=2024-05-01")
	if err := json.Unmarshal(body, &sum); code != 200 || err != nil || sum.Customers != 500 {
		t.Errorf("older run: %d %v %d customers, want 500", code, err, sum.Customers)
	}
}

func TestAPIErrors(t *testing.T) {
	h := fakeHandler(t)
	tests := []struct {
		name, target string
		code         int
		want         string
	}{
		{"unknown segment", "/api/customers?segment=vip", 400, `unknown segment \"vip\"`},
		{"unknown sort", "/api/customers?sort=password", 400, "unknown sort column"},
		{"malformed number", "/api/customers?min_value=lots", 400, `min_value=\"lots\" is not a number`},
		{"probability above 1", "/download.csv?min_risk=7", 400, "outside 0..1"},
		{"page size too large", "/api/customers?size=100000", 400, "size="},
		{"traversal in as_of", "/api/summary?as_of=../../etc", 400, "want YYYY-MM-DD"},
		{"missing run", "/api/customers?as_of=2020-01-01", 404, "no run of 2020-01-01"},
		{"unknown customer", "/api/customer/nobody", 404, `no customer \"nobody\"`},
		{"traversal in path", "/../../etc/passwd", 404, "no page"},
		{"asset outside the folder", "/assets/../serve.go", 404, "no page"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, body := get(t, h, tt.target)
			if code != tt.code || !strings.Contains(string(body), tt.want) {
				t.Errorf("got %d %s, want %d with %q", code, body, tt.code, tt.want)
			}
		})
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/api/summary", nil))
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: got %d, want 405", rec.Code)
	}
}

func TestHandlerBadScores(t *testing.T) {
	for _, dir := range []string{t.TempDir(), t.TempDir() + "/missing"} {
		if _, err := Handler(Options{Scores: dir}); err == nil || !strings.Contains(err.Error(), dir) {
			t.Errorf("Handler(%s): got %v, want an error naming the folder", dir, err)
		}
	}
}

func TestPageIsSelfContained(t *testing.T) {
	h := fakeHandler(t)
	for _, p := range []string{"/", "/app.js", "/app.css"} {
		code, hdr, body := get(t, h, p)
		if code != 200 {
			t.Fatalf("%s: %d", p, code)
		}
		if !strings.Contains(hdr.Get("Content-Security-Policy"), "default-src 'self'") {
			t.Errorf("%s: no CSP limiting requests to the page's origin", p)
		}
		s := string(body)
		for _, bad := range []string{"http://", "https://", "innerHTML", "outerHTML", "insertAdjacentHTML", "document.write"} {
			if strings.Contains(strings.ReplaceAll(s, "http://www.w3.org/2000/svg", ""), bad) {
				t.Errorf("%s contains %q: requests must stay on the machine and data must not be HTML", p, bad)
			}
		}
	}
}

// BenchmarkPage filters and pages a run of a million customers through the
// handler, as the page does, once the orders are computed.
func BenchmarkPage(b *testing.B) {
	const n = 1_000_000
	cols, segs := liststest.Columns(liststest.Run{AsOf: "2024-06-01", Customers: n, Seed: 5})
	m := runs.Manifest{AsOf: "2024-06-01", ModelVersion: "v0003"}
	for _, s := range segs {
		m.Segments = append(m.Segments, s)
	}
	r, err := lists.NewRun("2024-06-01", m, cols)
	if err != nil {
		b.Fatal(err)
	}
	h := newServer(Options{Scores: b.TempDir()}, r)
	for _, q := range []string{
		"page=0&size=50",
		"segment=at_risk&risk=high&page=3&size=50",
		"region=south&plan=pro&min_value=200&min_risk=0.3&sort=%2Bchurn_probability&page=2&size=100",
		"q=C00012&sort=customer_id&page=0&size=50",
	} {
		target := "/api/customers?" + q
		get := func() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
			if rec.Code != 200 {
				b.Fatalf("%s: %d %s", target, rec.Code, rec.Body)
			}
			_, _ = io.Copy(io.Discard, rec.Body)
		}
		get() // compute the sort order once, as the first request does
		b.Run(q, func(b *testing.B) {
			for range b.N {
				get()
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/request")
		})
	}
}

// TestDownloadsForSpreadsheets: the page's downloads escape formula-like
// cells, spell CSV for the comma-decimal locales on request, and give an
// Excel workbook.
func TestDownloadsForSpreadsheets(t *testing.T) {
	h := fakeHandler(t)
	code, hdr, body := get(t, h, "/download.csv?segment=at_risk&bom=1&decimal=comma")
	if code != 200 || !strings.HasPrefix(string(body), "\uFEFF") {
		t.Fatalf("decimal-comma CSV: %d, BOM first %v", code, strings.HasPrefix(string(body), "\uFEFF"))
	}
	r := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(body), "\uFEFF")))
	r.Comma = ';'
	recs, err := r.ReadAll()
	if err != nil || len(recs) < 2 {
		t.Fatalf("decimal-comma CSV does not read with ';': %v (%d records)", err, len(recs))
	}
	if p := recs[1][2]; !strings.Contains(p, ",") || strings.Contains(p, ".") {
		t.Errorf("churn probability %q, want a decimal comma", p)
	}
	if !strings.HasPrefix(hdr.Get("Content-Disposition"), "attachment;") {
		t.Errorf("Content-Disposition %q", hdr.Get("Content-Disposition"))
	}
	code, hdr, body = get(t, h, "/download.xlsx?segment=at_risk")
	if code != 200 || hdr.Get("Content-Type") != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" ||
		!strings.HasPrefix(string(body), "PK") || !strings.Contains(hdr.Get("Content-Disposition"), ".xlsx") {
		t.Errorf("xlsx download: %d %q %q, want a workbook (zip)", code, hdr.Get("Content-Type"), hdr.Get("Content-Disposition"))
	}
	if code, _, _ := get(t, h, "/download.csv?delimiter=x"); code != 400 {
		t.Errorf("delimiter x: %d, want 400", code)
	}
}

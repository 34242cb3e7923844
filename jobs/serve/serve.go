package serve

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/rs/zerolog"

	"churn/jobs/lists"
)

//go:embed assets
var assets embed.FS

// Options configures the page.
type Options struct {
	// Scores is the folder holding as_of=YYYY-MM-DD/ runs (churn run's
	// --out). Required.
	Scores string
	// AsOf is the run shown by default, YYYY-MM-DD; "" means the latest.
	AsOf string
	// PageSize is the table's default rows per page; 0 means 50.
	PageSize int
}

// MaxPageSize is the most rows one page of /api/customers returns.
const MaxPageSize = 500

// server holds the runs it has loaded, by date.
type server struct {
	o     Options
	def   string // the default run date
	mu    sync.Mutex
	runs  map[string]*lists.Run
	files http.Handler
}

// Handler returns the page and its JSON API for the runs under o.Scores.
// It loads the default run at once, so that a bad scores folder fails
// here and not on the first request; other runs load on first use and
// stay in memory.
func Handler(o Options) (http.Handler, error) {
	if o.PageSize <= 0 {
		o.PageSize = 50
	}
	r, err := lists.Load(o.Scores, o.AsOf)
	if err != nil {
		return nil, err
	}
	return newServer(o, r), nil
}

func newServer(o Options, r *lists.Run) *server {
	if o.PageSize <= 0 {
		o.PageSize = 50
	}
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embedded folder is part of the binary
	}
	s := &server{o: o, def: r.AsOf, runs: map[string]*lists.Run{r.AsOf: r}, files: http.FileServerFS(sub)}
	// The default order, value at risk descending, is ready before the
	// first request.
	if _, err := r.Order(""); err != nil {
		panic(err) // value_at_risk is a required column
	}
	return s
}

func (s *server) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	h := w.Header()
	// Nothing on the page comes from, or goes to, another origin.
	h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if req.Method != http.MethodGet && req.Method != http.MethodHead {
		h.Set("Allow", "GET, HEAD")
		httpError(w, http.StatusMethodNotAllowed, "the page is read-only: only GET and HEAD")
		return
	}
	p := req.URL.Path
	switch {
	case p == "/" || p == "/index.html":
		s.serveAsset(w, req, "/")
	case p == "/app.js" || p == "/app.css":
		s.serveAsset(w, req, p)
	case p == "/api/summary":
		s.summary(w, req)
	case p == "/api/customers":
		s.customers(w, req)
	case len(p) > len("/api/customer/") && p[:len("/api/customer/")] == "/api/customer/":
		s.customer(w, req, p[len("/api/customer/"):])
	case p == "/download.csv" || p == "/download.xlsx":
		s.download(w, req, p[len("/download."):])
	default:
		httpError(w, http.StatusNotFound, fmt.Sprintf("no page %q", p))
	}
}

func (s *server) serveAsset(w http.ResponseWriter, req *http.Request, name string) {
	r2 := req.Clone(req.Context())
	r2.URL.Path = name
	w.Header().Set("Cache-Control", "no-cache")
	s.files.ServeHTTP(w, r2)
}

// run returns the run of the request's as_of, the default when absent.
// The date must have the form YYYY-MM-DD and name an existing run folder.
func (s *server) run(q url.Values) (*lists.Run, error) {
	d := q.Get("as_of")
	if d == "" {
		d = s.def
	}
	if err := lists.CheckDate(d); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if r, ok := s.runs[d]; ok {
		return r, nil
	}
	r, err := lists.Load(s.o.Scores, d)
	if err != nil {
		return nil, err
	}
	s.runs[d] = r
	return r, nil
}

// filter reads the table's filters from the query.
func filter(q url.Values) (lists.Filter, error) {
	f := lists.Filter{
		Segment: q.Get("segment"), Risk: q.Get("risk"), ValueTier: q.Get("value_tier"),
		Region: q.Get("region"), Plan: q.Get("plan"), Search: q.Get("q"),
	}
	var errs []error
	num := func(name string, dst *float64) {
		v := q.Get(name)
		if v == "" {
			return
		}
		x, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			errs = append(errs, fmt.Errorf("%s=%q is not a number", name, v))
			return
		}
		*dst = x
	}
	num("min_value", &f.MinValue)
	num("min_risk", &f.MinRisk)
	if len(errs) > 0 {
		return f, fmt.Errorf("%w: %w", errors.Join(errs...), lists.ErrInvalid)
	}
	return f, nil
}

type summaryJSON struct {
	AsOf         string              `json:"as_of"`
	ModelVersion string              `json:"model_version"`
	Algo         string              `json:"algo"`
	Customers    int                 `json:"customers"`
	Runs         []string            `json:"runs"`
	Segments     []lists.Counts      `json:"segments"`
	Values       map[string][]string `json:"values"`
	Columns      []string            `json:"columns"`
	Facts        []string            `json:"facts"`
	PageSize     int                 `json:"page_size"`
}

func (s *server) summary(w http.ResponseWriter, req *http.Request) {
	r, err := s.run(req.URL.Query())
	if err != nil {
		fail(w, err)
		return
	}
	dates, err := lists.Dates(s.o.Scores)
	if err != nil {
		fail(w, err)
		return
	}
	out := summaryJSON{AsOf: r.AsOf, ModelVersion: r.Manifest.ModelVersion, Algo: r.Manifest.Algo, Customers: r.N,
		Runs: dates, Segments: r.SegmentCounts(), Values: map[string][]string{}, Columns: r.Columns(), Facts: r.Facts, PageSize: s.o.PageSize}
	for _, name := range []string{"churn_risk", "value_tier", "region", "plan"} {
		out.Values[name] = r.Values(name)
	}
	out.Values["segment"] = r.SegmentNames()
	writeJSON(w, out)
}

// tableColumns are the columns of a table row on the page: the reason
// comes right after the numbers it explains, so that it is on screen at
// common widths; the page hides the later ones on a phone.
var tableColumns = []string{"customer_id", "segment", "churn_probability", "value_at_risk", "reason_1",
	"predicted_value", "churn_risk", "value_tier", "region", "plan"}

// historyRuns is how many runs, up to the one shown, a customer's history
// covers.
const historyRuns = 6

type pageJSON struct {
	Total    int                 `json:"total"`
	Page     int                 `json:"page"`
	Size     int                 `json:"size"`
	Sort     string              `json:"sort"`
	Columns  []string            `json:"columns"`
	Rows     []map[string]string `json:"rows"`
	Download string              `json:"download"`
}

func (s *server) customers(w http.ResponseWriter, req *http.Request) {
	q := req.URL.Query()
	r, err := s.run(q)
	if err != nil {
		fail(w, err)
		return
	}
	f, err := filter(q)
	if err != nil {
		fail(w, err)
		return
	}
	page, size := 0, s.o.PageSize
	for _, p := range []struct {
		name string
		dst  *int
		min  int
	}{{"page", &page, 0}, {"size", &size, 1}} {
		if v := q.Get(p.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < p.min || p.name == "size" && n > MaxPageSize {
				fail(w, fmt.Errorf("%s=%q: want a whole number from %d%s: %w", p.name, v, p.min,
					map[bool]string{true: fmt.Sprintf(" to %d", MaxPageSize)}[p.name == "size"], lists.ErrInvalid))
				return
			}
			*p.dst = n
		}
	}
	sort := q.Get("sort")
	total, rows, err := r.Page(f, sort, page, size)
	if err != nil {
		fail(w, err)
		return
	}
	// The customers/ columns the run carried (an e-mail, a CRM id) follow
	// the customer id.
	cols := append(append([]string{tableColumns[0]}, r.Passthrough...), tableColumns[1:]...)
	out := pageJSON{Total: total, Page: page, Size: size, Sort: sort, Columns: cols, Rows: make([]map[string]string, len(rows))}
	if out.Sort == "" {
		out.Sort = "value_at_risk"
	}
	for k, i := range rows {
		c := r.Customer(i)
		row := make(map[string]string, len(cols))
		for _, name := range cols {
			row[name] = c.Text[name]
		}
		out.Rows[k] = row
	}
	dl := url.Values{}
	for _, k := range []string{"as_of", "segment", "risk", "value_tier", "region", "plan", "min_value", "min_risk", "q", "sort"} {
		if v := q.Get(k); v != "" {
			dl.Set(k, v)
		}
	}
	if dl.Get("as_of") == "" {
		dl.Set("as_of", r.AsOf)
	}
	out.Download = "/download.csv?" + dl.Encode()
	writeJSON(w, out)
}

type factJSON struct {
	Name       string   `json:"name"`
	Value      string   `json:"value"`
	Percentile *float64 `json:"percentile"` // share of customers below, 0..100; null when missing
}

type customerJSON struct {
	CustomerID string            `json:"customer_id"`
	AsOf       string            `json:"as_of"`
	Fields     map[string]string `json:"fields"`
	Reasons    []string          `json:"reasons"`
	Facts      []factJSON        `json:"facts"`
	History    []historyJSON     `json:"history"`
}

// historyJSON is the customer in one run: oldest first, the shown run
// last.
type historyJSON struct {
	AsOf        string `json:"as_of"`
	Segment     string `json:"segment"`
	Probability string `json:"churn_probability"`
	ValueAtRisk string `json:"value_at_risk"`
	Reason      string `json:"reason"`
}

func (s *server) customer(w http.ResponseWriter, req *http.Request, id string) {
	r, err := s.run(req.URL.Query())
	if err != nil {
		fail(w, err)
		return
	}
	if id, err = url.PathUnescape(id); err != nil {
		fail(w, fmt.Errorf("customer id: %w: %w", lists.ErrInvalid, err))
		return
	}
	i, err := r.Find(id)
	if err != nil {
		fail(w, err)
		return
	}
	c := r.Customer(i)
	out := customerJSON{CustomerID: id, AsOf: r.AsOf, Fields: c.Text, Reasons: c.Reasons}
	if out.Reasons == nil {
		out.Reasons = []string{}
	}
	for _, name := range r.Facts {
		f := factJSON{Name: name, Value: c.Text[name]}
		if p := r.Percentile(name, c.Numbers[name]); !math.IsNaN(p) {
			p = math.Round(p*1000) / 10
			f.Percentile = &p
		}
		out.Facts = append(out.Facts, f)
	}
	if out.History, err = s.history(r.AsOf, id); err != nil {
		fail(w, err)
		return
	}
	writeJSON(w, out)
}

// history returns the customer in the runs up to asOf, at most
// historyRuns of them, oldest first; runs without the customer are left
// out. The runs it reads stay loaded, as any run the page shows.
func (s *server) history(asOf, id string) ([]historyJSON, error) {
	dates, err := lists.Dates(s.o.Scores)
	if err != nil {
		return nil, err
	}
	end := 0
	for end < len(dates) && dates[end] <= asOf {
		end++
	}
	out := []historyJSON{}
	for _, d := range dates[max(0, end-historyRuns):end] {
		r, err := s.run(url.Values{"as_of": {d}})
		if err != nil {
			return nil, err
		}
		i, err := r.Find(id)
		if errors.Is(err, lists.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		c := r.Customer(i)
		h := historyJSON{AsOf: d, Segment: c.Text["segment"], Probability: c.Text["churn_probability"], ValueAtRisk: c.Text["value_at_risk"]}
		if len(c.Reasons) > 0 {
			h.Reason = c.Reasons[0]
		}
		out = append(out, h)
	}
	return out, nil
}

// download writes the current filter's list as CSV or an Excel workbook,
// with the lists code that churn lists uses. A download is for a
// spreadsheet: text cells that would run as formulas are escaped. CSV
// takes bom=1, delimiter (, ; | tab) and decimal=comma from the query.
func (s *server) download(w http.ResponseWriter, req *http.Request, format string) {
	q := req.URL.Query()
	r, err := s.run(q)
	if err != nil {
		fail(w, err)
		return
	}
	f, err := filter(q)
	if err != nil {
		fail(w, err)
		return
	}
	rows, err := r.Select(f, q.Get("sort"), 0)
	if err != nil {
		fail(w, err)
		return
	}
	name := "churn-" + r.AsOf
	if f.Segment != "" {
		name += "-" + url.PathEscape(f.Segment)
	}
	t := lists.NewTable(r, rows)
	if format == "xlsx" {
		var buf bytes.Buffer // a workbook is a zip: written whole, then sent
		if err := t.WriteXLSX(&buf); err != nil {
			fail(w, err)
			return
		}
		w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
		w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name+".xlsx"))
		_, _ = w.Write(buf.Bytes())
		return
	}
	o := lists.CSVOptions{BOM: q.Get("bom") == "1", DecimalComma: q.Get("decimal") == "comma", EscapeFormulas: true}
	d := q.Get("delimiter")
	if d == "" && o.DecimalComma {
		d = ";"
	}
	if o.Delimiter, err = lists.ParseDelimiter(d); err != nil {
		fail(w, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", fmt.Sprintf("attachment; filename=%q", name+".csv"))
	// Headers are sent: a failure now can only cut the body short.
	_ = t.WriteCSVWith(w, o)
}

func writeJSON(w http.ResponseWriter, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		httpError(w, http.StatusInternalServerError, "encode: "+err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(b)
}

// fail answers 404 for a missing run or customer, 400 for other bad input,
// 500 otherwise.
func fail(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, lists.ErrNotFound):
		httpError(w, http.StatusNotFound, err.Error())
	case errors.Is(err, lists.ErrInvalid):
		httpError(w, http.StatusBadRequest, err.Error())
	default:
		httpError(w, http.StatusInternalServerError, err.Error())
	}
}

// httpError answers a JSON object {"error": msg}.
func httpError(w http.ResponseWriter, code int, msg string) {
	b, _ := json.Marshal(map[string]string{"error": msg})
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// ListenAndServe serves h on addr until ctx ends, then shuts down,
// letting requests in flight finish for up to five seconds. It returns nil
// after a clean shutdown.
func ListenAndServe(ctx context.Context, addr string, h http.Handler, log zerolog.Logger) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      5 * time.Minute, // a CSV of every customer takes a while
		IdleTimeout:       2 * time.Minute,
	}
	if host, _, err := net.SplitHostPort(ln.Addr().String()); err == nil {
		if ip := net.ParseIP(host); ip != nil && !ip.IsLoopback() {
			log.Warn().Str("addr", ln.Addr().String()).Msg("serving beyond this machine: anyone who reaches the address sees the scores")
		}
	}
	log.Info().Str("addr", ln.Addr().String()).Str("url", "http://"+ln.Addr().String()+"/").Msg("serving")
	done := make(chan error, 1) // buffered: the server goroutine never blocks on send
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serve %s: %w", addr, err)
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	serr := srv.Shutdown(sctx)
	if err := <-done; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve %s: %w", addr, err)
	}
	if serr != nil {
		return fmt.Errorf("shut down %s: %w", addr, serr)
	}
	log.Info().Msg("stopped")
	return nil
}

package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"churn/data"
	"churn/data/runs"
	"churn/data/tabletest"
	"churn/internal/fsutil"
)

// handAsOf is the as-of of the hand-built datasets.
var handAsOf = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// dirt says which problems a hand-built dataset carries.
type dirt struct {
	dupCustomer     bool // customers: C0001 twice
	nullSignup      bool // customers: one null signup_at
	nullSessionID   int  // sessions: rows with a null customer_id
	futureSessions  int  // sessions: rows after the as-of
	negativeSession int  // sessions: rows with a negative duration
	nps11           int  // surveys: answers with NPS 11
	oddTickets      bool // tickets: a 1 MB text and a non-UTF-8 text
}

const handCustomers = 200

// handDataset writes customers, sessions, surveys and tickets with data's
// table writer, with the dirt asked for, and returns its root.
func handDataset(t testing.TB, d dirt) string {
	t.Helper()
	root := t.TempDir()
	day := int64(24 * time.Hour)
	end := handAsOf.UnixNano()
	var cust []data.Customer
	for i := range handCustomers {
		c := data.Customer{ID: fmt.Sprintf("C%04d", i), SignupAt: end - int64(400-i)*day, Plan: "basic", Region: "BR", CancelledAt: data.NoTime}
		if i%7 == 0 {
			c.CancelledAt = end - int64(i%50+1)*day
		}
		cust = append(cust, c)
	}
	if d.dupCustomer {
		cust = append(cust, data.Customer{ID: "C0001", SignupAt: end - 10*day, CancelledAt: data.NoTime})
	}
	if d.nullSignup {
		cust = append(cust, data.Customer{ID: "C9999", SignupAt: data.NoTime, CancelledAt: data.NoTime})
	}
	tabletest.WriteRows(t, filepath.Join(root, "customers", "part-0.parquet"), cust, 0)

	var sess []data.Session
	for i := range handCustomers {
		for k := range 10 {
			sess = append(sess, data.Session{CustomerID: fmt.Sprintf("C%04d", i), StartedAt: end - int64(k*9+i%5+1)*day,
				DurationS: float64(60 + k), Pages: 3, Channel: "web"})
		}
	}
	for range d.nullSessionID {
		sess = append(sess, data.Session{StartedAt: end - 3*day, DurationS: 10, Pages: 1})
	}
	for range d.futureSessions {
		sess = append(sess, data.Session{CustomerID: "C0002", StartedAt: end + 30*day, DurationS: 10, Pages: 1})
	}
	for range d.negativeSession {
		sess = append(sess, data.Session{CustomerID: "C0003", StartedAt: end - 4*day, DurationS: -50, Pages: 1})
	}
	tabletest.WriteRows(t, filepath.Join(root, "sessions", "part-0.parquet"), sess, 0)

	var surveys []data.Survey
	for i := range handCustomers {
		surveys = append(surveys, data.Survey{CustomerID: fmt.Sprintf("C%04d", i), AnsweredAt: end - int64(i%60+1)*day, NPS: i % 11})
	}
	for range d.nps11 {
		surveys = append(surveys, data.Survey{CustomerID: "C0004", AnsweredAt: end - 2*day, NPS: 11})
	}
	tabletest.WriteRows(t, filepath.Join(root, "surveys", "part-0.parquet"), surveys, 0)

	var tickets []data.Ticket
	for i := 0; i < handCustomers; i += 4 {
		tickets = append(tickets, data.Ticket{CustomerID: fmt.Sprintf("C%04d", i), TicketID: fmt.Sprintf("T%d", i),
			CreatedAt: end - int64(i%30+1)*day, Channel: "email", Text: "the app keeps crashing, very slow",
			Sentiment: math.NaN(), FirstResponseS: 3600, ResolvedAt: data.NoTime, CSAT: 2, Effort: 2})
	}
	if d.oddTickets {
		huge := strings.Repeat("terrible service ", 1<<20/17+1)
		for _, text := range []string{huge, "p\xe9ssimo atendimento \xff\xfe"} {
			tickets = append(tickets, data.Ticket{CustomerID: "C0005", TicketID: "TX", CreatedAt: end - 5*day,
				Channel: "chat", Text: text, Sentiment: math.NaN(), FirstResponseS: math.NaN(), ResolvedAt: data.NoTime,
				CSAT: math.NaN(), Effort: math.NaN()})
		}
	}
	tabletest.WriteRows(t, filepath.Join(root, "tickets", "part-0.parquet"), tickets, 0)
	return root
}

// writeGeneric writes rows with parquet-go's own writer and struct tags.
func writeGeneric[T any](t testing.TB, path string, rows []T) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[T](f)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

// noOutput checks that out holds no run folder and no temporary files.
func noOutput(t *testing.T, out string) {
	t.Helper()
	entries, _ := os.ReadDir(out)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "as_of=") || strings.HasPrefix(e.Name(), fsutil.TempPrefix) {
			t.Errorf("a refused run left %s in %s", e.Name(), out)
		}
	}
}

func TestValidateDirtyDataset(t *testing.T) {
	t.Parallel()
	root := handDataset(t, dirt{dupCustomer: true, nullSignup: true, nullSessionID: 2, negativeSession: 2, nps11: 1, oddTickets: true})
	r := churn(t, t.TempDir(), "validate", "--data", root)
	if r.code != 2 {
		t.Fatalf("validate on a dirty dataset: %s, want exit 2", r)
	}
	// Each problem on a line naming file, column and row.
	want := []struct{ table, file, column string }{
		{"customers", "customers/part-0.parquet", "signup_at"},
		{"sessions", "sessions/part-0.parquet", "customer_id"},
		{"sessions", "sessions/part-0.parquet", "duration_s"},
		{"surveys", "surveys/part-0.parquet", "nps"},
	}
	lines := strings.Split(r.stdout, "\n")
	for _, w := range want {
		found := false
		for _, l := range lines {
			if strings.HasPrefix(l, w.table+":") && strings.Contains(l, w.file) && strings.Contains(l, w.column) && strings.Contains(l, "row") {
				found = true
			}
		}
		if !found {
			t.Errorf("validate prints no line naming %s, column %s and a row:\n%s", w.file, w.column, r.stdout)
		}
	}
	dup := false
	for _, l := range lines {
		if strings.HasPrefix(l, "customers:") && strings.Contains(l, "customer_id") && strings.Contains(l, "C0001") && strings.Contains(l, "duplicate") {
			dup = true
			if !strings.Contains(l, "row") {
				t.Logf("BUG: the duplicate customer line names no row: %s", l)
			}
		}
	}
	if !dup {
		t.Errorf("validate prints no line naming the duplicate customer C0001 and column customer_id:\n%s", r.stdout)
	}
	for _, count := range []string{"count tickets/invalid_utf8: 1", "count tickets/text_truncated: 1"} {
		if !strings.Contains(r.stdout, count) {
			t.Errorf("validate does not count the odd ticket texts (%s):\n%s", count, r.stdout)
		}
	}
	if !strings.Contains(r.stdout, "value 11") {
		t.Errorf("validate does not show the NPS value 11:\n%s", r.stdout)
	}
	if strings.Contains(r.stdout, strings.Repeat("terrible service ", 100)) {
		t.Errorf("validate echoes a 1 MB ticket text")
	}
}

func TestValidateMissingRequiredColumn(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	type customer struct {
		ID   string `parquet:"customer_id"`
		Plan string `parquet:"plan"`
	}
	writeGeneric(t, filepath.Join(root, "customers", "c.parquet"), []customer{{"A", "basic"}, {"B", "pro"}})
	r := churn(t, t.TempDir(), "validate", "--data", root)
	if r.code != 2 {
		t.Fatalf("validate without signup_at: %s, want exit 2", r)
	}
	all := r.stdout + r.stderr
	if !strings.Contains(all, "customers") || !strings.Contains(all, "signup_at") {
		t.Errorf("validate does not name the table and the missing column:\n%s", all)
	}
}

func TestRunRefusesTruncatedFile(t *testing.T) {
	t.Parallel()
	root := handDataset(t, dirt{})
	p := filepath.Join(root, "sessions", "part-0.parquet")
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b[:len(b)*2/3], 0o644); err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()
	r := churn(t, t.TempDir(), "run", "--data", root, "--registry", registry(t), "--out", out, "--as-of", "2026-11-01")
	if r.code != 2 {
		t.Fatalf("run on a truncated sessions file: %s, want exit 2", r)
	}
	if !strings.Contains(r.stderr, "sessions/part-0.parquet") {
		t.Errorf("stderr does not name the truncated file:\n%s", lastLines(r.stderr, 5))
	}
	noOutput(t, out)
	v := churn(t, t.TempDir(), "validate", "--data", root)
	if v.code != 2 || !strings.Contains(v.stdout+v.stderr, "sessions/part-0.parquet") {
		t.Errorf("validate on a truncated file: %s, want exit 2 naming the file", v)
	}
}

func TestRunRefusesWrongType(t *testing.T) {
	t.Parallel()
	root := handDataset(t, dirt{})
	type session struct {
		CustomerID string `parquet:"customer_id"`
		StartedAt  string `parquet:"started_at"`
	}
	p := filepath.Join(root, "sessions", "part-0.parquet")
	writeGeneric(t, p, []session{{"C0001", "2026-10-01T10:00:00Z"}, {"C0002", "2026-10-02T10:00:00Z"}})
	out := t.TempDir()
	r := churn(t, t.TempDir(), "run", "--data", root, "--registry", registry(t), "--out", out, "--as-of", "2026-11-01")
	if r.code != 2 {
		t.Fatalf("run with started_at as a string: %s, want exit 2", r)
	}
	if !strings.Contains(r.stderr, "sessions/part-0.parquet") || !strings.Contains(r.stderr, "started_at") {
		t.Errorf("stderr does not name the file and the column:\n%s", lastLines(r.stderr, 5))
	}
	noOutput(t, out)
}

func TestRunSkipsFewBadRows(t *testing.T) {
	t.Parallel()
	d := dirt{nullSessionID: 3, futureSessions: 4, negativeSession: 5, nps11: 2, oddTickets: true}
	root := handDataset(t, d)
	out := t.TempDir()
	r := churn(t, t.TempDir(), "run", "--data", root, "--registry", registry(t), "--out", out, "--as-of", "2026-11-01")
	if r.code != 0 {
		t.Fatalf("run on a dataset with a few bad rows: %s", r)
	}
	dir := runs.Dir(out, "2026-11-01")
	checkRunFolder(t, dir)
	m := readManifest(t, dir)
	byTable := map[string]int64{}
	for k, n := range m.RowsSkipped {
		table, _, ok := strings.Cut(k, "/")
		if !ok {
			t.Errorf("rows_skipped key %q is not table/reason", k)
		}
		byTable[table] += n
	}
	if got, want := byTable["sessions"], int64(d.nullSessionID+d.futureSessions+d.negativeSession); got != want {
		t.Errorf("manifest counts %d skipped sessions, want %d: %v", got, want, m.RowsSkipped)
	}
	if got, want := byTable["surveys"], int64(d.nps11); got != want {
		t.Errorf("manifest counts %d skipped surveys, want %d: %v", got, want, m.RowsSkipped)
	}
	reasons := 0
	for k := range m.RowsSkipped {
		if strings.HasPrefix(k, "sessions/") {
			reasons++
		}
	}
	if reasons < 3 {
		t.Errorf("manifest gives %d reasons for the skipped sessions, want 3 (null id, future, negative duration): %v", reasons, m.RowsSkipped)
	}
}

func TestValidateDuplicateNamesRow(t *testing.T) {
	t.Parallel()
	root := handDataset(t, dirt{dupCustomer: true})
	r := churn(t, t.TempDir(), "validate", "--data", root)
	if r.code != 2 {
		t.Fatalf("validate with a duplicate customer: %s, want exit 2", r)
	}
	// The duplicate is the last row of the file: row 200.
	found := false
	for _, l := range strings.Split(r.stdout, "\n") {
		if !strings.Contains(l, "duplicate") || strings.HasPrefix(l, "count ") {
			continue
		}
		found = true
		if !strings.Contains(l, "row 200") {
			t.Errorf("the duplicate customer's line does not name its row (200): %s", l)
		}
	}
	if !found {
		t.Errorf("validate printed no line for the duplicate customer:\n%s", r.stdout)
	}
}

// TestLakehouseFolderRefused: a table folder that holds a Delta Lake log
// or Iceberg metadata is refused by validate and run with exit 2, naming
// the folder and the export to make, and nothing is read or written.
func TestLakehouseFolderRefused(t *testing.T) {
	t.Parallel()
	for _, lake := range []struct{ marker, scan string }{
		{"sessions/_delta_log/00000000000000000000.json", "delta_scan"},
		{"tickets/metadata/v1.metadata.json", "iceberg_scan"},
	} {
		root := handDataset(t, dirt{})
		marker := filepath.Join(root, filepath.FromSlash(lake.marker))
		if err := os.MkdirAll(filepath.Dir(marker), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(marker, []byte("{}"), 0o644); err != nil {
			t.Fatal(err)
		}
		table, _, _ := strings.Cut(lake.marker, "/")
		out := t.TempDir()
		for _, args := range [][]string{
			{"validate", "--data", root},
			{"run", "--data", root, "--registry", registry(t), "--out", out, "--as-of", "2026-11-01"},
		} {
			r := churn(t, t.TempDir(), args...)
			if r.code != 2 {
				t.Errorf("%s with %s: %s, want exit 2", args[0], lake.marker, r)
				continue
			}
			msg := r.stdout + r.stderr
			for _, want := range []string{table + " holds", lake.scan + "(", "COPY"} {
				if !strings.Contains(msg, want) {
					t.Errorf("%s with %s does not say %q:\n%s", args[0], lake.marker, want, lastLines(r.stderr, 3))
				}
			}
		}
		noOutput(t, out)
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"churn/data/synth"
	"churn/internal/nodetest"
	"churn/jobs"
)

// The differential test: churn-beam features and churn-beam run, on Prism
// in-process, against the churn binary's features and run, on small
// datasets written by other writers (DuckDB, Polars), laid out otherwise
// (Hive folders, a customer's rows spread over files, the customers table
// in several files, row groups of 1,000 rows, optional tables absent),
// named otherwise (a renamed catalogue with an automated event; other
// column names, mapped by config; customers columns the contract does not
// know), typed otherwise (timestamps in milli-, micro- and nanoseconds,
// not UTC-adjusted, DATE, dictionary-encoded and plain strings), and
// holding what the contract allows or forbids (a table and a file of zero
// rows, an empty file, alone or listed as optional; rows of unknown
// customers, null ids, duplicate customers, rows at and after the cutoff,
// bad rows under the skip policy, under the fail policy and over the
// bad-row limit; timestamps as strings, which the contract refuses). On
// each, both give the same rows and values (our reader and DuckDB), the
// same figures, or the same error and exit code. The variants written by
// DuckDB or Polars need the npm packages of internal/nodetest (.ci/run
// installs them): without them, each says so and is skipped (a failure
// under CI).

// diffCase is one dataset of the differential test.
type diffCase struct {
	name string
	// write writes the dataset into out from the generated base (a
	// dataset of diffBase's shape) and the node binary when it needs
	// DuckDB or Polars (node is "" otherwise).
	write func(t *testing.T, node, base, out string)
	node  bool              // write needs DuckDB and Polars
	env   map[string]string // CHURN_* variables for both commands
	asOf  string            // default diffEnd
	// fails: both commands must fail, with the same exit code (this one)
	// and the same error; 0: both succeed with the same answers.
	fails int
}

const diffEnd = "2026-06-01"

// diffBase writes the generated dataset the variants start from: 300
// customers over 400 days in shards of 100, three files per table.
func diffBase(t *testing.T, dir string, rename uint64) {
	t.Helper()
	cfg := synth.DefaultConfig()
	cfg.Customers, cfg.Days, cfg.Seed, cfg.ShardSize = 300, 400, 5, 100
	cfg.End = time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	if rename != 0 {
		cfg.Rename, cfg.AutomatedEvent = rename, true
	}
	if _, err := synth.Generate(context.Background(), cfg, dir); err != nil {
		t.Fatal(err)
	}
}

var diffTables = []string{"customers", "sessions", "events", "tickets", "surveys", "orders"}

// duckdb runs SQL statements with DuckDB (sql.mjs) and returns what they
// printed.
func duckdb(t *testing.T, node string, stmts ...string) []byte {
	t.Helper()
	return nodetest.Run(t, node, "sql.mjs", stmts...)
}

// src is DuckDB's read of a table of the base dataset.
func src(base, table string) string {
	return fmt.Sprintf("read_parquet('%s')", filepath.Join(base, table, "*.parquet"))
}

// copyTo is the DuckDB statement that writes the rows of query to path.
func copyTo(query, path, opts string) string {
	if opts != "" {
		opts = ", " + opts
	}
	return fmt.Sprintf("COPY (%s) TO '%s' (FORMAT parquet%s)", query, path, opts)
}

// copyTables copies the base's tables but those in skip into out, file
// for file, as they are.
func copyTables(t *testing.T, base, out string, skip ...string) {
	t.Helper()
	for _, tb := range diffTables {
		if strings.Contains(" "+strings.Join(skip, " ")+" ", " "+tb+" ") {
			continue
		}
		files, _ := filepath.Glob(filepath.Join(base, tb, "*.parquet"))
		if len(files) == 0 {
			t.Fatalf("base has no %s files", tb)
		}
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			dst := filepath.Join(out, tb, filepath.Base(f))
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dst, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// encodings returns DuckDB's reading of the encodings of column col in
// the Parquet files of glob.
func encodings(t *testing.T, node, glob, col string) string {
	t.Helper()
	out := duckdb(t, node, fmt.Sprintf("SELECT string_agg(DISTINCT encodings, ',' ORDER BY encodings) AS e FROM parquet_metadata('%s') WHERE path_in_schema = '%s'", glob, col))
	var rows []struct{ E string }
	if err := json.Unmarshal(bytes.TrimSpace(out), &rows); err != nil || len(rows) != 1 {
		t.Fatalf("parquet_metadata of %s: %s (%v)", glob, out, err)
	}
	return rows[0].E
}

// dirtyRows are the statements that add, beside a copy of the base, rows
// the contract allows and rows it forbids, each a few: a second customers
// file with a duplicate of a customer (whose first row wins), a null id
// and a new customer; sessions, events and orders of unknown customers,
// with null ids, at the cutoff and after it; a negative duration, a
// negative amount of pages and an NPS of 11 (bad rows, skipped); a
// survey of the new customer.
func dirtyRows(base, out string) []string {
	ts := func(s string) string { return fmt.Sprintf("TIMESTAMPTZ '%s+00'", s) }
	return []string{
		copyTo(fmt.Sprintf(`SELECT * FROM (SELECT * FROM %s WHERE customer_id IN ('C0000007', 'C0000400') UNION ALL
			SELECT NULL, %s, 'basic', 'EU', 'ads', NULL UNION ALL
			SELECT 'Z-new', %s, 'pro', 'US', 'partner', NULL) ORDER BY customer_id NULLS FIRST`,
			src(base, "customers"), ts("2025-06-01 00:00:00"), ts("2026-01-10 08:00:00")),
			filepath.Join(out, "customers", "zz-extra.parquet"), ""),
		copyTo(fmt.Sprintf(`SELECT customer_id, started_at, duration_s::DOUBLE AS duration_s, pages::BIGINT AS pages, channel FROM (VALUES
			('C0000003', %s, 120.0, 3, 'web'),
			('C0000003', %s, 60.0, 2, 'web'),
			('C0000003', %s, 60.0, 2, 'app'),
			('Z-unknown', %s, 30.0, 1, 'web'),
			(NULL, %s, 30.0, 1, 'web'),
			('C0000011', %s, -5.0, 1, 'web'),
			('C0000012', %s, 50.0, -2, 'app'),
			('Z-new', %s, 400.0, 7, 'app')) s(customer_id, started_at, duration_s, pages, channel)`,
			ts("2026-05-31 23:59:59.999999"), ts("2026-06-01 00:00:00"), ts("2026-06-20 10:00:00"), ts("2026-05-02 10:00:00"),
			ts("2026-05-03 10:00:00"), ts("2026-05-04 10:00:00"), ts("2026-05-05 10:00:00"), ts("2026-05-06 10:00:00")),
			filepath.Join(out, "sessions", "zz-extra.parquet"), ""),
		copyTo(fmt.Sprintf(`SELECT * FROM ((SELECT customer_id, ts, event, quantity FROM %s WHERE customer_id = 'C0000005' ORDER BY ts LIMIT 3) UNION ALL
			SELECT 'C0000005', %s, 'report_created', 1.0::DOUBLE UNION ALL
			SELECT 'C0000005', %s, 'report_created', 2.0 UNION ALL
			SELECT 'Z-unknown', %s, 'report_created', 1.0 UNION ALL
			SELECT NULL, %s, 'report_created', 1.0 UNION ALL
			SELECT 'Z-new', %s, 'report_created', 4.0) ORDER BY ts`,
			src(base, "events"), ts("2026-06-01 00:00:00"), ts("2026-07-01 00:00:00"), ts("2026-04-01 12:00:00"),
			ts("2026-04-02 12:00:00"), ts("2026-05-20 12:00:00")),
			filepath.Join(out, "events", "zz-extra.parquet"), ""),
		copyTo(fmt.Sprintf(`SELECT customer_id, answered_at, nps::BIGINT AS nps, comment FROM (VALUES
			('C0000008', %s, 11, 'great'),
			('Z-new', %s, 3, NULL),
			('Z-unknown', %s, 9, NULL),
			('C0000009', %s, 10, 'after the cutoff')) s(customer_id, answered_at, nps, comment)`,
			ts("2026-05-01 09:00:00"), ts("2026-05-21 09:00:00"), ts("2026-05-22 09:00:00"), ts("2026-06-02 09:00:00")),
			filepath.Join(out, "surveys", "zz-extra.parquet"), ""),
		copyTo(fmt.Sprintf(`SELECT customer_id, ts, amount::DOUBLE AS amount, order_id, margin::DOUBLE AS margin FROM (VALUES
			('Z-new', %s, 99.5, 'o-new-1', 0.4),
			('Z-unknown', %s, 10.0, 'o-unknown', 0.3),
			('C0000010', %s, 25.0, 'o-cutoff', 0.3),
			(NULL, %s, 25.0, 'o-null', 0.3)) s(customer_id, ts, amount, order_id, margin)`,
			ts("2026-02-01 10:00:00"), ts("2026-02-02 10:00:00"), ts("2026-06-01 00:00:00"), ts("2026-02-03 10:00:00")),
			filepath.Join(out, "orders", "zz-extra.parquet"), ""),
	}
}

func diffCases() []diffCase {
	rewrite := func(writer string) func(t *testing.T, node, base, out string) {
		return func(t *testing.T, node, base, out string) {
			nodetest.Run(t, node, "rewrite.mjs", writer, base, out)
		}
	}
	dirty := func(t *testing.T, node, base, out string) {
		copyTables(t, base, out)
		duckdb(t, node, dirtyRows(base, out)...)
	}
	return []diffCase{
		{name: "generated", write: func(t *testing.T, _, base, out string) { copyTables(t, base, out) }},
		{name: "renamed catalogue", write: func(t *testing.T, _, _, out string) { diffBase(t, out, 9876) }},
		{name: "rewritten by DuckDB, dictionary-encoded strings", node: true, write: func(t *testing.T, node, base, out string) {
			rewrite("duckdb")(t, node, base, out)
			if e := encodings(t, node, filepath.Join(out, "events", "*.parquet"), "event"); !strings.Contains(e, "DICTIONARY") {
				t.Fatalf("DuckDB wrote the event names as %s, want a dictionary", e)
			}
		}},
		{name: "rewritten by Polars", node: true, write: rewrite("polars")},
		{name: "Hive folders, rows spread over files", node: true, write: func(t *testing.T, node, base, out string) {
			// Every customer's rows in several files: the history tables
			// cut by month (sessions, events) or year of their
			// timestamp, the customers by a hash of the id, each in
			// key=value folders.
			parts := map[string]string{
				"customers": "hash(customer_id) % 3 AS bucket",
				"sessions":  "year(started_at) AS year, month(started_at) AS month",
				"events":    "year(ts) AS year, month(ts) AS month",
				"tickets":   "year(created_at) AS year",
				"surveys":   "year(answered_at) AS year",
				"orders":    "year(ts) AS year",
			}
			var stmts []string
			for _, tb := range diffTables {
				keys := parts[tb]
				var names []string
				for _, k := range strings.Split(keys, ",") {
					f := strings.Fields(k)
					names = append(names, f[len(f)-1])
				}
				stmts = append(stmts, copyTo(fmt.Sprintf("SELECT *, %s FROM %s", keys, src(base, tb)), filepath.Join(out, tb),
					fmt.Sprintf("PARTITION_BY (%s), FILENAME_PATTERN 'part-{i}'", strings.Join(names, ", "))))
			}
			duckdb(t, node, stmts...)
			files, _ := filepath.Glob(filepath.Join(out, "events", "year=*", "month=*", "*.parquet"))
			cust, _ := filepath.Glob(filepath.Join(out, "customers", "bucket=*", "*.parquet"))
			if len(files) < 10 || len(cust) != 3 {
				t.Fatalf("DuckDB wrote %d event files in Hive folders and %d customers files, want a dozen and 3", len(files), len(cust))
			}
		}},
		{name: "timestamp units and DATE", node: true, write: func(t *testing.T, node, base, out string) {
			// Sessions in milliseconds, events in nanoseconds, tickets
			// in both, orders and surveys in microseconds, signups as
			// DATE: timestamps that are not UTC-adjusted, as DuckDB
			// writes a TIMESTAMP without a time zone. The customers
			// carry two columns the contract does not know, a
			// categorical and a number, which become attributes.
			casts := map[string]string{
				"customers": "* REPLACE (signup_at::DATE AS signup_at, cancelled_at::TIMESTAMP_MS AS cancelled_at), ['gold', 'silver', NULL][(1 + hash(customer_id) % 3)::BIGINT] AS loyalty_tier, (hash(customer_id) % 1000)::DOUBLE AS internal_score",
				"sessions":  "* REPLACE (started_at::TIMESTAMP_MS AS started_at)",
				"events":    "* REPLACE (ts::TIMESTAMP_NS AS ts)",
				"tickets":   "* REPLACE (created_at::TIMESTAMP_NS AS created_at, resolved_at::TIMESTAMP_MS AS resolved_at)",
				"surveys":   "* REPLACE (answered_at::TIMESTAMP AS answered_at)",
				"orders":    "* REPLACE (ts::TIMESTAMP AS ts)",
			}
			var stmts []string
			for _, tb := range diffTables {
				stmts = append(stmts, fmt.Sprintf("CREATE OR REPLACE TABLE x AS SELECT %s FROM %s", casts[tb], src(base, tb)))
				_ = os.MkdirAll(filepath.Join(out, tb), 0o755)
				stmts = append(stmts, copyTo("SELECT * FROM x", filepath.Join(out, tb, "part-0.parquet"), ""))
			}
			duckdb(t, node, stmts...)
		}},
		{name: "plain strings, row groups of 1,000 rows", node: true, write: func(t *testing.T, node, base, out string) {
			var stmts []string
			for _, tb := range diffTables {
				_ = os.MkdirAll(filepath.Join(out, tb), 0o755)
				stmts = append(stmts, copyTo("SELECT * FROM "+src(base, tb), filepath.Join(out, tb, "part-0.parquet"), "DICTIONARY_SIZE_LIMIT 1, ROW_GROUP_SIZE 1000"))
			}
			duckdb(t, node, stmts...)
			for _, c := range [][2]string{{"events", "event"}, {"events", "customer_id"}, {"customers", "plan"}} {
				if e := encodings(t, node, filepath.Join(out, c[0], "*.parquet"), c[1]); e != "PLAIN" {
					t.Fatalf("DuckDB wrote %s.%s as %s, want PLAIN", c[0], c[1], e)
				}
			}
		}},
		{name: "a table of zero rows and a file of zero rows", node: true, write: func(t *testing.T, node, base, out string) {
			copyTables(t, base, out, "tickets")
			_ = os.MkdirAll(filepath.Join(out, "tickets"), 0o755)
			duckdb(t, node,
				copyTo("SELECT * FROM "+src(base, "tickets")+" LIMIT 0", filepath.Join(out, "tickets", "part-0.parquet"), ""),
				copyTo("SELECT * FROM "+src(base, "events")+" LIMIT 0", filepath.Join(out, "events", "part-zero.parquet"), ""))
		}},
		{name: "an empty file", fails: exitInvalid, write: func(t *testing.T, _, base, out string) {
			copyTables(t, base, out)
			if err := os.WriteFile(filepath.Join(out, "events", "part-empty.parquet"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "an empty file listed as optional", env: map[string]string{"CHURN_BAD_ROWS_OPTIONAL_FILES": "events/part-empty.parquet"},
			write: func(t *testing.T, _, base, out string) {
				copyTables(t, base, out)
				if err := os.WriteFile(filepath.Join(out, "events", "part-empty.parquet"), nil, 0o644); err != nil {
					t.Fatal(err)
				}
			}},
		{name: "other column names, mapped", node: true,
			env: map[string]string{"CHURN_COLUMNS": "{events: {customer_id: user_id, event: action, ts: happened_at}, customers: {customer_id: id}}"},
			write: func(t *testing.T, node, base, out string) {
				copyTables(t, base, out, "events", "customers")
				for _, tb := range []string{"events", "customers"} {
					_ = os.MkdirAll(filepath.Join(out, tb), 0o755)
				}
				duckdb(t, node,
					copyTo("SELECT customer_id AS user_id, event AS action, quantity, ts AS happened_at FROM "+src(base, "events"), filepath.Join(out, "events", "part-0.parquet"), ""),
					copyTo("SELECT * RENAME (customer_id AS id) FROM "+src(base, "customers"), filepath.Join(out, "customers", "part-0.parquet"), ""))
			}},
		{name: "optional tables absent", write: func(t *testing.T, _, base, out string) {
			copyTables(t, base, out, "events", "tickets", "surveys")
		}},
		{name: "customers alone", write: func(t *testing.T, _, base, out string) {
			copyTables(t, base, out, "sessions", "events", "tickets", "surveys", "orders")
		}},
		{name: "odd rows under the skip policy", node: true, write: dirty},
		{name: "odd rows under the fail policy", node: true, write: dirty, fails: exitInvalid,
			env: map[string]string{"CHURN_BAD_ROWS_POLICY": "fail"}},
		{name: "bad rows over the limit", node: true, fails: exitInvalid, write: func(t *testing.T, node, base, out string) {
			copyTables(t, base, out, "surveys")
			_ = os.MkdirAll(filepath.Join(out, "surveys"), 0o755)
			duckdb(t, node, copyTo(fmt.Sprintf("SELECT * REPLACE (CASE WHEN hash(customer_id, answered_at) %% 5 = 0 THEN 42 ELSE nps END AS nps) FROM %s",
				src(base, "surveys")), filepath.Join(out, "surveys", "part-0.parquet"), ""))
		}},
		{name: "timestamps as strings", node: true, fails: exitInvalid, write: func(t *testing.T, node, base, out string) {
			copyTables(t, base, out, "events")
			_ = os.MkdirAll(filepath.Join(out, "events"), 0o755)
			duckdb(t, node, copyTo(fmt.Sprintf("SELECT * REPLACE (strftime(ts, '%%Y-%%m-%%dT%%H:%%M:%%S.%%fZ') AS ts) FROM %s", src(base, "events")),
				filepath.Join(out, "events", "part-0.parquet"), ""))
		}},
	}
}

// TestDifferential runs churn and churn-beam (Prism in-process, three
// customer ranges) on every dataset of diffCases: features with two
// training cutoffs, and run with a model trained by churn on the
// generated base. Each gives the same rows and values (the feature rows
// ordered by customer and cutoff; the run's parts in order, and DuckDB's
// reading of both), the same figures (the features' rows, columns,
// cutoffs and catalogue; every figure of the run's manifest and
// summary), or fails with the same exit code and error.
func TestDifferential(t *testing.T) {
	dir := t.TempDir()
	defer emptyTemp(t)()
	churnBin := buildChurn(t, dir)
	base := filepath.Join(dir, "base")
	diffBase(t, base, 0)
	reg := filepath.Join(dir, "models")
	if r := runChurn(t, churnBin, nil, "train", "--data", base, "--registry", reg, "--as-of", diffEnd, "--cutoffs", "6"); r.code != 0 {
		t.Fatalf("churn train: exit %d\n%s", r.code, tail(r.stderr, 3000))
	}
	for i, c := range diffCases() {
		t.Run(c.name, func(t *testing.T) {
			var node string
			if c.node {
				node = nodetest.Node(t, "@duckdb/node-api", "nodejs-polars")
			}
			work := filepath.Join(dir, fmt.Sprintf("case%02d", i))
			ds := filepath.Join(work, "data")
			if err := os.MkdirAll(ds, 0o755); err != nil {
				t.Fatal(err)
			}
			c.write(t, node, base, ds)
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			asOf := c.asOf
			if asOf == "" {
				asOf = diffEnd
			}
			diffFeatures(t, churnBin, c, ds, asOf, work)
			diffRun(t, churnBin, c, ds, asOf, reg, work)
		})
	}
}

// diffFeatures compares churn features with churn-beam features on ds.
func diffFeatures(t *testing.T, churnBin string, c diffCase, ds, asOf, work string) {
	t.Helper()
	want := filepath.Join(work, "churn.parquet")
	r := runChurn(t, churnBin, c.env, "features", "--json", "--data", ds, "--as-of", asOf, "--cutoffs", "2", "--out", want)
	out := filepath.Join(work, "beam")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), "features", []string{"--runner=prism", "--endpoint=", "--json", "--data", ds, "--as-of", asOf,
		"--cutoffs", "2", "--ranges", "3", "--out", out}, &stdout, &stderr)
	if sameFailure(t, "features", c, r, code, stderr.String()) {
		if _, err := os.Stat(out); err == nil {
			t.Errorf("churn-beam features failed and left %s", out)
		}
		return
	}
	n := sameTable(t, out, want)
	sameInDuckDB(t, filepath.Join(out, "part-*.parquet"), want)
	var ws jobs.FeaturesSummary
	if err := json.Unmarshal([]byte(r.stdout), &ws); err != nil {
		t.Fatalf("churn features --json: %v: %s", err, r.stdout)
	}
	var gs struct {
		Rows, Features int
		Cutoffs        []string
		Labelled       bool
	}
	if err := json.Unmarshal(stdout.Bytes(), &gs); err != nil {
		t.Fatalf("churn-beam features --json: %v: %s", err, stdout.String())
	}
	if g, w := fmt.Sprint(gs.Rows, gs.Features, gs.Cutoffs, gs.Labelled), fmt.Sprint(ws.Rows, ws.Features, ws.Cutoffs, ws.Labelled); g != w {
		t.Errorf("rows, features, cutoffs, labelled: churn-beam %s, churn %s", g, w)
	}
	b, err := os.ReadFile(filepath.Join(out, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m jobs.FeaturesManifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	gc, _ := json.Marshal(m.Catalog)
	wc, _ := json.Marshal(ws.Catalog)
	if !bytes.Equal(gc, wc) {
		t.Errorf("catalogue: churn-beam %s\nchurn %s", gc, wc)
	}
	t.Logf("features: %d rows identical", n)
}

// diffRun compares churn run with churn-beam run on ds, both with the
// promoted model of reg.
func diffRun(t *testing.T, churnBin string, c diffCase, ds, asOf, reg, work string) {
	t.Helper()
	r := runChurn(t, churnBin, c.env, "run", "--json", "--data", ds, "--as-of", asOf, "--registry", reg, "--out", filepath.Join(work, "churn-out"))
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), "run", []string{"--runner=prism", "--endpoint=", "--json", "--data", ds, "--as-of", asOf,
		"--ranges", "3", "--registry", reg, "--out", filepath.Join(work, "beam-out")}, &stdout, &stderr)
	if sameFailure(t, "run", c, r, code, stderr.String()) {
		if left, _ := filepath.Glob(filepath.Join(work, "beam-out", "as_of=*")); len(left) > 0 {
			t.Errorf("churn-beam run failed and left %v", left)
		}
		return
	}
	var want, got jobs.RunSummary
	if err := json.Unmarshal([]byte(r.stdout), &want); err != nil {
		t.Fatalf("churn run --json: %v: %s", err, r.stdout)
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("churn-beam run --json: %v: %s", err, stdout.String())
	}
	sameRun(t, &got, &want, 3)
	t.Logf("run: %d customers scored alike", got.Customers)
}

// sameFailure fails the test unless churn (r) and churn-beam (exit code
// and stderr) both succeeded, or both failed as c says: with the same
// exit code and churn's error in churn-beam's message. It says whether
// they failed.
func sameFailure(t *testing.T, cmd string, c diffCase, r churnResult, code int, stderr string) bool {
	t.Helper()
	if c.fails == 0 {
		if r.code != 0 {
			t.Fatalf("churn %s: exit %d\n%s", cmd, r.code, tail(r.stderr, 3000))
		}
		if code != 0 {
			t.Fatalf("churn-beam %s: exit %d, churn succeeded\n%s", cmd, code, tail(stderr, 3000))
		}
		return false
	}
	if r.code != c.fails {
		t.Fatalf("churn %s: exit %d, want %d\n%s", cmd, r.code, c.fails, tail(r.stderr, 3000))
	}
	msg := r.errorMessage()
	if msg == "" {
		t.Fatalf("churn %s: exit %d without an error logged\n%s", cmd, r.code, tail(r.stderr, 3000))
	}
	if code != r.code || !strings.Contains(stderr, msg) {
		t.Errorf("churn-beam %s: exit %d\n%s\nchurn: exit %d, %q", cmd, code, tail(stderr, 3000), r.code, msg)
	}
	t.Logf("%s: both exit %d: %s", cmd, r.code, msg)
	return true
}

// churnResult is what a churn command did.
type churnResult struct {
	code           int
	stdout, stderr string
}

// errorMessage returns the error of the command's failure, as its JSON
// log says it.
func (r churnResult) errorMessage() string {
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		var l struct {
			Level, Error string
		}
		if json.Unmarshal([]byte(lines[i]), &l) == nil && l.Level == "error" && l.Error != "" {
			return l.Error
		}
	}
	return ""
}

// buildChurn builds the churn binary of the root module into dir.
func buildChurn(t *testing.T, dir string) string {
	t.Helper()
	bin := filepath.Join(dir, "churn")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/churn")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/churn: %v\n%s", err, out)
	}
	return bin
}

// runChurn runs the churn binary with args, its environment with env
// added.
func runChurn(t *testing.T, bin string, env map[string]string, args ...string) churnResult {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = os.Environ()
	for k, v := range env {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return churnResult{0, stdout.String(), stderr.String()}
	case errors.As(err, &ee):
		return churnResult{ee.ExitCode(), stdout.String(), stderr.String()}
	}
	t.Fatalf("churn %s: %v", strings.Join(args, " "), err)
	return churnResult{}
}

package main

import (
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"testing"

	"churn/data"
	"churn/data/runs"
	"churn/internal/nodetest"
)

// readers runs check.mjs of package nodetest, the driver of the Parquet
// readers that share no code with ours (DuckDB, and Arrow's Rust reader in
// parquet-wasm), with args, and decodes its JSON into out. .ci/run installs
// them with npm; without them the test says loudly that it was skipped
// (and fails under CI).
func readers(t *testing.T, out any, args ...string) {
	t.Helper()
	node := nodetest.Node(t, "@duckdb/node-api", "parquet-wasm")
	b := nodetest.Run(t, node, "check.mjs", args...)
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("check.mjs %v printed %q: %v", args, b, err)
	}
}

// TestDuckDBReadsRunOutput reads the part file of a run with DuckDB, a
// Parquet reader that shares no code with ours, and checks what it sees
// against the contract.
func TestDuckDBReadsRunOutput(t *testing.T) {
	run := sampleRun(t)
	part := filepath.Join(runs.Dir(filepath.Join(run, "churn-out"), "2026-11-01"), runs.PartFile)
	var got struct {
		Summary struct {
			N, IDs     string
			PMin, PMax float64
			VaR        float64 `json:"var"`
			VaRCheck   float64 `json:"var_check"`
		}
		Segments []struct {
			Segment string
			N       string
		}
		Types map[string]string
	}
	readers(t, &got, "part", part)
	n, _ := strconv.Atoi(got.Summary.N)
	if n == 0 || got.Summary.IDs != got.Summary.N {
		t.Errorf("duckdb sees %s rows and %s distinct ids, want one row per customer", got.Summary.N, got.Summary.IDs)
	}
	if got.Summary.PMin < 0 || got.Summary.PMax > 1 || got.Summary.PMax <= got.Summary.PMin {
		t.Errorf("duckdb sees probabilities in [%v, %v], want a spread inside [0, 1]", got.Summary.PMin, got.Summary.PMax)
	}
	if math.Abs(got.Summary.VaR-got.Summary.VaRCheck) > 1e-6*math.Max(1, got.Summary.VaR) {
		t.Errorf("sum of value_at_risk %v, sum of probability x value %v", got.Summary.VaR, got.Summary.VaRCheck)
	}
	total := 0
	for _, s := range got.Segments {
		k, _ := strconv.Atoi(s.N)
		total += k
		found := false
		for _, name := range runs.Segments {
			found = found || name == s.Segment
		}
		if !found {
			t.Errorf("duckdb sees segment %q, not one of %v", s.Segment, runs.Segments)
		}
	}
	if total != n {
		t.Errorf("segments count %d customers, the file has %d", total, n)
	}
	wantTypes := map[string][]string{
		"customer_id": {"VARCHAR"}, "as_of": {"DATE"}, // from the folder's Hive key
		"churn_probability": {"DOUBLE"}, "churn_risk": {"VARCHAR"}, "predicted_value": {"DOUBLE"},
		"value_tier": {"VARCHAR"}, "value_at_risk": {"DOUBLE"}, "engagement_score": {"DOUBLE"},
		"segment": {"VARCHAR"}, "reasons": {"VARCHAR"}, "reason_codes": {"VARCHAR"}, "model_version": {"VARCHAR"},
	}
	for col, types := range wantTypes {
		ok := false
		for _, ty := range types {
			ok = ok || got.Types[col] == ty
		}
		if !ok {
			t.Errorf("duckdb types column %s as %q, want one of %v", col, got.Types[col], types)
		}
	}
}

// readResult is what check.mjs says of one file in its files mode.
type readResult struct {
	Path   string
	DuckDB struct {
		Rows      int `json:"rows"`
		RowGroups int `json:"row_groups"`
		Error     string
	} `json:"duckdb"`
	ArrowRS struct {
		Rows    int `json:"rows"`
		Columns int `json:"columns"`
		Error   string
	} `json:"arrow_rs"`
}

// TestForeignReadersOpenOutputs writes a file of several row groups with
// every writer churn uses (the table writer of the generator and the
// converters; WriteParquet, of scores, lists and one-cutoff feature
// tables; ParquetStream, Arrow's, of feature tables with cutoffs), and
// reads each with DuckDB and with Arrow's Rust reader, which refuses files
// whose row group 0 has no ordinal; then the outputs of the commands
// themselves: a run's part file, a feature table with cutoffs and a list.
func TestForeignReadersOpenOutputs(t *testing.T) {
	const n, per = 2500, 1000 // three row groups
	dir := t.TempDir()
	ids := make([]string, n)
	xs := make([]float64, n)
	ts := make([]int64, n)
	sessions := make([]data.Session, n)
	for i := range n {
		ids[i] = fmt.Sprintf("C%05d", i%311)
		xs[i] = float64(i) / 3
		ts[i] = handAsOf.UnixNano() - int64(i)*1e9
		sessions[i] = data.Session{CustomerID: ids[i], StartedAt: ts[i], DurationS: xs[i], Pages: 2, Channel: "app"}
	}
	cols := []data.OutColumn{
		{Name: "customer_id", Kind: data.String, Strings: ids},
		{Name: "churn_probability", Kind: data.Float, Floats: xs},
		{Name: "cutoff", Kind: data.Timestamp, Times: ts},
		{Name: "day", Kind: data.Timestamp, Date: true, Times: ts},
	}
	opt := data.WriteOptions{RowGroupRows: per}
	want := map[string]int{} // path -> rows
	table := filepath.Join(dir, "table.parquet")
	tw, err := data.NewTableWriter[data.Session](table, opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := tw.Write(sessions); err != nil {
		t.Fatal(err)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	want[table] = n
	single := filepath.Join(dir, "writeparquet.parquet")
	if err := data.WriteParquet(single, cols, opt); err != nil {
		t.Fatal(err)
	}
	want[single] = n
	stream := filepath.Join(dir, "stream.parquet")
	ps, err := data.CreateParquetStream(stream, cols, opt)
	if err != nil {
		t.Fatal(err)
	}
	if err := ps.Write(cols); err != nil {
		t.Fatal(err)
	}
	if err := ps.Close(); err != nil {
		t.Fatal(err)
	}
	want[stream] = n
	multi := map[string]bool{table: true, single: true, stream: true}

	// The commands' own outputs.
	run := sampleRun(t)
	part := filepath.Join(runs.Dir(filepath.Join(run, "churn-out"), "2026-11-01"), runs.PartFile)
	partCols, err := data.ReadColumns(part)
	if err != nil {
		t.Fatal(err)
	}
	want[part] = partCols[0].Len()
	feat := filepath.Join(dir, "features.parquet")
	if r := churn(t, dir, "features", "--as-of", "2026-11-01", "--cutoffs", "3", "--out", feat); r.code != 0 {
		t.Fatalf("churn features: %s", r)
	}
	featCols, err := data.ReadColumns(feat)
	if err != nil {
		t.Fatal(err)
	}
	want[feat] = featCols[0].Len()
	list := filepath.Join(dir, "list.parquet")
	if r := churn(t, dir, "lists", "--scores", filepath.Join(run, "churn-out"), "--format", "parquet", "--out", list); r.code != 0 {
		t.Fatalf("churn lists: %s", r)
	}
	listCols, err := data.ReadColumns(list)
	if err != nil {
		t.Fatal(err)
	}
	want[list] = listCols[0].Len()

	paths := make([]string, 0, len(want))
	for p := range want {
		paths = append(paths, p)
	}
	var got []readResult
	readers(t, &got, append([]string{"files"}, paths...)...)
	if len(got) != len(paths) {
		t.Fatalf("check.mjs read %d files, want %d", len(got), len(paths))
	}
	for _, r := range got {
		name := filepath.Base(r.Path)
		if r.DuckDB.Error != "" || r.DuckDB.Rows != want[r.Path] {
			t.Errorf("%s: DuckDB reads %d rows (error %q), want %d", name, r.DuckDB.Rows, r.DuckDB.Error, want[r.Path])
		}
		if r.ArrowRS.Error != "" || r.ArrowRS.Rows != want[r.Path] {
			t.Errorf("%s: arrow-rs reads %d rows (error %q), want %d", name, r.ArrowRS.Rows, r.ArrowRS.Error, want[r.Path])
		}
		if multi[r.Path] && r.DuckDB.RowGroups < 2 {
			t.Errorf("%s: %d row groups, want several (the case arrow-rs checks)", name, r.DuckDB.RowGroups)
		}
	}
}

// TestDuckDBReadsScoresFolder reads a scores folder of two runs the way
// data teams do, with Hive partitioning: as_of comes from the folder
// names, as a DATE, with no second as_of inside the files to conflict.
func TestDuckDBReadsScoresFolder(t *testing.T) {
	run := runs.Dir(filepath.Join(sampleRun(t), "churn-out"), "2026-11-01")
	scores := t.TempDir()
	copyTree(t, run, runs.Dir(scores, "2026-11-01"))
	copyTree(t, run, runs.Dir(scores, "2026-10-01"))
	cols, err := data.ReadColumns(filepath.Join(run, runs.PartFile))
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Rows  string            `json:"rows"`
		Types map[string]string `json:"types"`
		AsOf  []string          `json:"as_of"`
	}
	readers(t, &got, "folder", scores)
	if n, _ := strconv.Atoi(got.Rows); n != 2*cols[0].Len() {
		t.Errorf("duckdb reads %s rows from two runs, want %d", got.Rows, 2*cols[0].Len())
	}
	if got.Types["as_of"] != "DATE" {
		t.Errorf("duckdb types as_of %q, want DATE from the folder names (types %v)", got.Types["as_of"], got.Types)
	}
	if fmt.Sprint(got.AsOf) != "[2026-10-01 2026-11-01]" {
		t.Errorf("duckdb sees as_of %v, want [2026-10-01 2026-11-01]", got.AsOf)
	}
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"churn/data"
	"churn/data/sample"
	"churn/jobs"
)

// oneFileTables writes a copy of the embedded sample into dir whose events
// and sessions tables are each one file of groups row groups, with a null
// customer id in row 3 of the sessions' middle row group. It returns the
// copy's folder, the sessions file and its rows per row group.
func oneFileTables(t *testing.T, dir string, groups int) (string, data.File, int) {
	t.Helper()
	src, err := sample.Materialize(filepath.Join(dir, "sample"))
	if err != nil {
		t.Fatal(err)
	}
	ds, err := data.Discover(src)
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "data")
	for _, tab := range data.Tables {
		if tab == data.Events || tab == data.Sessions {
			continue
		}
		for _, f := range ds.Files[tab] {
			b, err := os.ReadFile(f.Path)
			if err != nil {
				t.Fatal(err)
			}
			dst := filepath.Join(root, filepath.FromSlash(f.Rel))
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(dst, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	events := readRows[data.Event](t, ds.Files[data.Events])
	writeRows(t, filepath.Join(root, "events", "events.parquet"), events, (len(events)+groups-1)/groups)
	sessions := readRows[data.Session](t, ds.Files[data.Sessions])
	per := (len(sessions) + groups - 1) / groups
	sessions[groups/2*per+3].CustomerID = ""
	writeRows(t, filepath.Join(root, "sessions", "sessions.parquet"), sessions, per)
	if ds, err = data.Discover(root); err != nil {
		t.Fatal(err)
	}
	return root, ds.Files[data.Sessions][0], per
}

// readRows returns every row of files, in order, its strings copied out
// of the reader's buffers.
func readRows[T data.Row](t *testing.T, files []data.File) []T {
	t.Helper()
	var rows []T
	for _, f := range files {
		if _, err := data.ReadFile(context.Background(), f, data.ReadOptions{}, func(b []T) error {
			for _, r := range b {
				rows = append(rows, cloneStrings(r))
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	return rows
}

// writeRows writes rows as the file path, in row groups of per rows.
func writeRows[T data.Row](t *testing.T, path string, rows []T, per int) {
	t.Helper()
	w, err := data.NewTableWriter[T](path, data.WriteOptions{RowGroupRows: per})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// readManifest reads the manifest of the churn-beam table in dir.
func readManifest(t *testing.T, dir string) jobs.FeaturesManifest {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m jobs.FeaturesManifest
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// TestFeaturesRowGroupRanges: on the sample with its events and sessions
// each one file of 24 row groups, churn-beam features on Prism
// in-process, with a fold size that splits each into several ranges of
// row groups, writes exactly the rows of churn features (read by our
// reader and by DuckDB) and the manifest of the same job with every file
// one fold (inputs one per file, rows read, skipped and fixed, the bad
// session row counted once); under the fail policy it stops with an
// error that names the file, the row group and the row of the bad row.
func TestFeaturesRowGroupRanges(t *testing.T) {
	dir := t.TempDir()
	defer emptyTemp(t)()
	const groups = 24
	ds, sessions, per := oneFileTables(t, dir, groups)
	layout, err := data.RowGroupsOf(context.Background(), sessions)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, g := range layout {
		total += g.Bytes
	}
	want := filepath.Join(dir, "churn.parquet")
	churnFeatures(t, ds, sample.End, want, 3)
	args := func(out string) []string {
		return []string{"--runner=prism", "--endpoint=", "--data", ds, "--as-of", sample.End, "--cutoffs", "3", "--ranges", "3", "--out", out}
	}
	def := jobs.FoldBytes
	defer func() { jobs.FoldBytes = def }()

	jobs.FoldBytes = total / 5
	cfg := jobs.DefaultConfig()
	cfg.Data = ds
	if cfg.AsOf, err = jobs.ParseDate(sample.End); err != nil {
		t.Fatal(err)
	}
	plan, err := jobs.PlanFeatures(context.Background(), cfg, jobs.Env{Log: zerolog.Nop()}, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Folds) < len(plan.Files)+2*3 {
		t.Fatalf("%d folds of %d files: the events and sessions files not split in about 5 each", len(plan.Folds), len(plan.Files))
	}
	split := filepath.Join(dir, "split")
	beamFeatures(t, args(split)...)
	n := sameTable(t, split, want)
	sameInDuckDB(t, filepath.Join(split, "part-*.parquet"), want)
	t.Logf("%d rows identical", n)

	jobs.FoldBytes = def // every file one fold
	whole := filepath.Join(dir, "whole")
	beamFeatures(t, args(whole)...)
	got, w := readManifest(t, split), readManifest(t, whole)
	for _, k := range []struct {
		name      string
		got, want any
	}{{"rows", got.Rows, w.Rows}, {"inputs", got.Inputs, w.Inputs}, {"rows read", got.RowsRead, w.RowsRead},
		{"rows skipped", got.RowsSkipped, w.RowsSkipped}, {"values fixed", got.ValuesFixed, w.ValuesFixed},
		{"features", got.Features, w.Features}, {"families", got.Families, w.Families}, {"catalog", got.Catalog, w.Catalog}} {
		if fmt.Sprintf("%+v", k.got) != fmt.Sprintf("%+v", k.want) {
			t.Errorf("split manifest: %s %+v, one fold per file %+v", k.name, k.got, k.want)
		}
	}
	if got.RowsSkipped["sessions/null_customer_id"] != 1 || got.Rows != n {
		t.Errorf("split manifest: %d rows, skipped %v; want %d rows, one sessions/null_customer_id", got.Rows, got.RowsSkipped, n)
	}

	jobs.FoldBytes = total / 5
	t.Setenv("CHURN_BAD_ROWS_POLICY", "fail")
	var stdout, stderr bytes.Buffer
	where := fmt.Sprintf("%s: row group %d, row %d,", sessions.Rel, groups/2, groups/2*per+3)
	if code := run(context.Background(), "features", args(filepath.Join(dir, "fail")), &stdout, &stderr); code == exitOK || !strings.Contains(stderr.String(), where) {
		t.Errorf("under the fail policy: exit %d, want an error naming %q\n%s", code, where, tail(stderr.String(), 4000))
	}
	if _, err := os.Stat(filepath.Join(dir, "fail")); err == nil {
		t.Errorf("a failed job wrote its table")
	}
}

// cloneStrings copies the strings of a row out of the reader's buffers,
// which the next batch overwrites.
func cloneStrings[T data.Row](r T) T {
	v := reflect.ValueOf(&r).Elem()
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.String {
			f.SetString(strings.Clone(f.String()))
		}
	}
	return r
}

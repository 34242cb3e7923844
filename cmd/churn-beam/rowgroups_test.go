package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rs/zerolog"

	"churn/data"
	"churn/data/sample"
	"churn/data/tabletest"
	"churn/jobs"
)

// oneFileTables writes a copy of the embedded sample into dir whose events
// and sessions tables are each one file of groups row groups, with a null
// customer id in row 3 of the sessions' middle row group
// (tabletest.OneFileTables). It returns the copy's folder, the sessions
// file and its rows per row group.
func oneFileTables(t *testing.T, dir string, groups int) (string, data.File, int) {
	t.Helper()
	src, err := sample.Materialize(filepath.Join(dir, "sample"))
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(dir, "data")
	sessions, per := tabletest.OneFileTables(t, src, root, groups)
	return root, sessions, per
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

package jobs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"churn/data"
	"churn/data/runs"
	"churn/features"
)

// TestDistributedFeatures: the steps of a distributed features job, run
// here in one process (each history file folded by its own fork, its
// accumulators encoded per customer range, decoded and merged per range
// in reverse file order, each range written as one part), give the rows
// and values of `churn features`, and the manifest counts every input.
func TestDistributedFeatures(t *testing.T) {
	cfg, env := sampleConfig(t)
	ctx := context.Background()
	dir := t.TempDir()
	single := filepath.Join(dir, "single.parquet")
	sum, err := Features(ctx, cfg, env, single, 3)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := PlanFeatures(ctx, cfg, env, 3)
	if err != nil {
		t.Fatal(err)
	}
	enc, err := plan.Encode()
	if err != nil {
		t.Fatal(err)
	}
	if plan, err = DecodeFeaturesPlan(enc); err != nil {
		t.Fatal(err)
	}
	base, err := plan.Base(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const ranges = 3
	partials := make([][][]byte, ranges)
	var results []FileResult
	for k := range plan.Files {
		fork := base.Fork()
		res, err := plan.FoldFile(ctx, fork, k, zerolog.Nop())
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, res)
		for r := range ranges {
			lo, hi := plan.Range(r, ranges)
			p, err := fork.EncodePartial(nil, lo, hi)
			if err != nil {
				t.Fatal(err)
			}
			partials[r] = append(partials[r], p)
		}
	}
	tmp := TempFeaturesDir(filepath.Join(dir, "dist"), "test")
	var parts []FeaturesPart
	var last *features.Frame
	for r := range ranges {
		lo, hi := plan.Range(r, ranges)
		merged := base.Fork()
		for _, p := range slices.Backward(partials[r]) {
			d, err := base.DecodePartial(p)
			if err != nil {
				t.Fatal(err)
			}
			if err := merged.Merge(d); err != nil {
				t.Fatal(err)
			}
		}
		name := fmt.Sprintf("part-%05d.parquet", r)
		rows, f, err := plan.WriteRange(filepath.Join(tmp, name), merged, lo, hi)
		if err != nil {
			t.Fatal(err)
		}
		parts, last = append(parts, FeaturesPart{File: name, Rows: rows}), f
	}
	slices.Reverse(results)
	m, err := plan.Check(results)
	if err != nil {
		t.Fatal(err)
	}
	m.Parts, m.Features, m.Families = parts, last.Names, last.Families
	if err := CommitFeatures(filepath.Join(dir, "dist"), tmp, m); err != nil {
		t.Fatal(err)
	}
	if m.Rows != sum.Rows {
		t.Fatalf("distributed table has %d rows, churn features %d", m.Rows, sum.Rows)
	}
	if len(m.Inputs) != len(plan.CustomerFiles)+len(plan.Files) || m.RowsRead[data.Events] == 0 {
		t.Fatalf("manifest inputs %d, rows read %v", len(m.Inputs), m.RowsRead)
	}
	want := readSorted(t, single)
	var got [][]string
	var cols []string
	for _, pt := range parts {
		tab, err := data.ReadFeatureTableParquet(filepath.Join(dir, "dist", pt.File))
		if err != nil {
			t.Fatal(err)
		}
		cols = tab.Columns
		got = append(got, tab.Rows...)
	}
	sortRows(got)
	if !slices.Equal(cols, want.Columns) {
		t.Fatalf("columns differ:\n%v\n%v", cols, want.Columns)
	}
	if len(got) != len(want.Rows) {
		t.Fatalf("%d rows, want %d", len(got), len(want.Rows))
	}
	for i := range got {
		if !slices.Equal(got[i], want.Rows[i]) {
			t.Fatalf("row %d differs:\n%s\n%s", i, strings.Join(got[i], ","), strings.Join(want.Rows[i], ","))
		}
	}
}

func readSorted(t *testing.T, path string) *data.FeatureTable {
	t.Helper()
	tab, err := data.ReadFeatureTableParquet(path)
	if err != nil {
		t.Fatal(err)
	}
	sortRows(tab.Rows)
	return tab
}

// sortRows orders feature table rows by customer id, then cutoff.
func sortRows(rows [][]string) {
	slices.SortFunc(rows, func(a, b []string) int {
		if c := strings.Compare(a[0], b[0]); c != 0 {
			return c
		}
		return strings.Compare(a[1], b[1])
	})
}

// inProcessFrame is a BuildFrame that runs a distributed run's steps in
// this process: each history file folded by its own fork, merged per
// customer range with MergeRange in reverse file order, each range built
// with BuildRange, the ranges assembled.
func inProcessFrame(ranges int) BuildFrame {
	return func(ctx context.Context, plan *FeaturesPlan, tmp string) (*features.Frame, []FileResult, error) {
		base, err := plan.Base(ctx)
		if err != nil {
			return nil, nil, err
		}
		var forks []*features.Builder
		var results []FileResult
		for k := range plan.Files {
			fork := base.Fork()
			res, err := plan.FoldFile(ctx, fork, k, zerolog.Nop())
			if err != nil {
				return nil, nil, err
			}
			forks, results = append(forks, fork), append(results, res)
		}
		perRange := make([][]*features.Frame, ranges)
		for r := range ranges {
			lo, hi := plan.Range(r, ranges)
			merged := base.Fork()
			for _, f := range slices.Backward(forks) {
				if err := merged.MergeRange(f, lo, hi); err != nil {
					return nil, nil, err
				}
			}
			if perRange[r], err = plan.BuildRange(merged, lo, hi); err != nil {
				return nil, nil, err
			}
		}
		f, err := plan.Assemble(perRange)
		return f, results, err
	}
}

// TestRunDistributed: RunDistributed, with the frame built from the
// distributed steps, writes the run Run writes, byte for byte, also when
// the pass builds an earlier run's cutoff to evaluate it, and evaluates
// that run alike; it leaves no temporary folder.
func TestRunDistributed(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: trains and runs on the sample")
	}
	cfg, env := sampleConfig(t)
	ctx := context.Background()
	if _, err := Train(ctx, cfg, env); err != nil {
		t.Fatalf("train: %v", err)
	}
	var parts [2][]byte
	var evals [2][]runs.Evaluation
	for i, out := range []string{"single", "distributed"} {
		c := cfg
		c.Out = filepath.Join(t.TempDir(), out)
		early := c
		early.AsOf = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
		if _, err := Run(ctx, early, env); err != nil {
			t.Fatalf("run as of 2026-07-01: %v", err)
		}
		var sum *RunSummary
		var err error
		if i == 0 {
			sum, err = Run(ctx, c, env)
		} else {
			sum, err = RunDistributed(ctx, c, env, inProcessFrame(3))
		}
		if err != nil {
			t.Fatalf("%s run: %v", out, err)
		}
		if parts[i], err = os.ReadFile(filepath.Join(sum.Output, runs.PartFile)); err != nil {
			t.Fatal(err)
		}
		r, err := runs.Open(c.Out, sum.AsOf)
		if err != nil {
			t.Fatal(err)
		}
		evals[i] = r.Manifest.Evaluations
		if left, _ := filepath.Glob(filepath.Join(c.Out, ".tmp-*")); len(left) > 0 {
			t.Errorf("%s run left %v", out, left)
		}
	}
	if string(parts[0]) != string(parts[1]) {
		t.Errorf("the distributed run's part file differs from Run's")
	}
	if len(evals[1]) != 1 || fmt.Sprint(evals[0]) != fmt.Sprint(evals[1]) {
		t.Errorf("earlier run evaluated %v, Run %v", evals[1], evals[0])
	}
}

package jobs

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
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
// customer range into a RangeFork with MergeRange in reverse file order,
// each range built with BuildRange, the ranges assembled; with score, the
// rows at the run's cutoff scored per range as a worker does (PeerCountOf,
// PeerShare, Peers, Scorer.Score, ConcatScores).
func inProcessFrame(ranges int, score bool) BuildFrame {
	return func(ctx context.Context, plan *FeaturesPlan, tmp string) (*features.Frame, *Scores, []FileResult, error) {
		base, err := plan.Base(ctx)
		if err != nil {
			return nil, nil, nil, err
		}
		var forks []*features.Builder
		var results []FileResult
		for k := range plan.Files {
			fork := base.Fork()
			res, err := plan.FoldFile(ctx, fork, k, zerolog.Nop())
			if err != nil {
				return nil, nil, nil, err
			}
			forks, results = append(forks, fork), append(results, res)
		}
		perRange := make([][]*features.Frame, ranges)
		counts := make([]PeerCount, ranges)
		for r := range ranges {
			lo, hi := plan.Range(r, ranges)
			merged, err := base.RangeFork(lo, hi)
			if err != nil {
				return nil, nil, nil, err
			}
			for _, f := range slices.Backward(forks) {
				if err := merged.MergeRange(f, lo, hi); err != nil {
					return nil, nil, nil, err
				}
			}
			if perRange[r], err = plan.BuildRange(merged, lo, hi); err != nil {
				return nil, nil, nil, err
			}
			counts[ranges-1-r] = PeerCountOf(r, perRange[r][len(plan.Cutoffs)-1])
		}
		f, err := plan.Assemble(perRange)
		if err != nil || !score {
			return f, nil, results, err
		}
		shares := make([][]float64, ranges)
		for r := range ranges {
			if shares[r], err = PeerShare(r, perRange[r][len(plan.Cutoffs)-1], counts); err != nil {
				return nil, nil, nil, err
			}
		}
		peer := Peers(f.Names, shares)
		sc, err := plan.Scorer()
		if err != nil {
			return nil, nil, nil, err
		}
		scores := make([]*Scores, ranges)
		for r := range ranges {
			if scores[r], err = sc.Score(ctx, perRange[r][len(plan.Cutoffs)-1], peer); err != nil {
				return nil, nil, nil, err
			}
		}
		all, err := ConcatScores(scores)
		return f, all, results, err
	}
}

// TestPeerShares: the typical values from the shares of customer ranges,
// cut at random, are those of the whole population's sample, whether the
// sample takes every candidate or every k-th, among active rows or, with
// none active, every row; NaN values, an empty range and a one-row range
// included.
func TestPeerShares(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 5))
	names := []string{"core_events_7d", "sessions_30d", "plan", "days_since_core_event", "tickets_90d"}
	for _, tc := range []struct {
		rows   int
		active float64
	}{{1, 1}, {10, 0.5}, {5000, 0}, {45000, 0.9}, {70000, 0.3}, {70000, 0}} {
		f := &features.Frame{Names: names}
		for i := range tc.rows {
			f.CustomerID = append(f.CustomerID, fmt.Sprintf("c%06d", i))
			st := features.Churned
			if rng.Float64() < tc.active {
				st = features.Active
			}
			f.Status = append(f.Status, st)
			for range names {
				v := float64(rng.IntN(50))
				if rng.IntN(10) == 0 {
					v = math.NaN()
				}
				f.X = append(f.X, v)
			}
		}
		anyActive := slices.Contains(f.Status, features.Active)
		cand := features.PeerCandidates(f, anyActive)
		stride := features.PeerStride(len(cand))
		var sample []int
		for k := 0; k < len(cand); k += stride {
			sample = append(sample, cand[k])
		}
		want := features.PeerValues(names, len(sample), func(r, j int) float64 { return f.At(sample[r], j) })
		for _, ranges := range []int{1, 2, 7} {
			cuts := []int{0}
			for range ranges - 1 {
				cuts = append(cuts, rng.IntN(tc.rows+1))
			}
			cuts = append(cuts, tc.rows)
			slices.Sort(cuts)
			pieces := make([]*features.Frame, ranges)
			counts := make([]PeerCount, ranges)
			for r := range ranges {
				lo, hi := cuts[r], cuts[r+1]
				pieces[r] = &features.Frame{Names: names, CustomerID: f.CustomerID[lo:hi], Status: f.Status[lo:hi],
					X: f.X[lo*len(names) : hi*len(names)]}
				counts[(r+3)%ranges] = PeerCountOf(r, pieces[r])
			}
			shares := make([][]float64, ranges)
			for r := range ranges {
				var err error
				if shares[r], err = PeerShare(r, pieces[r], counts); err != nil {
					t.Fatal(err)
				}
			}
			got := Peers(names, shares)
			for j := range names {
				if math.Float64bits(got[j]) != math.Float64bits(want[j]) {
					t.Fatalf("%d rows, %d ranges (cuts %v), stride %d, %s: %v, want %v", tc.rows, ranges, cuts, stride, names[j], got[j], want[j])
				}
			}
		}
	}
	if _, err := PeerShare(0, &features.Frame{}, []PeerCount{{Range: 0}, {Range: 0}}); err == nil {
		t.Error("PeerShare with a range counted twice: no error")
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
	builds := []struct {
		name  string
		build BuildFrame
	}{{"single", nil}, {"distributed", inProcessFrame(3, false)}, {"distributed, scored per range", inProcessFrame(3, true)},
		{"distributed, scored in 1 range", inProcessFrame(1, true)}, {"distributed, scored in 7 ranges", inProcessFrame(7, true)}}
	parts := make([][]byte, len(builds))
	evals := make([][]runs.Evaluation, len(builds))
	for i, bd := range builds {
		out := fmt.Sprintf("out%d", i)
		c := cfg
		c.Out = filepath.Join(t.TempDir(), out)
		early := c
		early.AsOf = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
		if _, err := Run(ctx, early, env); err != nil {
			t.Fatalf("run as of 2026-07-01: %v", err)
		}
		var sum *RunSummary
		var err error
		if bd.build == nil {
			sum, err = Run(ctx, c, env)
		} else {
			sum, err = RunDistributed(ctx, c, env, bd.build)
		}
		if err != nil {
			t.Fatalf("%s run: %v", bd.name, err)
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
			t.Errorf("%s run left %v", bd.name, left)
		}
	}
	for i, bd := range builds[1:] {
		if string(parts[0]) != string(parts[i+1]) {
			t.Errorf("%s: the run's part file differs from Run's", bd.name)
		}
		if len(evals[i+1]) != 1 || fmt.Sprint(evals[0]) != fmt.Sprint(evals[i+1]) {
			t.Errorf("%s: earlier run evaluated %v, Run %v", bd.name, evals[i+1], evals[0])
		}
	}
}

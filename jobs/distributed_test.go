package jobs

import (
	"context"
	"errors"
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
	"churn/data/sample"
	"churn/data/tabletest"
	"churn/features"
	"churn/jobs/segment"
)

// TestDistributedFeatures: the steps of a distributed features job, run
// here in one process (each history file folded by its own fork, its
// accumulators encoded per customer range, decoded and merged per range
// in reverse file order, each range written as one part), give the rows
// and values of `churn features`, and the manifest counts every input as
// `churn features` reads it.
func TestDistributedFeatures(t *testing.T) {
	cfg, env := sampleConfig(t)
	plan, _ := checkDistributedFeatures(t, cfg, env, 3)
	if len(plan.Folds) != len(plan.Files) {
		t.Errorf("%d folds of %d small files, want one each", len(plan.Folds), len(plan.Files))
	}
}

// checkDistributedFeatures runs the steps of a distributed features job
// in one process, with cutoffs monthly cutoffs, and fails unless the rows
// are those of `churn features` and the manifest's inputs and counts
// those its read finds. It returns the plan and the manifest.
func checkDistributedFeatures(t *testing.T, cfg Config, env Env, cutoffs int) (*FeaturesPlan, *FeaturesManifest) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	single := filepath.Join(dir, "single.parquet")
	sum, err := Features(ctx, cfg, env, single, cutoffs)
	if err != nil {
		t.Fatal(err)
	}
	plan, err := PlanFeatures(ctx, cfg, env, cutoffs)
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
	for k := range plan.Folds {
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
	// What `churn features` read: its inputs (but for the checksums,
	// which the commit adds) and counts.
	_, asOf, ds, err := openDataset(&cfg, &env)
	if err != nil {
		t.Fatal(err)
	}
	ld, _, err := loadBuilder(ctx, &cfg, &env, ds, cfg.Features.MonthlyCutoffs(asOf, cutoffs), data.Instant(asOf), zerolog.Nop())
	if err != nil {
		t.Fatal(err)
	}
	for i := range ld.Inputs {
		ld.Inputs[i].SetChecksum(data.Checksum{})
	}
	for _, k := range []struct {
		name      string
		got, want any
	}{{"inputs", m.Inputs, ld.Inputs}, {"rows read", m.RowsRead, ld.Rows}, {"rows skipped", m.RowsSkipped, ld.Skipped},
		{"values fixed", m.ValuesFixed, ld.Cleaned}} {
		if fmt.Sprintf("%+v", k.got) != fmt.Sprintf("%+v", k.want) {
			t.Errorf("manifest %s %+v, churn features %+v", k.name, k.got, k.want)
		}
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
	return plan, m
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

// inProcessRun is a BuildRun that runs a distributed run's steps in this
// process, as the workers of cmd/churn-beam do: each history file folded
// by its own fork, merged per customer range into a RangeFork with
// MergeRange in reverse file order, each range built with RunFrames;
// then the typical values, the value fits, the scores, the population,
// the value cut points and the part files range by range, each step's
// summaries handed to the next in reverse range order.
func inProcessRun(ranges int) BuildRun {
	return func(ctx context.Context, plan *FeaturesPlan, tmp string) (*RunParts, []FileResult, error) {
		base, err := plan.Base(ctx)
		if err != nil {
			return nil, nil, err
		}
		var forks []*features.Builder
		var results []FileResult
		for k := range plan.Folds {
			fork := base.Fork()
			res, err := plan.FoldFile(ctx, fork, k, zerolog.Nop())
			if err != nil {
				return nil, nil, err
			}
			forks, results = append(forks, fork), append(results, res)
		}
		frames := make([][]*features.Frame, ranges)
		counts := make([]PeerCount, ranges)
		inputs := make([]ValueInputs, ranges)
		last := func(r int) *features.Frame { return frames[r][len(plan.Cutoffs)-1] }
		for r := range ranges {
			lo, hi := plan.Range(r, ranges)
			merged, err := base.RangeFork(lo, hi)
			if err != nil {
				return nil, nil, err
			}
			for _, f := range slices.Backward(forks) {
				if err := merged.MergeRange(f, lo, hi); err != nil {
					return nil, nil, err
				}
			}
			if frames[r], err = plan.RunFrames(merged, lo, hi); err != nil {
				return nil, nil, err
			}
			counts[ranges-1-r] = PeerCountOf(r, last(r))
			inputs[ranges-1-r] = plan.ValueInputsOf(r, last(r))
		}
		shares := make([][]float64, ranges)
		for r := range ranges {
			if shares[r], err = PeerShare(r, last(r), counts); err != nil {
				return nil, nil, err
			}
		}
		peer := Peers(last(0).Names, shares)
		fit, err := plan.FitValues(inputs)
		if err != nil {
			return nil, nil, err
		}
		sc, err := plan.Scorer()
		if err != nil {
			return nil, nil, err
		}
		scored := make([]*ScoredRange, ranges)
		stats := make([]RangeStats, ranges)
		pops := make([]segment.Population, ranges)
		for r := range ranges {
			sr, st, err := sc.ScoreRange(ctx, r, frames[r], peer, fit)
			if err != nil {
				return nil, nil, err
			}
			scored[r], stats[ranges-1-r], pops[ranges-1-r] = sr, *st, sr.Population
		}
		pop := MergePopulations(pops)
		cuts := make([]segment.CutValues, ranges)
		for r := range ranges {
			cuts[ranges-1-r] = plan.CutValuesOf(scored[r], &pop)
		}
		written := make([]RangeWritten, ranges)
		for r := range ranges {
			w, err := sc.WriteRange(scored[r], &pop, cuts)
			if err != nil {
				return nil, nil, err
			}
			written[ranges-1-r] = *w
		}
		rp, err := sc.FinishRun(written, stats, fit, &pop)
		return rp, results, err
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

// TestRunDistributed: RunDistributed, with the steps of a distributed
// run in 1, 3 and 7 customer ranges, writes the rows Run writes, part
// after part (with one range, the part file byte for byte), and the same
// figures in the manifest, also when it evaluates an earlier run (whose
// scores are read from several parts) and carries a passthrough column;
// it leaves no temporary folder.
func TestRunDistributed(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: trains and runs on the sample")
	}
	cfg, env := sampleConfig(t)
	ctx := context.Background()
	if _, err := Train(ctx, cfg, env); err != nil {
		t.Fatalf("train: %v", err)
	}
	// A customers/ column carried into the parts, which each range reads
	// for its own customers.
	cfg.Lists.Passthrough = []string{"acquisition_channel"}
	builds := []struct {
		name   string
		ranges int
	}{{"single", 0}, {"distributed in 1 range", 1}, {"distributed in 3 ranges", 3}, {"distributed in 7 ranges", 7}}
	rows := make([][]data.OutColumn, len(builds))
	parts := make([][]string, len(builds))
	mans := make([]runs.Manifest, len(builds))
	sums := make([]*RunSummary, len(builds))
	var first []byte
	for i, bd := range builds {
		c := cfg
		c.Out = filepath.Join(t.TempDir(), fmt.Sprintf("out%d", i))
		early := c
		early.AsOf = time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
		// The earlier run is distributed too, in two parts, but for the
		// single run: the evaluation reads either.
		var err error
		if bd.ranges == 0 {
			_, err = Run(ctx, early, env)
		} else {
			_, err = RunDistributed(ctx, early, env, inProcessRun(2))
		}
		if err != nil {
			t.Fatalf("run as of 2026-07-01: %v", err)
		}
		if bd.ranges == 0 {
			sums[i], err = Run(ctx, c, env)
		} else {
			sums[i], err = RunDistributed(ctx, c, env, inProcessRun(bd.ranges))
		}
		if err != nil {
			t.Fatalf("%s run: %v", bd.name, err)
		}
		r, err := runs.Open(c.Out, sums[i].AsOf)
		if err != nil {
			t.Fatal(err)
		}
		mans[i], parts[i] = r.Manifest, r.Parts
		if rows[i], err = r.Read(); err != nil {
			t.Fatal(err)
		}
		if bd.ranges <= 1 {
			b, err := os.ReadFile(filepath.Join(sums[i].Output, runs.PartFile))
			if err != nil {
				t.Fatal(err)
			}
			if first == nil {
				first = b
			} else if string(b) != string(first) {
				t.Errorf("%s: the part file differs from Run's, byte for byte", bd.name)
			}
		}
		if left, _ := filepath.Glob(filepath.Join(c.Out, ".tmp-*")); len(left) > 0 {
			t.Errorf("%s run left %v", bd.name, left)
		}
	}
	for i, bd := range builds[1:] {
		i++
		if want := max(1, bd.ranges); len(parts[i]) != want || parts[i][want-1] != runs.PartName(want-1) {
			t.Errorf("%s: parts %v", bd.name, parts[i])
		}
		sameColumns(t, bd.name, rows[i], rows[0])
		g, w := mans[i], mans[0]
		for _, k := range []struct {
			name      string
			got, want any
		}{{"customers", g.Customers, w.Customers}, {"segments", g.Segments, w.Segments}, {"thresholds", g.Thresholds, w.Thresholds},
			{"value models", string(g.Value), string(w.Value)}, {"drift", g.Drift, w.Drift}, {"evaluations", g.Evaluations, w.Evaluations},
			{"not evaluated", g.NotEvaluated, w.NotEvaluated}, {"families", string(g.Families), string(w.Families)},
			{"catalog", string(g.Catalog), string(w.Catalog)}, {"inputs", string(g.Inputs), string(w.Inputs)},
			{"rows read", g.RowsRead, w.RowsRead}, {"rows skipped", g.RowsSkipped, w.RowsSkipped},
			{"top", sums[i].Top, sums[0].Top}, {"summary segments", sums[i].Segments, sums[0].Segments}} {
			if fmt.Sprint(k.got) != fmt.Sprint(k.want) {
				t.Errorf("%s: %s %v, Run %v", bd.name, k.name, k.got, k.want)
			}
		}
		if len(g.Evaluations) != 1 {
			t.Errorf("%s: evaluated %v (%s)", bd.name, g.Evaluations, g.NotEvaluated)
		}
	}
}

// sameColumns fails unless got and want hold the same columns with the
// same values, row for row (floats bit for bit).
func sameColumns(t *testing.T, name string, got, want []data.OutColumn) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d columns, want %d", name, len(got), len(want))
	}
	for j := range want {
		g, w := got[j], want[j]
		if g.Name != w.Name || g.Kind != w.Kind || !slices.Equal(g.Strings, w.Strings) || !slices.Equal(g.Ints, w.Ints) ||
			!slices.Equal(g.Times, w.Times) || len(g.Floats) != len(w.Floats) {
			t.Fatalf("%s: column %s (%d floats, %d strings) differs from Run's %s", name, g.Name, len(g.Floats), len(g.Strings), w.Name)
		}
		for i := range w.Floats {
			if math.Float64bits(g.Floats[i]) != math.Float64bits(w.Floats[i]) {
				t.Fatalf("%s: column %s row %d: %v, Run %v", name, g.Name, i, g.Floats[i], w.Floats[i])
			}
		}
	}
}

// oneFileSample writes a copy of the embedded sample whose events and
// sessions tables are each one file of about groups row groups
// (tabletest.OneFileTables), and returns its folder, the sessions file
// and the number of rows of its row groups.
func oneFileSample(t *testing.T, cfg Config, env Env, groups int) (root string, sessions data.File, per int) {
	t.Helper()
	src, _, _, err := resolveDataset(&cfg, &env)
	if err != nil {
		t.Fatal(err)
	}
	root = filepath.Join(t.TempDir(), "data")
	sessions, per = tabletest.OneFileTables(t, src, root, groups)
	return root, sessions, per
}

// TestDistributedFeaturesRowGroupRanges: with the events and sessions
// tables each one file of many row groups, the plan splits each into
// several folds of consecutive row groups that cover the file, and the
// folds together give the rows of `churn features` and a manifest with
// its inputs (one per file) and counts, a bad row in the middle row group
// counted once; under the fail policy, the fold that holds that row
// group stops with the error `churn features` stops with, which names
// the file, the row group and the row.
func TestDistributedFeaturesRowGroupRanges(t *testing.T) {
	cfg, env := sampleConfig(t)
	const groups = 24
	root, sessions, per := oneFileSample(t, cfg, env, groups)
	cfg.Data = root
	asOf, err := data.ParseDate(sample.End)
	if err != nil {
		t.Fatal(err)
	}
	cfg.AsOf = asOf
	ctx := context.Background()
	layout, err := data.RowGroupsOf(ctx, sessions)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, g := range layout {
		total += g.Bytes
	}
	defer func(old int64) { FoldBytes = old }(FoldBytes)
	FoldBytes = total / 5

	plan, m := checkDistributedFeatures(t, cfg, env, 3)
	for k, f := range plan.Files {
		var got []data.RowGroupRange
		for _, fd := range plan.Folds {
			if fd.File == k {
				got = append(got, fd.Groups)
			}
		}
		if f.Table != data.Events && f.Table != data.Sessions {
			if len(got) != 1 || !got[0].All() {
				t.Errorf("%s: folds %v, want the whole file", f.Rel, got)
			}
			continue
		}
		if len(got) < 4 || got[0].From != 0 || got[len(got)-1].To != len(layout) {
			t.Fatalf("%s: folds %v of %d row groups, want about 5 that cover them", f.Rel, got, len(layout))
		}
		for i := 1; i < len(got); i++ {
			if got[i].From != got[i-1].To {
				t.Fatalf("%s: folds %v are not consecutive", f.Rel, got)
			}
		}
	}
	if m.RowsSkipped["sessions/null_customer_id"] != 1 {
		t.Errorf("rows skipped %v, want one sessions/null_customer_id", m.RowsSkipped)
	}

	cfg.BadRows.Policy = "fail"
	_, ferr := Features(ctx, cfg, env, filepath.Join(t.TempDir(), "f.parquet"), 3)
	where := fmt.Sprintf("%s: row group %d, row %d,", sessions.Rel, groups/2, groups/2*per+3)
	if ferr == nil || !strings.Contains(ferr.Error(), where) {
		t.Fatalf("churn features under the fail policy: %v, want an error at %q", ferr, where)
	}
	plan, err = PlanFeatures(ctx, cfg, env, 3)
	if err != nil {
		// The plan read the sessions for the catalog: it stops there.
		if !strings.Contains(ferr.Error(), err.Error()) {
			t.Fatalf("plan: %v, churn features: %v", err, ferr)
		}
		return
	}
	base, err := plan.Base(ctx)
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for k, fd := range plan.Folds {
		fork := base.Fork()
		_, err := plan.FoldFile(ctx, fork, k, zerolog.Nop())
		fork.Release()
		holds := plan.Files[fd.File].Rel == sessions.Rel && fd.Groups.From <= groups/2 && groups/2 < fd.Groups.To
		switch {
		case holds && (err == nil || !errors.Is(err, ErrInvalidInput) || !strings.Contains(ferr.Error(), err.Error())):
			t.Errorf("fold %d %v of %s: %v, want churn features' error %v", k, fd.Groups, sessions.Rel, err, ferr)
		case !holds && err != nil:
			t.Errorf("fold %d %v of %s: %v", k, fd.Groups, plan.Files[fd.File].Rel, err)
		case holds:
			failed++
		}
	}
	if failed != 1 {
		t.Errorf("%d folds hold row group %d of %s, want 1", failed, groups/2, sessions.Rel)
	}
}

// TestSplitGroups: a file's row groups cut into folds of about the limit,
// whole row groups, consecutive, covering the file.
func TestSplitGroups(t *testing.T) {
	sized := func(bytes ...int64) []data.RowGroupInfo {
		out := make([]data.RowGroupInfo, len(bytes))
		for i, b := range bytes {
			out[i] = data.RowGroupInfo{Rows: 10, Bytes: b}
		}
		return out
	}
	whole := []data.RowGroupRange{{}}
	// at returns the ranges between the row group boundaries cuts.
	at := func(cuts ...int) []data.RowGroupRange {
		var out []data.RowGroupRange
		for i := 1; i < len(cuts); i++ {
			out = append(out, data.RowGroupRange{From: cuts[i-1], To: cuts[i]})
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		groups []data.RowGroupInfo
		limit  int64
		want   []data.RowGroupRange
	}{
		{"no row group", nil, 10, whole},
		{"one large row group", sized(100), 10, whole},
		{"at the limit", sized(5, 5), 10, whole},
		{"no limit", sized(50, 50), 0, whole},
		{"two equal halves", sized(5, 5, 5, 5), 10, at(0, 2, 4)},
		{"just over the limit", sized(4, 4, 4), 10, at(0, 2, 3)},
		{"equal shares", sized(1, 1, 1, 1, 1, 1, 1, 1, 1), 3, at(0, 3, 6, 9)},
		{"a large row group alone", sized(1, 1, 30, 1, 1), 10, at(0, 2, 3, 4, 5)},
		{"more shares than row groups", sized(30, 30), 10, at(0, 1, 2)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := splitGroups(tc.groups, tc.limit); !slices.Equal(got, tc.want) {
				t.Errorf("splitGroups(%v, %d) = %v, want %v", tc.groups, tc.limit, got, tc.want)
			}
		})
	}
}

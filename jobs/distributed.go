package jobs

import (
	"bytes"
	"cmp"
	"context"
	"encoding/gob"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rs/zerolog"
	"golang.org/x/sync/errgroup"

	"churn/data"
	"churn/data/runs"
	"churn/data/store"
	"churn/features"
	"churn/internal/fsutil"
	"churn/jobs/ingest"
	"churn/jobs/output"
	"churn/model"
)

// A distributed features job is `churn features` cut where an engine that
// runs on many machines (cmd/churn-beam, on Apache Beam) takes over:
//
//	plan, err := jobs.PlanFeatures(ctx, cfg, env, cutoffs) // once, where the job is launched
//	// on every worker, once:
//	base, err := plan.Base(ctx)
//	// per fold (one element per history file, or per row-group range
//	// of a large one):
//	fork := base.Fork(); res, err := plan.FoldFile(ctx, fork, k)
//	part, err := fork.EncodePartial(nil, lo, hi) // per customer range
//	// per customer range: DecodePartial and Merge the parts, then
//	rows, err := plan.WriteRange(path, merged, lo, hi)
//	// once, at the end:
//	sum, err := plan.Commit(out, parts, results)
//
// Every step is the single-process job's own code: the same readers, bad
// row policy, catalog, fold, merge and build, so the rows are those of
// `churn features`. Only the order of the rows differs: one part per
// customer range, each with every cutoff.

// FeaturesPlan is what every worker of a distributed features job needs,
// fixed where the job is launched: the config, the cutoffs, the dataset's
// files and the catalog learned from them. It travels to the workers as
// the bytes of Encode.
type FeaturesPlan struct {
	Config   Config
	Root     string // the dataset's folder, or bucket URL with its query (its options)
	Sample   bool   // the embedded sample
	Cutoffs  []int64
	DataEnd  int64
	Labelled bool
	// CustomerFiles are read by every worker to freeze the customer
	// index; Files are the history files, folded one element per Fold.
	CustomerFiles []data.File
	Files         []data.File
	Folds         []Fold
	Present       map[data.Table]bool
	Catalog       features.Catalog
	ChannelsUntil int64 // see features.Builder.ChannelsUntil
	Customers     int   // in the frozen index
	// CustomerInputs, Rows, Skipped and Cleaned are what reading the
	// customers table found, for the manifest and the bad-row limit.
	CustomerInputs []InputFile
	Rows           map[data.Table]int64
	Skipped        map[string]int64
	Cleaned        map[string]int64
	// Registry and Model name the model a distributed run scores with
	// (Scorer); empty for a features job.
	Registry, Model string
	// Out is a distributed run's output folder or bucket URL; Earlier the
	// date of the earlier run under it that the run evaluates, or empty;
	// Parts where every range writes its part file (output.WritePart):
	// the pending run folder, or a bucket's temporary prefix.
	Out, Earlier, Parts string
}

// Fold is one element of a distributed job's fold: the row groups Groups
// of the history file Files[File], every row group (the zero
// RowGroupRange) for a file of at most FoldBytes.
type Fold struct {
	File   int
	Groups data.RowGroupRange
}

// FoldBytes is the compressed size above which the plan splits a history
// file into folds of whole consecutive row groups, each of about
// FoldBytes or less (one row group larger than that is a fold of its
// own), so that the workers share a file that holds a whole table (one
// file from DuckDB's COPY, one Spark task, pyarrow) and none folds it
// alone. A file named in bad_rows.optional_files is never split: a
// corrupt one is skipped whole, as `churn features` skips it.
var FoldBytes int64 = 64 << 20

// PlanFeatures reads the customers table and learns the catalog as
// `churn features` does, and returns the plan of a distributed features
// job with its cutoffs: the as-of instant, or with cutoffs > 0 that many
// monthly training cutoffs. Errors are those of Features.
func PlanFeatures(ctx context.Context, cfg Config, env Env, cutoffs int) (*FeaturesPlan, error) {
	log := env.Log.With().Str("command", "features").Logger()
	root, asOf, ds, err := openDataset(&cfg, &env)
	if err != nil {
		return nil, err
	}
	_, _, isSample, _ := resolveDataset(&cfg, &env)
	cuts := []int64{asOf.UnixNano()}
	if cutoffs > 0 {
		cuts = cfg.Features.MonthlyCutoffs(asOf, cutoffs)
	}
	return planFeatures(ctx, cfg, root, isSample, ds, cuts, asOf.UnixNano(), cutoffs > 0, log)
}

// planFeatures reads the customers table of ds and learns the catalog (or
// takes cfg's fixed one) for the cutoffs cuts, as loadFrame does.
func planFeatures(ctx context.Context, cfg Config, root string, isSample bool, ds *data.Dataset, cuts []int64, dataEnd int64, labelled bool, log zerolog.Logger) (*FeaturesPlan, error) {
	p := &FeaturesPlan{
		Config: cfg, Root: root, Sample: isSample, Cutoffs: cuts, DataEnd: dataEnd, Labelled: labelled,
		Present: map[data.Table]bool{},
	}
	for _, t := range data.Tables {
		if len(ds.Files[t]) > 0 {
			p.Present[t] = true
		}
		if t == data.Customers {
			p.CustomerFiles = append(p.CustomerFiles, ds.Files[t]...)
		} else {
			p.Files = append(p.Files, ds.Files[t]...)
		}
	}
	res, b, err := p.readCustomers(ctx, log)
	if err != nil {
		return nil, err
	}
	// The catalog's reads tell the layouts of the files they read, whose
	// footers are then not read again.
	var mu sync.Mutex
	layouts := map[string][]data.RowGroupInfo{}
	opt := data.ReadOptions{Mapping: cfg.Mapping, Until: p.DataEnd, OnBad: ingest.NewBadRows(p.Config.BadRows.Policy == "fail", log).OnBad,
		OnRowGroups: func(f data.File, g []data.RowGroupInfo) {
			mu.Lock()
			defer mu.Unlock()
			layouts[f.Rel] = g
		}}
	pc, err := learnCatalog(ctx, &p.Config, b, p.Files, opt, p.Config.catalog, cuts[len(cuts)-1], false, log)
	if err != nil {
		return nil, err
	}
	if pc != nil { // the plan fixes the catalog before any fold
		if err := pc.readSessions(ctx, p.Files, opt); err != nil {
			return nil, err
		}
	}
	p.Catalog, p.Customers = b.Catalog(), b.Customers()
	// learnCatalog's instant for the channels, which every worker's
	// builder must count before.
	p.ChannelsUntil = cuts[len(cuts)-1]
	if p.Config.catalog.fixed == nil && p.Config.catalog.until != 0 {
		p.ChannelsUntil = p.Config.catalog.until
	}
	p.CustomerInputs, p.Rows, p.Skipped, p.Cleaned = res.Inputs, res.Rows, res.Skipped, res.Cleaned
	if p.Folds, err = p.planFolds(ctx, layouts); err != nil {
		return nil, err
	}
	return p, nil
}

// planFolds returns the folds of the history files: each file's row
// groups cut by splitGroups, from the layouts known (by Rel) or read from
// the footers of the others, by cfg.Workers goroutines. A file whose
// footer is unreadable (a FileError) is one fold, whose read reports it
// as `churn features` does; a store that fails stops the plan.
func (p *FeaturesPlan) planFolds(ctx context.Context, layouts map[string][]data.RowGroupInfo) ([]Fold, error) {
	groups := make([][]data.RowGroupInfo, len(p.Files))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(p.Config.Workers, 1))
	for k, f := range p.Files {
		if optionalFile(&p.Config, f) {
			continue
		}
		if l, ok := layouts[f.Rel]; ok {
			groups[k] = l
			continue
		}
		g.Go(func() error {
			l, err := data.RowGroupsOf(gctx, f)
			var fe *data.FileError
			if errors.As(err, &fe) {
				return nil
			}
			groups[k] = l
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	var folds []Fold
	for k := range p.Files {
		for _, r := range splitGroups(groups[k], FoldBytes) {
			folds = append(folds, Fold{File: k, Groups: r})
		}
	}
	return folds, nil
}

// splitGroups cuts a file of row groups groups into ranges of whole
// consecutive row groups of about limit compressed bytes: n =
// ceil(bytes/limit) ranges (at most one per row group), each ending at
// the first row group boundary at or after its share of the bytes (k/n
// of them), so that a range exceeds its share by less than one row
// group. A file of at most limit bytes, or of one row group, is one
// range, the zero RowGroupRange. The ranges depend on the footer alone.
func splitGroups(groups []data.RowGroupInfo, limit int64) []data.RowGroupRange {
	var total int64
	for _, g := range groups {
		total += g.Bytes
	}
	if limit <= 0 || total <= limit || len(groups) < 2 {
		return []data.RowGroupRange{{}}
	}
	n := int(min((total+limit-1)/limit, int64(len(groups))))
	var out []data.RowGroupRange
	from, cum := 0, int64(0)
	for j, g := range groups {
		cum += g.Bytes
		i := len(out) + 1 // the range that ends at or after j
		// Cut after j once the bytes reach the i-th share, leaving a row
		// group for each range still to come.
		if i < n && (cum*int64(n) >= total*int64(i) || len(groups)-(j+1) == n-i) {
			out = append(out, data.RowGroupRange{From: from, To: j + 1})
			from = j + 1
		}
	}
	return append(out, data.RowGroupRange{From: from, To: len(groups)})
}

// readCustomers reads the customers table into a new frozen builder, as
// loadBuilder does.
func (p *FeaturesPlan) readCustomers(ctx context.Context, log zerolog.Logger) (*loaded, *features.Builder, error) {
	cfg := &p.Config
	b, err := features.NewBuilder(cfg.Features, p.Cutoffs, p.DataEnd)
	if err != nil {
		return nil, nil, fmt.Errorf("features: %w", err)
	}
	res := &loaded{Present: p.Present, Rows: map[data.Table]int64{}, Skipped: map[string]int64{}, Cleaned: map[string]int64{}}
	res.Inputs = make([]InputFile, len(p.CustomerFiles))
	opt := data.ReadOptions{Mapping: cfg.Mapping, Until: p.DataEnd, OnBad: ingest.NewBadRows(cfg.BadRows.Policy == "fail", log).OnBad}
	for i, f := range p.CustomerFiles {
		res.Inputs[i] = InputFile{Table: f.Table, Path: f.Rel, Bytes: f.Size}
		st, err := data.ReadFile(ctx, f, opt, func(rows []data.Customer) error {
			b.AddCustomers(rows)
			return nil
		})
		if err := res.record(cfg, i, f, st, err, log); err != nil {
			return nil, nil, err
		}
	}
	if err := res.finishCustomers(ctx, cfg, b, p.CustomerFiles, log); err != nil {
		return nil, nil, err
	}
	return res, b, nil
}

// Encode returns the plan as bytes for DecodeFeaturesPlan.
func (p *FeaturesPlan) Encode() ([]byte, error) {
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(p); err != nil {
		return nil, fmt.Errorf("encode features plan: %w", err)
	}
	return buf.Bytes(), nil
}

// DecodeFeaturesPlan reads the bytes of Encode. The files of a dataset
// in a bucket are bound to this process's store of the plan's root
// (data.Reattach: opened once per process, with the cloud's standard
// credentials where it runs), so that a worker reads them as the
// launcher does, with ranged reads checked against the listing.
func DecodeFeaturesPlan(b []byte) (*FeaturesPlan, error) {
	p := &FeaturesPlan{}
	if err := gob.NewDecoder(bytes.NewReader(b)).Decode(p); err != nil {
		return nil, fmt.Errorf("decode features plan: %w", err)
	}
	ctx := context.Background() // Open reads no object: each read takes its own context
	if err := data.Reattach(ctx, p.Root, p.CustomerFiles); err != nil {
		return nil, err
	}
	if err := data.Reattach(ctx, p.Root, p.Files); err != nil {
		return nil, err
	}
	return p, nil
}

// Base reads the customers table and returns the frozen builder, with the
// plan's catalog, that every fold forks: the one PlanFeatures froze.
func (p *FeaturesPlan) Base(ctx context.Context) (*features.Builder, error) {
	_, b, err := p.readCustomers(ctx, zerolog.Nop())
	if err != nil {
		return nil, err
	}
	if b.Customers() != p.Customers {
		return nil, fmt.Errorf("customers table changed since the job started: %d customers, the plan has %d", b.Customers(), p.Customers)
	}
	b.ChannelsUntil(p.ChannelsUntil)
	b.SetCatalog(p.Catalog)
	return b, nil
}

// FileResult is what one fold found: for the fold's row groups of its
// history file, what folding the whole file finds in them.
type FileResult struct {
	Index   int // the history file, in Files
	Fold    int // in Folds
	Input   InputFile
	Skipped map[string]int64 // "table/reason" -> rows skipped
	Cleaned map[string]int64 // "table/reason" -> values fixed in kept rows
	Unknown int64            // rows of customers missing from the customers table
}

// FoldFile reads the k-th fold (its history file's row groups) into b, a
// fork of Base, under the bad-row policy. A read error stops the job
// unless the file is optional (bad_rows.optional_files), as in `churn
// features`; the result records a skipped optional file.
func (p *FeaturesPlan) FoldFile(ctx context.Context, b *features.Builder, k int, log zerolog.Logger) (FileResult, error) {
	if k < 0 || k >= len(p.Folds) || p.Folds[k].File < 0 || p.Folds[k].File >= len(p.Files) {
		return FileResult{}, fmt.Errorf("fold %d of %d", k, len(p.Folds))
	}
	fd := p.Folds[k]
	f := p.Files[fd.File]
	cfg := &p.Config
	opt := data.ReadOptions{Mapping: cfg.Mapping, Until: p.DataEnd, OnBad: ingest.NewBadRows(cfg.BadRows.Policy == "fail", log).OnBad,
		RowGroups: fd.Groups}
	rs, err := ingest.ReadInto(ctx, b, f, opt, ingest.NewReporter(log, 0, nil), b.AddResolved)
	res := &loaded{Inputs: []InputFile{{Table: f.Table, Path: f.Rel, Bytes: f.Size}}, Rows: map[data.Table]int64{},
		Skipped: map[string]int64{}, Cleaned: map[string]int64{}}
	if err := res.record(cfg, 0, f, rs.Stats, err, log); err != nil {
		return FileResult{}, err
	}
	return FileResult{Index: fd.File, Fold: k, Input: res.Inputs[0], Skipped: res.Skipped, Cleaned: res.Cleaned, Unknown: rs.Unknown}, nil
}

// Range returns the customers [lo, hi) of the r-th of n ranges, which
// together cover the customer index in order.
func (p *FeaturesPlan) Range(r, n int) (lo, hi int) {
	return r * p.Customers / n, (r + 1) * p.Customers / n
}

// WriteRange builds the rows of customers [lo, hi) for every cutoff from
// b, which holds the merged accumulators of those customers, and writes
// them to one Parquet file at path, which appears whole or not at all
// (writeFeatureRows: building the next slice while one is written). It
// returns the rows written and the frame of the last slice built (for
// the names and families).
func (p *FeaturesPlan) WriteRange(path string, b *features.Builder, lo, hi int) (int, *features.Frame, error) {
	f, rows, err := writeFeatureRows(path, b, p.Present, p.Labelled, lo, hi)
	return rows, f, err
}

// FeaturesPart is one written part of a distributed feature table.
type FeaturesPart struct {
	File string `json:"file"` // relative to the table's folder
	Rows int    `json:"rows"`
}

// FeaturesManifest describes a distributed feature table: a folder of
// Parquet parts, one per customer range, with every cutoff's rows of its
// customers; together the rows of `churn features` for the same inputs.
type FeaturesManifest struct {
	Command     string                  `json:"command"`
	CodeVersion string                  `json:"code_version"`
	Data        string                  `json:"data"`
	Sample      bool                    `json:"sample_data"`
	Cutoffs     []string                `json:"cutoffs"`
	Labelled    bool                    `json:"labelled"`
	Rows        int                     `json:"rows"`
	Features    []string                `json:"features"`
	Parts       []FeaturesPart          `json:"parts"`
	Inputs      []InputFile             `json:"inputs"`
	RowsRead    map[data.Table]int64    `json:"rows_read"`
	RowsSkipped map[string]int64        `json:"rows_skipped"`
	ValuesFixed map[string]int64        `json:"values_fixed"`
	Families    []features.FamilyStatus `json:"families"`
	Catalog     features.Catalog        `json:"feature_catalog"`
}

// Check applies the bad-row limit (bad_rows.max_fraction) to the customers
// table and the folded files' results, as `churn features` does, and
// returns the manifest's inputs and counts. results holds one per fold,
// in any order; a file's folds count as the file.
func (p *FeaturesPlan) Check(results []FileResult) (*FeaturesManifest, error) {
	res, err := p.check(results)
	if err != nil {
		return nil, err
	}
	m := &FeaturesManifest{
		Command: "features", Data: p.Root, Sample: p.Sample, Labelled: p.Labelled,
		Inputs:   res.Inputs,
		RowsRead: res.Rows, RowsSkipped: res.Skipped, ValuesFixed: res.Cleaned, Catalog: p.Catalog,
	}
	for _, c := range p.Cutoffs {
		m.Cutoffs = append(m.Cutoffs, day(c))
	}
	return m, nil
}

// check is Check returning what loadFrame does, without the frame: the
// inputs (customers first, then the history files in the plan's order),
// and the rows read, skipped and fixed.
func (p *FeaturesPlan) check(results []FileResult) (*loaded, error) {
	if len(results) != len(p.Folds) {
		return nil, fmt.Errorf("%d of %d folds of the history files done", len(results), len(p.Folds))
	}
	res := &loaded{Present: p.Present, Rows: map[data.Table]int64{}, Skipped: map[string]int64{}, Cleaned: map[string]int64{}}
	for t, n := range p.Rows {
		res.Rows[t] += n
	}
	for k, n := range p.Skipped {
		res.Skipped[k] += n
	}
	for k, n := range p.Cleaned {
		res.Cleaned[k] += n
	}
	inputs := make([]InputFile, len(p.Files))
	for k, f := range p.Files {
		inputs[k] = InputFile{Table: f.Table, Path: f.Rel, Bytes: f.Size}
	}
	unknown := map[data.Table]int64{}
	seen := make([]bool, len(p.Folds))
	results = slices.Clone(results)
	slices.SortFunc(results, func(a, b FileResult) int { return cmp.Compare(a.Fold, b.Fold) })
	for _, r := range results {
		if r.Fold < 0 || r.Fold >= len(p.Folds) || seen[r.Fold] || r.Index != p.Folds[r.Fold].File {
			return nil, fmt.Errorf("fold %d (history file %d) done twice or out of range", r.Fold, r.Index)
		}
		seen[r.Fold] = true
		in := &inputs[r.Index]
		in.Rows += r.Input.Rows
		in.Kept += r.Input.Kept
		if r.Input.Skipped && !in.Skipped {
			in.Skipped, in.Error = true, r.Input.Error
		}
		res.Rows[r.Input.Table] += r.Input.Rows
		for k, n := range r.Skipped {
			res.Skipped[k] += n
		}
		for k, n := range r.Cleaned {
			res.Cleaned[k] += n
		}
		unknown[r.Input.Table] += r.Unknown
	}
	for t, n := range unknown {
		if n > 0 {
			res.Skipped[string(t)+"/unknown_customer"] += n
		}
	}
	if err := res.checkBadFraction(&p.Config); err != nil {
		return nil, err
	}
	res.Inputs = append(append([]InputFile(nil), p.CustomerInputs...), inputs...)
	return res, nil
}

// FeaturesManifestName is the name of a distributed feature table's
// manifest, beside its parts.
const FeaturesManifestName = "manifest.json"

// CommitFeatures makes the distributed feature table in tmp, a folder of
// parts beside out, visible as out: it writes the manifest into tmp, then
// renames tmp to out, replacing an earlier table there only if that one
// has a manifest (a folder that is not a feature table is left alone).
// Readers see the old table or the new one, never part of one.
func CommitFeatures(out, tmp string, m *FeaturesManifest) error {
	body, err := EncodeFeaturesManifest(m)
	if err != nil {
		return err
	}
	if err := fsutil.WriteFile(filepath.Join(tmp, FeaturesManifestName), body); err != nil {
		return err
	}
	if fi, err := os.Stat(out); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("%w: --out %s is a file: a distributed feature table is a folder", ErrInvalidInput, out)
		}
		if _, err := os.Stat(filepath.Join(out, FeaturesManifestName)); err != nil {
			return fmt.Errorf("%w: --out %s exists and is not a feature table (no %s): not replaced", ErrInvalidInput, out, FeaturesManifestName)
		}
		old := out + ".old-" + strconv.FormatInt(time.Now().UnixNano(), 36)
		if err := os.Rename(out, old); err != nil {
			return fmt.Errorf("replace %s: %w", out, err)
		}
		if err := os.Rename(tmp, out); err != nil {
			return errors.Join(fmt.Errorf("replace %s: %w", out, err), os.Rename(old, out))
		}
		return os.RemoveAll(old)
	}
	if err := os.Rename(tmp, out); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	return nil
}

// EncodeFeaturesManifest sets m.Rows to the sum of its parts' and returns
// the bytes of m as a distributed feature table's manifest, which
// CommitFeatures writes beside the parts, or a launcher into the Dir of
// its CreateFeaturesPending.
func EncodeFeaturesManifest(m *FeaturesManifest) ([]byte, error) {
	m.Rows = 0
	for _, pt := range m.Parts {
		m.Rows += pt.Rows
	}
	body, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", FeaturesManifestName, err)
	}
	return body, nil
}

// CreateFeaturesPending prepares the distributed feature table at out, a
// bucket URL naming a prefix, as CommitFeatures does a folder: an earlier
// table there (a prefix with a manifest) is replaced, a prefix that holds
// anything else is refused (ErrInvalidInput), and a bucket that cannot be
// reached is the store's error, which names the URL (store.ErrAccess,
// store.ErrUnavailable). The workers upload the parts into its
// output.PartsLocation (store.PutStaged), the manifest goes into its Dir
// (EncodeFeaturesManifest), and Commit publishes the parts, the manifest,
// then _SUCCESS last (store.Pending): readers that trust only a prefix
// with _SUCCESS never see half a table. Abort removes what was staged.
func CreateFeaturesPending(ctx context.Context, out string) (runs.Pending, error) {
	s, err := store.Open(ctx, out, store.Options{})
	if err != nil {
		return nil, err
	}
	objs, err := s.List(ctx, "")
	s.Close()
	if err != nil {
		return nil, fmt.Errorf("--out: %w", err)
	}
	if len(objs) > 0 && !slices.ContainsFunc(objs, func(o store.Object) bool { return o.Key == FeaturesManifestName }) {
		return nil, fmt.Errorf("%w: --out %s holds objects and is not a feature table (no %s): not replaced", ErrInvalidInput, s, FeaturesManifestName)
	}
	parent, name, err := store.Parent(out)
	if err != nil {
		return nil, fmt.Errorf("--out: %w", err)
	}
	return output.CreateStorePending(parent, name)
}

// TempFeaturesDir is where the parts of a distributed feature table for
// out are written before CommitFeatures: a hidden folder beside out,
// unique to job.
func TempFeaturesDir(out, job string) string {
	out = filepath.Clean(out)
	return filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+".tmp-"+strings.ReplaceAll(job, string(filepath.Separator), "_"))
}

// A distributed run is `churn run` whose features, scores, values and
// part files come from an engine that runs on many machines:
// RunDistributed does what Run does (the checks, the lock, the model and
// its catalog, the manifest, the commit of the run folder, the metrics)
// and asks build for the rest. The steps, each the single-process run's
// own code on a customer range, with what needs the whole population as
// summaries that merge exactly:
//
//	frames, _ := plan.RunFrames(merged, lo, hi)    // per range
//	counts[r] = PeerCountOf(r, last)               // per range
//	in[r] = plan.ValueInputsOf(r, last)            // per range: a few numbers a customer
//	share := PeerShare(r, last, counts)            // per range
//	peer := Peers(names, shares)                   // once
//	fit, _ := plan.FitValues(in)                   // once: the value models' fits
//	sr, st, _ := scorer.ScoreRange(ctx, r, frames, peer, fit) // per range
//	pop := MergePopulations(pops)                  // sr.Population of every range
//	cuts[r] = plan.CutValuesOf(sr, &pop)           // per range
//	w, _ := scorer.WriteRange(sr, &pop, cuts)      // per range: its part file
//	rp, _ := scorer.FinishRun(written, stats, fit, &pop, cuts) // once
//
// and RunDistributed commits the run folder from rp: the manifest, then
// _SUCCESS, then the folder appears whole.

// BuildRun runs a distributed run's steps for plan: every range's part
// file written into plan.Parts, and the run's figures (RunParts) with the
// result of every fold (FoldFile). tmp is an empty folder inside
// the run's output folder for what the engine hands back; RunDistributed
// removes it.
type BuildRun func(ctx context.Context, plan *FeaturesPlan, tmp string) (*RunParts, []FileResult, error)

// RunDistributed is Run with the features, scores, values and part files
// made by build. The rows of the part files, taken in order, and the
// manifest's figures are those of Run on the same inputs, config and
// model; the run folder is committed as Run commits it, parts first, the
// manifest, then _SUCCESS. --out is a folder that build's workers reach,
// or a bucket URL: the workers upload their parts under the pending run's
// temporary prefix (output.WritePart) and this process publishes them,
// the manifest, then _SUCCESS (store.Pending). --explain-out is not taken.
func RunDistributed(ctx context.Context, cfg Config, env Env, build BuildRun) (*RunSummary, error) {
	if build == nil {
		return nil, errors.New("RunDistributed: no build")
	}
	if cfg.ExplainOut != "" {
		return nil, fmt.Errorf("%w: --explain-out %s: a distributed run writes no explanations file (churn run --explain-out does)", ErrInvalidInput, cfg.ExplainOut)
	}
	return run(ctx, cfg, env, build)
}

// scoreDistributed is scoreRun by build, which writes the part files into
// a pending run folder: it plans the features at cutoffs, runs build and
// checks what it read.
func scoreDistributed(ctx context.Context, cfg *Config, env *Env, ds *data.Dataset, build BuildRun, version string,
	cutoffs []int64, day, prevDay string, evaluate bool, log zerolog.Logger) (_ *runScored, err error) {
	start := time.Now()
	root, _, isSample, err := resolveDataset(cfg, env)
	if err != nil {
		return nil, err
	}
	cutoff := cutoffs[len(cutoffs)-1]
	p, err := planFeatures(ctx, *cfg, root, isSample, ds, cutoffs, cutoff, false, log)
	if err != nil {
		return nil, err
	}
	p.Model, p.Registry, p.Out = version, cfg.Registry, cfg.Out
	if evaluate {
		p.Earlier = prevDay
	}
	pending, err := output.CreatePending(cfg.Out, day)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			pending.Abort()
		}
	}()
	p.Parts = output.PartsLocation(pending)
	// tmp is a folder that the workers and this process reach: inside
	// --out, or, for a bucket, in this process's temporary folder, which
	// must then be one the workers reach (a shared mount; in this process
	// for Prism and LOOPBACK workers).
	tmpIn := cfg.Out
	if store.IsURL(cfg.Out) {
		tmpIn = ""
	}
	tmp, err := os.MkdirTemp(tmpIn, fsutil.TempPrefix+"frames-")
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", cfg.Out, err)
	}
	defer os.RemoveAll(tmp)
	rp, results, err := build(ctx, p, tmp)
	if err != nil {
		return nil, err
	}
	if rp.Model != version {
		return nil, fmt.Errorf("the rows were scored with model %s, the run loaded %s", rp.Model, version)
	}
	res, err := p.check(results)
	if err != nil {
		return nil, err
	}
	sums, err := ds.Checksums(ctx)
	if err != nil {
		return nil, fmt.Errorf("checksum inputs: %w", err)
	}
	for i := range res.Inputs {
		res.Inputs[i].SetChecksum(sums[res.Inputs[i].Path])
	}
	log.Info().Int("files", len(res.Inputs)).Int("customers", rp.Customers).Int("parts", len(rp.Parts)).
		Int64("duration_ms", time.Since(start).Milliseconds()).Msg("features built, scored and written by the pipeline")
	rs := &runScored{
		ld: res, customers: rp.Customers, families: rp.Families, catalog: rp.Catalog, value: rp.Value,
		thresholds: rp.Thresholds, segments: rp.Segments, drift: rp.Drift, top: rp.Top,
		notEvaluated: rp.NotEvaluated, pending: pending, parts: rp.Parts,
		timings: map[string]int64{"pipeline_ms": time.Since(start).Milliseconds()},
	}
	if rp.Evaluation != nil {
		rs.evaluations = []runs.Evaluation{*rp.Evaluation}
	}
	if rp.NotEvaluated != "" {
		log.Warn().Str("earlier_run", prevDay).Str("error", rp.NotEvaluated).Msg("earlier run not evaluated")
	}
	return rs, nil
}

// A distributed run scores each customer range's rows at the run's cutoff
// where they are built: the model's probabilities (Scorer.Score) and the
// reasons, which read each feature's typical value over the whole
// population. The typical values come from a sample of the population's
// rows that each range takes its share of, knowing every range's counts:
//
//	counts[r] = PeerCountOf(r, f)          // per range
//	share := PeerShare(r, f, counts)       // per range, every count at hand
//	peer := Peers(f.Names, shares)         // once, every share at hand
//	sc, err := scorer.Score(ctx, f, peer)  // per range
//
// The scores are those Run gives the frame of every customer: the same model, the
// same typical values (features.NewExplainer's), the same reasons.

// Scores are the probabilities and reasons of a run's rows, in the
// frame's order, from the model version Model.
type Scores struct {
	Model   string
	Prob    []float64
	Reasons []string
	Codes   []string
}

// PeerCount is what one customer range's rows at the run's cutoff put
// into the sample of the typical values: its rows and its active ones.
type PeerCount struct {
	Range, Rows, Active int
}

// PeerCountOf returns the count of f, the r-th range's rows at the run's
// cutoff.
func PeerCountOf(r int, f *features.Frame) PeerCount {
	c := PeerCount{Range: r, Rows: f.Rows()}
	for _, st := range f.Status {
		if st == features.Active {
			c.Active++
		}
	}
	return c
}

// PeerShare returns the values (row-major, every column of f) of the rows
// of f, the r-th range's rows at the run's cutoff, that the sample of the
// typical values takes, given every range's count (in any order).
func PeerShare(r int, f *features.Frame, counts []PeerCount) ([]float64, error) {
	seen := make([]bool, len(counts))
	anyActive := false
	for _, c := range counts {
		if c.Range < 0 || c.Range >= len(counts) || seen[c.Range] {
			return nil, fmt.Errorf("peer counts: range %d twice or out of %d", c.Range, len(counts))
		}
		seen[c.Range] = true
		anyActive = anyActive || c.Active > 0
	}
	if r < 0 || r >= len(counts) {
		return nil, fmt.Errorf("peer counts of %d ranges, no range %d", len(counts), r)
	}
	total, before := 0, 0
	for _, c := range counts {
		n := c.Rows
		if anyActive {
			n = c.Active
		}
		total += n
		if c.Range < r {
			before += n
		}
	}
	stride := features.PeerStride(total)
	var x []float64
	for k, i := range features.PeerCandidates(f, anyActive) {
		if (before+k)%stride == 0 {
			x = append(x, f.X[i*len(f.Names):(i+1)*len(f.Names)]...)
		}
	}
	return x, nil
}

// Peers returns the typical value of each column of names from every
// range's PeerShare.
func Peers(names []string, shares [][]float64) []float64 {
	var x []float64
	for _, s := range shares {
		x = append(x, s...)
	}
	nc := max(1, len(names))
	return features.PeerValues(names, len(x)/nc, func(r, j int) float64 { return x[r*nc+j] })
}

// Scorer scores, values and writes a distributed run's ranges with the
// model the plan names, as Run does. A worker loads it once and takes
// every range it is given.
type Scorer struct {
	clf   *model.Trained
	meta  model.Meta
	cfg   Config
	model string
	plan  *FeaturesPlan

	earlierOnce sync.Once
	earlier     map[string]float64 // the earlier run's probabilities
	earlierErr  error
}

// Scorer loads the plan's model from its registry.
func (p *FeaturesPlan) Scorer() (*Scorer, error) {
	if p.Model == "" {
		return nil, errors.New("the plan names no model")
	}
	reg, err := openRegistry(p.Registry)
	if err != nil {
		return nil, fmt.Errorf("registry %s: %w", p.Registry, err)
	}
	defer reg.Close()
	clf, meta, err := reg.Load(p.Model)
	if err != nil {
		return nil, fmt.Errorf("load model %s: %w", p.Model, err)
	}
	return &Scorer{clf: clf, meta: meta, cfg: p.Config, model: p.Model, plan: p}, nil
}

// Score returns the probabilities and reasons of f's rows (one range's
// rows at the run's cutoff) with the typical values peer (Peers).
func (s *Scorer) Score(ctx context.Context, f *features.Frame, peer []float64) (*Scores, error) {
	prob, err := predict(s.clf, f)
	if err != nil {
		return nil, err
	}
	ex, err := features.NewExplainerPeers(f, explainConfig(&s.cfg), peer)
	if err != nil {
		return nil, err
	}
	reasons, codes, err := explainWith(ctx, s.clf, f, ex, &s.cfg, nil)
	if err != nil {
		return nil, err
	}
	return &Scores{Model: s.model, Prob: prob, Reasons: reasons, Codes: codes}, nil
}

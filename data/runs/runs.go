package runs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"churn/data"
	"churn/data/store"
	"churn/internal/fsutil"
)

// Names of the files of a run folder.
const (
	// ManifestFile describes the run; see Manifest.
	ManifestFile = "manifest.json"
	// PartFile is the one part file churn run writes (PartName(0)).
	// Scores are one row per customer, so one file holds even a few
	// million customers; a distributed run writes one part per customer
	// range (PartName). Readers take the parts the manifest lists, in its
	// order, and every part-*.parquet when it lists none.
	PartFile = "part-00000.parquet"
	// SuccessFile is the empty marker written last, as Spark and Hadoop
	// do: only a folder that has it is a finished run.
	SuccessFile = fsutil.SuccessFile
)

// PartName is the name of the r-th part file of a run: part-NNNNN.parquet.
func PartName(r int) string { return fmt.Sprintf("part-%05d.parquet", r) }

// folderKey is the Hive key of a run folder: as_of=YYYY-MM-DD.
const folderKey = "as_of="

// dateRE is the only shape of a run date: it keeps paths inside the
// scores folder.
var dateRE = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

// Errors of the readers.
var (
	// ErrBadDate is a run date that is not YYYY-MM-DD or not a calendar
	// date.
	ErrBadDate = errors.New("bad run date")
	// ErrNoRun is returned when no finished run matches.
	ErrNoRun = errors.New("no run")
)

// Day is the run date of a cutoff instant: its UTC calendar date,
// YYYY-MM-DD.
func Day(t time.Time) string { return data.FormatDate(t) }

// Folder is the name of the folder of the run of day: as_of=YYYY-MM-DD.
func Folder(day string) string { return folderKey + day }

// Dir is the folder of the run of day under out.
func Dir(out, day string) string { return filepath.Join(out, Folder(day)) }

// CheckDate reports whether day is a run date of the form YYYY-MM-DD. Its
// error wraps ErrBadDate.
func CheckDate(day string) error {
	if !dateRE.MatchString(day) {
		return fmt.Errorf("run date %q: want YYYY-MM-DD: %w", day, ErrBadDate)
	}
	if _, err := data.ParseDate(day); err != nil {
		return fmt.Errorf("run date %q: not a calendar date: %w", day, ErrBadDate)
	}
	return nil
}

// Cutoff is the instant of a run date: midnight UTC.
func Cutoff(day string) (time.Time, error) {
	if err := CheckDate(day); err != nil {
		return time.Time{}, err
	}
	return data.ParseDate(day)
}

// ParseFolder returns the run date of a folder name as_of=YYYY-MM-DD, and
// false for any other name.
func ParseFolder(name string) (day string, ok bool) {
	d, ok := strings.CutPrefix(name, folderKey)
	if !ok || CheckDate(d) != nil {
		return "", false
	}
	return d, true
}

// Dates returns the dates of the finished runs under out, a folder or a
// bucket URL, oldest first: the as_of=YYYY-MM-DD folders (prefixes) that
// hold SuccessFile. Folders being written (under a temporary name, or
// without SuccessFile yet on a bucket, where it is uploaded last),
// half-copied ones and other names are left out. A missing folder is an
// error that wraps fs.ErrNotExist (a bucket prefix that holds nothing
// gives no dates); out without runs gives none and no error.
func Dates(out string) ([]string, error) {
	ctx := context.Background()
	s, err := store.Open(ctx, out, store.Options{})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	if _, local := s.Local(); local {
		if st, err := os.Stat(out); err != nil {
			return nil, err
		} else if !st.IsDir() {
			return nil, fmt.Errorf("%s is not a folder", out)
		}
	}
	objs, err := s.List(ctx, "")
	if err != nil {
		return nil, err
	}
	var dates []string
	for _, o := range objs {
		folder, file, ok := strings.Cut(o.Key, "/")
		if d, isRun := ParseFolder(folder); ok && isRun && file == SuccessFile {
			dates = append(dates, d)
		}
	}
	slices.Sort(dates)
	return dates, nil
}

// Latest returns the date of the latest finished run under out; an error
// wrapping ErrNoRun when there is none.
func Latest(out string) (string, error) {
	dates, err := Dates(out)
	if err != nil {
		return "", err
	}
	if len(dates) == 0 {
		return "", fmt.Errorf("%s: %w", out, ErrNoRun)
	}
	return dates[len(dates)-1], nil
}

// Before returns the date of the latest finished run under out whose
// cutoff is strictly before t; an error wrapping ErrNoRun when there is
// none.
func Before(out string, t time.Time) (string, error) {
	dates, err := Dates(out)
	if err != nil {
		return "", err
	}
	for i := len(dates) - 1; i >= 0; i-- {
		c, _ := data.ParseDate(dates[i])
		if c.Before(t) {
			return dates[i], nil
		}
	}
	return "", fmt.Errorf("%s: before %s: %w", out, t.UTC().Format(time.RFC3339), ErrNoRun)
}

// AtOrBefore returns the date of the latest finished run under out whose
// cutoff is at or before t; an error wrapping ErrNoRun when there is none.
func AtOrBefore(out string, t time.Time) (string, error) {
	return Before(out, t.Add(time.Nanosecond))
}

// Manifest describes one run folder; it is manifest.json. Every field is a
// pure function of the inputs, config, model and code, except StartedAt,
// FinishedAt and Timings, which are the run's own timestamps and
// durations, and NotEvaluated when the output could not be listed (a
// fact of the store at the time of the run).
//
// The sections whose types belong to the packages that produce them
// (features, model and jobs, all right of data) are carried as raw JSON:
// their producers encode them and decode them.
type Manifest struct {
	Command     string               `json:"command"`
	CodeVersion string               `json:"code_version"`
	AsOf        string               `json:"as_of"`
	Cutoff      string               `json:"cutoff"`
	Data        string               `json:"data"`
	Sample      bool                 `json:"sample_data"`
	Inputs      json.RawMessage      `json:"inputs"`
	RowsRead    map[data.Table]int64 `json:"rows_read"`
	RowsSkipped map[string]int64     `json:"rows_skipped"`
	ValuesFixed map[string]int64     `json:"values_fixed"`
	Families    json.RawMessage      `json:"feature_families"`
	// Catalog is what the event mix ranks, the automated event names left
	// out of engagement, and the attributes, as the model was trained.
	Catalog      json.RawMessage   `json:"feature_catalog,omitempty"`
	ModelVersion string            `json:"model_version"`
	Algo         string            `json:"algo"`
	Customers    int               `json:"customers_scored"`
	Segments     []Segment         `json:"segments"`
	SegmentNames map[string]string `json:"segment_names"`
	Thresholds   RiskThresholds    `json:"risk_thresholds"`
	// Passthrough names the customers/ columns the run carried (such as
	// email or crm_id), after region in the part files.
	Passthrough []string        `json:"passthrough,omitempty"`
	Value       json.RawMessage `json:"value_models"`
	Drift       Drift           `json:"drift"`
	Evaluations []Evaluation    `json:"earlier_runs_evaluated,omitempty"`
	// NotEvaluated says why the run evaluated no earlier run when it
	// could not: the output could not be listed to find one (an
	// unreachable or denied bucket), or the one found could not be
	// measured (its scores unreadable, too few labelled customers). It
	// is absent when the evaluation ran or when no earlier run was due.
	NotEvaluated string           `json:"earlier_run_not_evaluated,omitempty"`
	Config       map[string]any   `json:"config"`
	Parts        []string         `json:"parts"`
	StartedAt    string           `json:"started_at"`
	FinishedAt   string           `json:"finished_at"`
	Timings      map[string]int64 `json:"timings_ms"`
}

// Segment counts one segment of a run, under its display name.
type Segment struct {
	Segment     string  `json:"segment"`
	Customers   int     `json:"customers"`
	ValueAtRisk float64 `json:"value_at_risk"`
}

// RiskThresholds are the churn probabilities that split one run's
// customers into risk tiers.
type RiskThresholds struct {
	// BaseRate is the mean churn probability of the customers not
	// churned: the population the model scores.
	BaseRate float64 `json:"base_rate"`
	High     float64 `json:"high"`
	Medium   float64 `json:"medium"`
	// HighRelative and MediumRelative tell whether each threshold is a
	// multiple of the base rate (else the configured absolute value).
	HighRelative   bool `json:"high_relative"`
	MediumRelative bool `json:"medium_relative"`
}

// Tier maps a calibrated probability to its risk tier: High at or above
// the high threshold, Medium at or above the medium one, else Low.
func (t RiskThresholds) Tier(p float64) string {
	switch {
	case p >= t.High:
		return High
	case p >= t.Medium:
		return Medium
	}
	return Low
}

// Drift is the population stability index of every feature and of the
// score against the model's training distributions.
type Drift struct {
	Threshold float64            `json:"threshold"`
	PSI       map[string]float64 `json:"psi"`
	Score     float64            `json:"score_psi"`
	Max       float64            `json:"max_feature_psi"`
	MaxName   string             `json:"max_feature"`
	Drifted   []string           `json:"drifted,omitempty"`
}

// Evaluation is how an earlier run's scores did once its horizon passed.
type Evaluation struct {
	AsOf      string  `json:"as_of"`
	Customers int     `json:"customers"`
	ROCAUC    float64 `json:"roc_auc"`
	Lift10    float64 `json:"lift_top_decile"`
	Brier     float64 `json:"brier"`
	ECE       float64 `json:"ece"`
}

// Names returns the run's segment names.
func (m *Manifest) Names() Names { return Names(m.SegmentNames) }

// Raw encodes v for one of the manifest's raw sections; a nil pointer,
// slice or map gives nil, which an omitempty section leaves out.
func Raw(v any) (json.RawMessage, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	if string(b) == "null" {
		return nil, nil
	}
	return b, nil
}

// Run is a finished run folder and its manifest.
type Run struct {
	Dir      string // the as_of=DATE folder
	AsOf     string // YYYY-MM-DD
	Manifest Manifest
	// Parts are the part files' names, as the manifest lists them, or
	// every part-*.parquet of Dir when it lists none.
	Parts []string

	s *store.Store // the folder or bucket the run was opened from
}

// Open reads the manifest of the run of day under out, a folder or a
// bucket URL; Read then reads the parts, through the same store. Its
// errors name the folder; a folder without a readable manifest wraps the
// store's error, a garbled one the decoder's.
func Open(out, day string) (*Run, error) {
	if err := CheckDate(day); err != nil {
		return nil, err
	}
	ctx := context.Background()
	s, err := store.Open(ctx, out, store.Options{})
	if err != nil {
		return nil, err
	}
	name := Folder(day)
	r := &Run{Dir: s.URL(name), AsOf: day, s: s}
	if _, local := s.Local(); local {
		r.Dir = Dir(out, day) // as the caller spelled it
	}
	b, err := s.ReadAll(ctx, name+"/"+ManifestFile)
	if err != nil {
		return nil, fmt.Errorf("run %s has no readable %s (not a finished run?): %w", r.Dir, ManifestFile, err)
	}
	if err := json.Unmarshal(b, &r.Manifest); err != nil {
		return nil, fmt.Errorf("run %s: %s: %w", r.Dir, ManifestFile, err)
	}
	r.Parts = r.Manifest.Parts
	if len(r.Parts) == 0 {
		objs, err := s.List(ctx, name+"/")
		if err != nil {
			return nil, fmt.Errorf("run %s: %w", r.Dir, err)
		}
		for _, o := range objs {
			if p := strings.TrimPrefix(o.Key, name+"/"); strings.HasPrefix(p, "part-") && strings.HasSuffix(p, ".parquet") && !strings.Contains(p, "/") {
				r.Parts = append(r.Parts, p)
			}
		}
	}
	if len(r.Parts) == 0 {
		return nil, fmt.Errorf("run %s has no part-*.parquet files: %w", r.Dir, fs.ErrNotExist)
	}
	for _, p := range r.Parts {
		if p != filepath.Base(p) || strings.Contains(p, "/") || !strings.HasSuffix(p, ".parquet") || strings.HasPrefix(p, ".") {
			return nil, fmt.Errorf("run %s: manifest names part %q outside the run folder: %w", r.Dir, p, ErrBadPart)
		}
	}
	return r, nil
}

// ErrBadPart is a part file that cannot be taken: outside the run folder,
// or with columns unlike the first part's.
var ErrBadPart = errors.New("bad part file")

// Read reads the named columns of every part, concatenated in part
// order; every column when names is empty. Parts must agree on their
// columns' names, kinds and order; a part that does not is an error
// wrapping ErrBadPart that names it.
func (r *Run) Read(names ...string) ([]data.OutColumn, error) {
	var all []data.OutColumn
	for _, p := range r.Parts {
		cols, err := data.ReadStoreColumns(context.Background(), r.s, Folder(r.AsOf)+"/"+p, names...)
		if err != nil {
			return nil, fmt.Errorf("run %s: %w", r.Dir, err)
		}
		if all, err = concat(all, cols); err != nil {
			return nil, fmt.Errorf("run %s: part %s: %w: %w", r.Dir, p, ErrBadPart, err)
		}
	}
	return all, nil
}

// concat appends the rows of next to all, column by column.
func concat(all, next []data.OutColumn) ([]data.OutColumn, error) {
	if all == nil {
		return next, nil
	}
	if len(all) != len(next) {
		return nil, fmt.Errorf("%d columns, want %d as in the first part", len(next), len(all))
	}
	for i := range all {
		a, n := &all[i], next[i]
		if a.Name != n.Name || a.Kind != n.Kind {
			return nil, fmt.Errorf("column %d is %s (%s), want %s (%s) as in the first part", i, n.Name, n.Kind, a.Name, a.Kind)
		}
		a.Strings = append(a.Strings, n.Strings...)
		a.Floats = append(a.Floats, n.Floats...)
		a.Ints = append(a.Ints, n.Ints...)
		a.Times = append(a.Times, n.Times...)
	}
	return all, nil
}

// Pending is a run folder being written. WriteTo puts the part file and
// the manifest into Dir, then calls MarkSuccess and Commit, and Abort on
// any error. fsutil.Pending is the local one (Write uses it); a store
// without an atomic rename, such as an object store, can stage in Dir and
// make Commit upload the parts, then the manifest, then _SUCCESS last,
// which readers trust (Dates).
type Pending interface {
	Dir() string
	MarkSuccess() error
	Commit() error
	Abort() error
}

// Write writes the run of man.AsOf under out: PartFile with cols, then
// the manifest, then SuccessFile, all in a temporary folder that then
// appears whole as as_of=DATE, replacing an earlier run of the same date
// atomically. finish is called just before the manifest is encoded, to
// stamp the run's timings; it may be nil. Write sets man.Parts. On any
// error the temporary folder is removed and the earlier run, if any, is
// left as it was.
func Write(out string, cols []data.OutColumn, man *Manifest, finish func()) error {
	if err := CheckDate(man.AsOf); err != nil {
		return fmt.Errorf("write run: %w", err)
	}
	pending, err := fsutil.CreatePending(out, Folder(man.AsOf))
	if err != nil {
		return fmt.Errorf("write %s: %w", Folder(man.AsOf), err)
	}
	return WriteTo(pending, cols, man, finish)
}

// CreatePending makes the temporary folder of the run of day under out, a
// local folder, for part files that are written into its Dir by others
// (the workers of a distributed run) before CommitParts.
func CreatePending(out, day string) (Pending, error) {
	if err := CheckDate(day); err != nil {
		return nil, fmt.Errorf("write run: %w", err)
	}
	p, err := fsutil.CreatePending(out, Folder(day))
	if err != nil {
		return nil, fmt.Errorf("write %s: %w", Folder(day), err)
	}
	return p, nil
}

// WriteTo writes the run of man.AsOf into p, as Write does, and commits
// it; on any error it aborts p.
func WriteTo(p Pending, cols []data.OutColumn, man *Manifest, finish func()) error {
	if err := CheckDate(man.AsOf); err != nil {
		p.Abort()
		return fmt.Errorf("write run: %w", err)
	}
	if err := data.WriteParquet(filepath.Join(p.Dir(), PartFile), cols, data.WriteOptions{}); err != nil {
		p.Abort()
		return fmt.Errorf("write %s: %w", PartFile, err)
	}
	return CommitParts(p, []string{PartFile}, man, finish)
}

// staged reports whether the part file pt is written: in p.Dir(), or,
// for a Pending whose parts others wrote to a bucket (store.Pending),
// where they put it.
func staged(p Pending, pt string) error {
	if s, ok := p.(interface{ Staged(name string) error }); ok {
		return s.Staged(pt)
	}
	_, err := os.Stat(filepath.Join(p.Dir(), pt))
	return err
}

// CommitParts finishes the run of man.AsOf in p, whose part files, named
// parts (in customer order), are already written in p.Dir() (or, for a
// bucket's store.Pending, under its Staging prefix): it sets
// man.Parts, calls finish, writes the manifest, then MarkSuccess and
// Commit. A part missing from p.Dir() is an error. On any error it
// aborts p, so readers never see the run.
func CommitParts(p Pending, parts []string, man *Manifest, finish func()) (err error) {
	name := Folder(man.AsOf)
	defer func() {
		if err != nil {
			p.Abort()
		}
	}()
	if err := CheckDate(man.AsOf); err != nil {
		return fmt.Errorf("write run: %w", err)
	}
	if len(parts) == 0 {
		return fmt.Errorf("write %s: no part files", name)
	}
	for _, pt := range parts {
		if pt != filepath.Base(pt) || !strings.HasPrefix(pt, "part-") || !strings.HasSuffix(pt, ".parquet") {
			return fmt.Errorf("write %s: part %q: %w", name, pt, ErrBadPart)
		}
		if err := staged(p, pt); err != nil {
			return fmt.Errorf("write %s: %w", name, err)
		}
	}
	man.Parts = slices.Clone(parts)
	if finish != nil {
		finish()
	}
	b, err := json.MarshalIndent(man, "", "  ")
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	if err := os.WriteFile(filepath.Join(p.Dir(), ManifestFile), append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write manifest: %w", err)
	}
	if err := p.MarkSuccess(); err != nil {
		return err
	}
	if err := p.Commit(); err != nil {
		return fmt.Errorf("commit %s: %w", name, err)
	}
	return nil
}

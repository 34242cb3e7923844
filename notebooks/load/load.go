// Package load reads a contract dataset for the notebooks: the embedded
// sample or any folder, whole tables into memory (fine for exploration,
// never for the job, which streams) and feature frames built exactly as the
// job builds them.
//
// The job's own loader (jobs.loadFrame) is unexported and logs progress;
// this package is the small synchronous equivalent a notebook needs.
package load

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"churn/data"
	"churn/data/sample"
	"churn/features"
)

// Dataset discovers the dataset at root. An empty root means the embedded
// sample, materialized once under the system's temporary folder.
func Dataset(root string) (*data.Dataset, error) {
	if root == "" {
		var err error
		root, err = sample.Materialize(filepath.Join(os.TempDir(), "churn-notebooks-sample"))
		if err != nil {
			return nil, err
		}
	}
	return data.Discover(root)
}

// All reads every file of table t into memory, strings cloned out of the
// reused batches. Rows the readers skip are counted in the returned stats.
func All[T data.Row](ctx context.Context, ds *data.Dataset, t data.Table, opt data.ReadOptions) ([]T, data.FileStats, error) {
	var out []T
	total := data.FileStats{Skipped: map[string]int64{}, Cleaned: map[string]int64{}}
	for _, f := range ds.Files[t] {
		st, err := data.ReadFile(ctx, f, opt, func(batch []T) error {
			for _, r := range batch {
				cloneStrings(&r)
				out = append(out, r)
			}
			return nil
		})
		if err != nil {
			return nil, total, fmt.Errorf("read %s: %w", f.Rel, err)
		}
		total.Rows += st.Rows
		total.Kept += st.Kept
		for k, v := range st.Skipped {
			total.Skipped[k] += v
		}
		for k, v := range st.Cleaned {
			total.Cleaned[k] += v
		}
	}
	return out, total, nil
}

// cloneStrings copies every string field of the row struct *p, so it no
// longer points into a reader's buffer.
func cloneStrings[T any](p *T) {
	v := reflect.ValueOf(p).Elem()
	for i := 0; i < v.NumField(); i++ {
		if f := v.Field(i); f.Kind() == reflect.String {
			f.SetString(strings.Clone(f.String()))
		}
	}
}

// Frame builds the feature frame of ds at the cutoffs as the job does:
// customers first, then every history table present, each read with
// data.ReadOptions{Until: until} (0: no bound). Tables without files are
// reported absent to Build, so their families are NaN.
func Frame(ctx context.Context, ds *data.Dataset, cfg features.Config, cutoffs []int64, dataEnd, until int64) (*features.Frame, error) {
	b, err := features.NewBuilder(cfg, cutoffs, dataEnd)
	if err != nil {
		return nil, err
	}
	opt := data.ReadOptions{Until: until}
	if err := feed(ctx, ds, data.Customers, data.ReadOptions{}, func(r []data.Customer) { b.AddCustomers(r) }); err != nil {
		return nil, err
	}
	b.Freeze()
	// The catalog (event mix, automated events) from the events before
	// the latest cutoff, and the sessions when an event name fires on
	// nearly every day, as training learns it.
	p := b.NewEventProfile(cutoffs[len(cutoffs)-1])
	if err := feed(ctx, ds, data.Events, opt, func(r []data.Event) { p.AddEventRows(r) }); err != nil {
		return nil, err
	}
	if p.NeedsSessions() && len(ds.Files[data.Sessions]) > 0 {
		if err := feed(ctx, ds, data.Sessions, opt, func(r []data.Session) { p.AddSessionRows(r) }); err != nil {
			return nil, err
		}
	}
	b.SetCatalog(b.CatalogWith(p.Catalog(cfg.EventVocab)))
	present := map[data.Table]bool{}
	for _, t := range data.Tables {
		if t == data.Customers || len(ds.Files[t]) == 0 {
			continue
		}
		present[t] = true
		for _, f := range ds.Files[t] {
			if _, err := data.ReadKeyedBatches(ctx, f, opt, b.Index, b.AddResolved); err != nil {
				return nil, fmt.Errorf("read %s: %w", f.Rel, err)
			}
		}
	}
	return b.Build(present)
}

func feed[T data.Row](ctx context.Context, ds *data.Dataset, t data.Table, opt data.ReadOptions, add func([]T)) error {
	for _, f := range ds.Files[t] {
		if _, err := data.ReadFile(ctx, f, opt, func(batch []T) error { add(batch); return nil }); err != nil {
			return fmt.Errorf("read %s: %w", f.Rel, err)
		}
	}
	return nil
}

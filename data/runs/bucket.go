package runs

import (
	"context"
	"encoding/json"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"churn/data/store"
)

// bucketDates is Dates for a bucket URL: the as_of=YYYY-MM-DD/ prefixes
// that hold a SuccessFile object. A bucket has no atomic rename, so a run's
// objects appear one by one, and SuccessFile, uploaded last, is what says
// the run is whole. A prefix that holds nothing gives no dates.
func bucketDates(out string) ([]string, error) {
	ctx := context.Background()
	s, err := store.Open(ctx, out, store.Options{})
	if err != nil {
		return nil, err
	}
	defer s.Close()
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

// openBucket is Open for a bucket URL; Read then reads the parts with
// ranged requests.
func openBucket(out, day string) (*Run, error) {
	ctx := context.Background()
	s, err := store.Open(ctx, out, store.Options{})
	if err != nil {
		return nil, err
	}
	name := Folder(day)
	r := &Run{Dir: s.URL(name), AsOf: day, s: s}
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
			return nil, err
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
		if strings.Contains(p, "/") || !strings.HasSuffix(p, ".parquet") || strings.HasPrefix(p, ".") {
			return nil, fmt.Errorf("run %s: manifest names part %q outside the run folder: %w", r.Dir, p, ErrBadPart)
		}
	}
	return r, nil
}

package jobs

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"churn/data"
	"churn/features"
	"churn/jobs/trainset"
)

// cutoffsFrame is a frame of rows at each of cutoffs, n rows a cutoff,
// whose values say which row they are.
func cutoffsFrame(cutoffs []int64, n int) *features.Frame {
	f := &features.Frame{Names: []string{"a", "b"}}
	for k, c := range cutoffs {
		for i := range n {
			f.CustomerID = append(f.CustomerID, fmt.Sprintf("c%03d", i))
			f.Cutoff = append(f.Cutoff, c)
			f.X = append(f.X, float64(k*1000+i), -float64(i))
			f.Label = append(f.Label, float64(i%2))
			f.Status = append(f.Status, features.Active)
			f.Plan = append(f.Plan, "basic")
			f.Region = append(f.Region, "north")
			f.Contractual = append(f.Contractual, false)
			f.SignupAt = append(f.SignupAt, 0)
			f.CancelledAt = append(f.CancelledAt, data.NoTime)
			for _, col := range []*[]float64{&f.RFMx, &f.RFMtx, &f.RFMT, &f.MeanRepeat, &f.SpendRate, &f.Margin} {
				*col = append(*col, math.NaN())
			}
		}
	}
	return f
}

// TestTrainingFrameCache: the entries written at the same time are each
// cutoff's rows, read back whole by the next train; a cache that cannot be
// written fails the train with the cache's error, as a write one at a
// time did.
func TestTrainingFrameCache(t *testing.T) {
	cutoffs := []int64{100, 200, 300, 400, 500}
	ds := &data.Dataset{Files: map[data.Table][]data.File{}}
	load := func(missing []int64) (*loaded, []int, error) {
		counts := make([]int, len(missing))
		for k := range counts {
			counts[k] = 20 + k
		}
		return &loaded{Frame: cutoffsFrame(missing, 7), Rows: map[data.Table]int64{data.Customers: 7}}, counts, nil
	}

	dir := t.TempDir()
	cache, err := trainset.NewCache(filepath.Join(dir, "cache"), "test", ds, 1000, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, cached, err := trainingFrame(load, cache, cutoffs); err != nil || cached != 0 {
		t.Fatalf("first frame: %d cached, %v", cached, err)
	}
	want := cutoffsFrame(cutoffs, 7)
	for k, c := range cutoffs {
		e, ok := cache.Load(c)
		if !ok {
			t.Fatalf("cutoff %d: no cache entry", c)
		}
		if e.Built != 20+k || e.Frame.Rows() != 7 {
			t.Fatalf("cutoff %d: %d rows, built %d; want 7, %d", c, e.Frame.Rows(), e.Built, 20+k)
		}
		if got, w := fmt.Sprint(e.Frame.X, e.Frame.CustomerID), fmt.Sprint(want.X[k*14:(k+1)*14], want.CustomerID[k*7:(k+1)*7]); got != w {
			t.Fatalf("cutoff %d: rows %s, want %s", c, got, w)
		}
	}
	ld, built, cached, err := trainingFrame(func([]int64) (*loaded, []int, error) {
		return nil, nil, errors.New("read although every cutoff is cached")
	}, cache, cutoffs)
	if err != nil || cached != len(cutoffs) {
		t.Fatalf("second frame: %d cached, %v", cached, err)
	}
	if fmt.Sprint(ld.Frame.X) != fmt.Sprint(want.X) || fmt.Sprint(built) != "[20 21 22 23 24]" {
		t.Fatalf("second frame: %v built %v, want %v", ld.Frame.X, built, want.X)
	}

	blocked := filepath.Join(dir, "blocked")
	if err := os.WriteFile(blocked, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	bad, err := trainset.NewCache(blocked, "test", ds, 1000, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := trainingFrame(load, bad, cutoffs); err == nil || !strings.Contains(err.Error(), "feature cache") {
		t.Fatalf("cache folder a file: %v, want the feature cache's error", err)
	}
}

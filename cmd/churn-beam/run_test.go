package main

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"churn/features"
	"churn/jobs"
)

// TestSpillRange: a range's frames spilled twice (a retried step) are the
// same bytes, read back they are the frames, NaN included, and a missing
// or damaged file is an error naming it.
func TestSpillRange(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), rangesFolder)
	f := &features.Frame{Names: []string{"a", "b"}, CustomerID: []string{"c1", "c2"}, Cutoff: []int64{5, 5},
		X: []float64{1, math.NaN(), -0.5, 3}, Label: []float64{math.NaN(), 1}, Status: []features.Status{features.Active, features.Churned},
		Plan: []string{"basic", "pro"}, Region: []string{"eu", "us"}, Families: []features.FamilyStatus{{Name: "events", Built: true}},
		Catalog: &features.Catalog{Events: []string{"login"}}}
	earlier := &features.Frame{CustomerID: []string{"c1"}, Label: []float64{0}}
	rf := &rangeFrames{Range: 3, Frames: []*features.Frame{earlier, f}}
	path, err := spillRange(ctx, dir, "frames-00003.gob.zst", rf)
	if err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := spillRange(ctx, dir, "frames-00003.gob.zst", rf); err != nil {
		t.Fatal(err)
	}
	again, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, again) {
		t.Errorf("a retried spill wrote other bytes (%d, then %d)", len(first), len(again))
	}
	if left, _ := filepath.Glob(filepath.Join(dir, "*.tmp-*")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
	got, err := readFrames(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if got.Range != 3 || len(got.Frames) != 2 || got.last().Rows() != 2 {
		t.Fatalf("read back range %d with %d frames", got.Range, len(got.Frames))
	}
	for i, v := range f.X {
		if math.Float64bits(got.last().X[i]) != math.Float64bits(v) {
			t.Errorf("X[%d] = %v, want %v", i, got.last().X[i], v)
		}
	}
	g, w := *got.last(), *f
	g.X, w.X, g.Label, w.Label = nil, nil, nil, nil
	if !reflect.DeepEqual(&g, &w) || !reflect.DeepEqual(got.Frames[0], earlier) {
		t.Errorf("read back %+v, want %+v", got.Frames, rf.Frames)
	}
	if _, err := readFrames(ctx, filepath.Join(dir, "frames-00009.gob.zst")); err == nil {
		t.Error("a missing file read without error")
	}
	bad := filepath.Join(dir, "scored-00001.gob.zst")
	if err := os.WriteFile(bad, first[:len(first)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := readRange(ctx, bad, &jobs.ScoredRange{}); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("a cut file: %v, want an error naming %s", err, bad)
	}

	// A scored range's frame comes back with its X; a frame whose X
	// holds more than its rows times its columns is refused, as damaged.
	sr := &jobs.ScoredRange{Range: 1, Frame: f, Scores: &jobs.Scores{}}
	if path, err = spillRange(ctx, dir, "scored-00001.gob.zst", sr); err != nil {
		t.Fatal(err)
	}
	back := &jobs.ScoredRange{}
	if err := readRange(ctx, path, back); err != nil {
		t.Fatal(err)
	}
	if back.Frame == nil || len(back.Frame.X) != len(f.X) || back.Frame.X[0] != f.X[0] || !math.IsNaN(back.Frame.X[1]) {
		t.Errorf("the scored range's frame read back as %+v", back.Frame)
	}
	long := *f
	long.X = append(slices.Clone(f.X), 7)
	if path, err = spillRange(ctx, dir, "frames-00004.gob.zst", &rangeFrames{Range: 4, Frames: []*features.Frame{&long}}); err != nil {
		t.Fatal(err)
	}
	if _, err := readFrames(ctx, path); !errors.Is(err, features.ErrMatrixSize) || !strings.Contains(err.Error(), path) {
		t.Errorf("a frame of 5 values for 2 rows of 2 columns: %v, want ErrMatrixSize naming %s", err, path)
	}
}

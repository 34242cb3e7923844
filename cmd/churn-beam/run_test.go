package main

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"churn/features"
	"churn/jobs"
)

// TestSpillRange: a range's frames spilled twice (a retried step) are the
// same bytes, read back they are the frames, NaN included, and a missing
// or damaged file is an error naming it.
func TestSpillRange(t *testing.T) {
	dir := filepath.Join(t.TempDir(), rangesFolder)
	f := &features.Frame{Names: []string{"a", "b"}, CustomerID: []string{"c1", "c2"}, Cutoff: []int64{5, 5},
		X: []float64{1, math.NaN(), -0.5, 3}, Label: []float64{math.NaN(), 1}, Status: []features.Status{features.Active, features.Churned},
		Plan: []string{"basic", "pro"}, Region: []string{"eu", "us"}, Families: []features.FamilyStatus{{Name: "events", Built: true}},
		Catalog: &features.Catalog{Events: []string{"login"}}}
	earlier := &features.Frame{CustomerID: []string{"c1"}, Label: []float64{0}}
	rf := &rangeFrames{Range: 3, Frames: []*features.Frame{earlier, f}}
	path, err := spillRange(dir, "frames-00003.gob.zst", rf)
	if err != nil {
		t.Fatal(err)
	}
	first, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := spillRange(dir, "frames-00003.gob.zst", rf); err != nil {
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
	got, err := readFrames(path)
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
	if _, err := readFrames(filepath.Join(dir, "frames-00009.gob.zst")); err == nil {
		t.Error("a missing file read without error")
	}
	bad := filepath.Join(dir, "scored-00001.gob.zst")
	if err := os.WriteFile(bad, first[:len(first)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := readRange(bad, &jobs.ScoredRange{}); err == nil || !strings.Contains(err.Error(), bad) {
		t.Errorf("a cut file: %v, want an error naming %s", err, bad)
	}
}

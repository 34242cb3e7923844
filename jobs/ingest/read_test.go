package ingest

import (
	"context"
	"math"
	"path/filepath"
	"reflect"
	"slices"
	"testing"

	"github.com/rs/zerolog"

	"churn/data"
	"churn/data/synth"
	"churn/features"
)

// TestReadIntoSkipsNoFeature holds ReadInto, which does not read the
// events' quantity, to a fold of every table's full batches
// (data.ReadKeyedBatches): the same rows, stats and feature frame, value
// for value.
func TestReadIntoSkipsNoFeature(t *testing.T) {
	ctx := context.Background()
	dir := filepath.Join(t.TempDir(), "data")
	sc := synth.DefaultConfig()
	sc.Customers, sc.Days, sc.Seed = 800, 240, 7
	if _, err := synth.Generate(ctx, sc, dir); err != nil {
		t.Fatal(err)
	}
	ds, err := data.Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	end := sc.End.UnixNano()
	cutoffs := []int64{end - 60*int64(features.Day), end}
	opt := data.ReadOptions{Until: end}
	build := func(full bool) (*features.Frame, []data.FileStats) {
		b, err := features.NewBuilder(features.DefaultConfig(), cutoffs, end)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range ds.Files[data.Customers] {
			if _, err := data.ReadFile(ctx, f, opt, func(rows []data.Customer) error { b.AddCustomers(rows); return nil }); err != nil {
				t.Fatal(err)
			}
		}
		b.Freeze()
		prog := NewReporter(zerolog.Nop(), 1, nil)
		var stats []data.FileStats
		present := map[data.Table]bool{data.Customers: true}
		for _, tb := range data.Tables[1:] {
			for _, f := range ds.Files[tb] {
				present[tb] = true
				fold := func(batch any, idx []int32) error { return b.AddResolved(batch, idx) }
				var st data.FileStats
				if full {
					st, err = data.ReadKeyedBatches(ctx, f, opt, b.Index, fold)
				} else {
					var rs ReadStats
					rs, err = ReadInto(ctx, b, f, opt, prog, fold)
					st = rs.Stats
				}
				if err != nil {
					t.Fatal(err)
				}
				stats = append(stats, st)
			}
		}
		fr, err := b.Build(present)
		if err != nil {
			t.Fatal(err)
		}
		return fr, stats
	}
	want, wantStats := build(true)
	got, gotStats := build(false)
	if len(ds.Files[data.Events]) == 0 || got.Rows() == 0 {
		t.Fatalf("the generated data has %d event files, the frame %d rows", len(ds.Files[data.Events]), got.Rows())
	}
	if !slices.Equal(got.Names, want.Names) || !slices.Equal(got.CustomerID, want.CustomerID) || len(got.X) != len(want.X) {
		t.Fatalf("frames differ in shape: %d x %d, want %d x %d", got.Rows(), len(got.Names), want.Rows(), len(want.Names))
	}
	for i := range got.X {
		if math.Float64bits(got.X[i]) != math.Float64bits(want.X[i]) {
			t.Fatalf("row %d %s: %v, want %v", i/len(got.Names), got.Names[i%len(got.Names)], got.X[i], want.X[i])
		}
	}
	if !reflect.DeepEqual(gotStats, wantStats) {
		t.Errorf("file stats %+v, want %+v", gotStats, wantStats)
	}
}

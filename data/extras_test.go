package data

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestReadExtras: the extra columns of a customers file, numbers, text,
// timestamps and nulls, come back as text; the contract's do not count as
// extra, under a mapping too.
func TestReadExtras(t *testing.T) {
	path := filepath.Join(t.TempDir(), "customers", "part-0.parquet")
	signup := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC).UnixNano()
	cols := []OutColumn{
		{Name: "id", Kind: String, Strings: []string{"a", "b", "c"}},
		{Name: "signup_at", Kind: Timestamp, Times: []int64{signup, signup, signup}},
		{Name: "plan", Kind: String, Strings: []string{"x", "y", ""}},
		{Name: "seats", Kind: Float, Floats: []float64{3, 2.5, math.NaN()}},
		{Name: "industry", Kind: String, Strings: []string{"retail", "", "bank"}},
		{Name: "employees", Kind: Int, Ints: []int64{10, 2000, -1}},
		{Name: "renewal", Kind: Timestamp, Times: []int64{signup, NoTime, signup}},
	}
	if err := WriteParquet(path, cols, WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	f := File{Table: Customers, Path: path, Rel: "customers/part-0.parquet"}
	m := Mapping{Customers: {"customer_id": "id"}}
	names, err := ExtraColumns(f, m)
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"seats", "industry", "employees", "renewal"}; !slices.Equal(names, want) {
		t.Fatalf("extra columns %q, want %q", names, want)
	}
	var ids []string
	got := make([][]string, 3)
	err = ReadExtras(context.Background(), f, m, []string{"seats", "industry", "employees", "absent"}, func(id []string, v [][]string) error {
		ids = append(ids, id...)
		for j := range got {
			got[j] = append(got[j], v[j]...)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(ids, []string{"a", "b", "c"}) {
		t.Errorf("ids %q", ids)
	}
	for j, want := range [][]string{{"3", "2.5", ""}, {"retail", "", "bank"}, {"10", "2000", "-1"}} {
		if !slices.Equal(got[j], want) {
			t.Errorf("column %d: %q, want %q", j, got[j], want)
		}
	}
	if _, err := ExtraColumns(File{Table: Customers, Path: filepath.Join(t.TempDir(), "none.parquet")}, nil); err == nil {
		t.Error("a missing file gave no error")
	}
}

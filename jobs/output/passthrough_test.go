package output

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"churn/data"
	"churn/jobs/ingest"
)

// TestPassthroughColumns: named customers/ columns come out as text in the
// order of the ids, whatever their type; a customer missing from
// customers/ gets ""; a column no file has, or one that clashes with an
// output column, is invalid input.
func TestPassthroughColumns(t *testing.T) {
	dir := t.TempDir()
	signup := time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC).UnixNano()
	cols := []data.OutColumn{
		{Name: "id", Kind: data.String, Strings: []string{"b", "a"}},
		{Name: "signup_at", Kind: data.Timestamp, Times: []int64{signup, signup}},
		{Name: "email", Kind: data.String, Strings: []string{"b@x.org", "a@x.org"}},
		{Name: "crm_id", Kind: data.Int, Ints: []int64{42, 7}},
	}
	if err := data.WriteParquet(filepath.Join(dir, "customers", "part-0.parquet"), cols, data.WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	ds, err := data.Discover(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := data.Mapping{data.Customers: {"customer_id": "id"}}
	got, err := PassthroughColumns(ds, m, []string{"email", "crm_id"}, []string{"a", "b", "c"})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]string{{"a@x.org", "b@x.org", ""}, {"7", "42", ""}}
	for k, c := range got {
		if c.Kind != data.String || !slices.Equal(c.Strings, want[k]) {
			t.Errorf("%s: %v, want %v", c.Name, c.Strings, want[k])
		}
	}
	_, err = PassthroughColumns(ds, m, []string{"email", "owner"}, []string{"a"})
	if !errors.Is(err, ingest.ErrInvalidInput) || !strings.Contains(err.Error(), "no column owner") {
		t.Errorf("missing column: %v, want invalid input naming owner", err)
	}
	_, err = InsertAfter([]data.OutColumn{{Name: "customer_id"}, {Name: "region"}}, "region", []data.OutColumn{{Name: "region"}})
	if !errors.Is(err, ingest.ErrInvalidInput) {
		t.Errorf("a passthrough column named region: %v, want invalid input", err)
	}
}

package trainset

import (
	"bytes"
	"fmt"
	"maps"
	"math"
	"os"
	"reflect"
	"testing"

	"churn/data"
	"churn/features"
)

// TestFeatureCacheRoundTrip: an entry reads back as stored, X bit for bit
// (NaN included); a truncated entry is a miss and is removed.
func TestFeatureCacheRoundTrip(t *testing.T) {
	c := &Cache{dir: t.TempDir(), base: "k"}
	f := &features.Frame{
		Names:       []string{"a", "b", "c"},
		CustomerID:  []string{"x", "y"},
		Cutoff:      []int64{5, 5},
		X:           []float64{1, math.NaN(), -0.5, math.Inf(1), 1e-300, 3},
		Label:       []float64{0, math.NaN()},
		Status:      []features.Status{features.Active, features.New},
		Plan:        []string{"p", "q"},
		Region:      []string{"r", "s"},
		Contractual: []bool{true, false},
		SignupAt:    []int64{1, 2},
		CancelledAt: []int64{3, 4},
		RFMx:        []float64{1, 2}, RFMtx: []float64{1, 2}, RFMT: []float64{1, 2},
		MeanRepeat: []float64{1, 2}, SpendRate: []float64{1, 2}, Margin: []float64{1, 2},
	}
	if err := c.Store(5, &Entry{Frame: f, Built: 7, Skipped: map[string]int64{"t": 1}}); err != nil {
		t.Fatal(err)
	}
	e, ok := c.Load(5)
	if !ok {
		t.Fatal("stored entry not found")
	}
	if len(e.Frame.X) != len(f.X) {
		t.Fatalf("X holds %d values, want %d", len(e.Frame.X), len(f.X))
	}
	for i, v := range f.X {
		if math.Float64bits(e.Frame.X[i]) != math.Float64bits(v) {
			t.Fatalf("X[%d] = %v, want %v", i, e.Frame.X[i], v)
		}
	}
	if !reflect.DeepEqual(e.Frame.CustomerID, f.CustomerID) || e.Skipped["t"] != 1 || e.Built != 7 || len(e.Frame.Margin) != 2 {
		t.Fatalf("entry read back as %+v", e)
	}
	p := c.path(5)
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, b[:len(b)-8], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok := c.Load(5); ok {
		t.Fatal("truncated entry loaded")
	}
	if _, err := os.Stat(p); !os.IsNotExist(err) {
		t.Fatalf("truncated entry kept: %v", err)
	}
}

// TestFeatureCacheBytesStable: the same entry stored twice gives the same
// bytes whatever order its count maps iterate in, and the counts read back.
func TestFeatureCacheBytesStable(t *testing.T) {
	f := &features.Frame{Names: []string{"a"}, CustomerID: []string{"x"}, Cutoff: []int64{5}, X: []float64{1}}
	skipped := map[string]int64{}
	for i := range 40 {
		skipped[fmt.Sprintf("reason-%02d", i)] = int64(i + 1)
	}
	e := &Entry{Frame: f, Skipped: skipped, Cleaned: map[string]int64{"b": 2, "a": 1},
		Rows: map[data.Table]int64{data.Sessions: 7, data.Events: 9, data.Customers: 3}}
	var first []byte
	for run := range 5 {
		c := &Cache{dir: t.TempDir(), base: "k"}
		if err := c.Store(5, e); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(c.path(5))
		if err != nil {
			t.Fatal(err)
		}
		if run == 0 {
			first = b
		} else if !bytes.Equal(b, first) {
			t.Fatalf("store %d wrote other bytes than store 0", run)
		}
		got, ok := c.Load(5)
		if !ok {
			t.Fatal("stored entry not found")
		}
		if !maps.Equal(got.Skipped, e.Skipped) || !maps.Equal(got.Cleaned, e.Cleaned) || !maps.Equal(got.Rows, e.Rows) {
			t.Fatalf("counts read back as %v %v %v", got.Skipped, got.Cleaned, got.Rows)
		}
	}
}

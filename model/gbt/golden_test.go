package gbt

import (
	"flag"
	"math"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/model_v1.bin")

// TestLoadVersion1 loads a committed model file of encoding version 1,
// which the packed layout and the TreeSHAP tables leave unchanged (both
// are derived on load, not stored), and checks that prediction through the
// packed trees equals the node walk bit for bit and that contributions
// sum to the margin. go test -run TestLoadVersion1 -update rewrites it.
func TestLoadVersion1(t *testing.T) {
	path := filepath.Join("testdata", "model_v1.bin")
	if *update {
		p := DefaultParams()
		p.Trees, p.MaxDepth, p.EarlyStopping = 20, 5, 0
		m, err := Fit(wide(2000, 12, 7), nil, p)
		if err != nil {
			t.Fatal(err)
		}
		b, err := m.MarshalBinary()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if v := int(b[4]) | int(b[5])<<8; v != 1 {
		t.Fatalf("testdata holds version %d, want 1", v)
	}
	var m Model
	if err := m.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if m.packed == nil || m.Cols() != 12 || len(m.roots) != 20 {
		t.Fatalf("packed %v, cols %d, trees %d; want packed, 12, 20", m.packed != nil, m.Cols(), len(m.roots))
	}
	X := oddRows(&m, 200, 1)
	want := walkMargin(&m, X)
	got := make([]float64, 200)
	m.PredictMargin(got, X)
	phi := make([]float64, m.cols+1)
	for i := range got {
		if math.Float64bits(got[i]) != math.Float64bits(want[i]) {
			t.Fatalf("row %d: margin %v, want %v", i, got[i], want[i])
		}
		m.Contributions(phi, X[i*m.cols:(i+1)*m.cols])
		var sum float64
		for _, v := range phi {
			sum += v
		}
		if math.Abs(sum-got[i]) > shapTol {
			t.Fatalf("row %d: contributions sum to %v, margin %v", i, sum, got[i])
		}
	}
}

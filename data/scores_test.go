package data

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
)

func TestReadColumnsRoundTrip(t *testing.T) {
	const n = 2500 // several batches of row groups of 1000
	ids := make([]string, n)
	plan := make([]string, n)
	prob := make([]float64, n)
	ints := make([]int64, n)
	times := make([]int64, n)
	days := make([]int64, n)
	for i := range ids {
		ids[i] = "c" + strings.Repeat("x", i%7) + string(rune('a'+i%26))
		if i%5 != 0 {
			plan[i] = "pro"
		}
		prob[i] = float64(i) / n
		if i%9 == 0 {
			prob[i] = math.NaN()
		}
		ints[i] = int64(i) - 1000
		times[i] = 1_700_000_000_000_000_000 + int64(i)*1_000_000 // whole milliseconds
		if i%11 == 0 {
			times[i] = NoTime
		}
		days[i] = int64(19000+i%400) * 86400 * 1e9
	}
	want := []OutColumn{
		{Name: "customer_id", Kind: String, Strings: ids},
		{Name: "plan", Kind: String, Strings: plan},
		{Name: "churn_probability", Kind: Float, Floats: prob},
		{Name: "tickets_open", Kind: Int, Ints: ints},
		{Name: "as_of", Kind: Timestamp, Times: times},
		{Name: "signup", Kind: Timestamp, Date: true, Times: days},
	}
	path := filepath.Join(t.TempDir(), "part-00000.parquet")
	if err := WriteParquet(path, want, WriteOptions{RowGroupRows: 1000}); err != nil {
		t.Fatal(err)
	}
	got, skipped, err := ReadColumnsSkipped(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(skipped) != 0 {
		t.Errorf("skipped %v, want none", skipped)
	}
	if len(got) != len(want) {
		t.Fatalf("got %d columns, want %d", len(got), len(want))
	}
	for c := range want {
		g, w := got[c], want[c]
		if g.Name != w.Name || g.Kind != w.Kind || g.Date != w.Date {
			t.Errorf("column %d: got %s %s date=%v, want %s %s date=%v", c, g.Name, g.Kind, g.Date, w.Name, w.Kind, w.Date)
			continue
		}
		ok := true
		switch w.Kind {
		case String:
			ok = slices.Equal(g.Strings, w.Strings)
		case Float:
			ok = slices.EqualFunc(g.Floats, w.Floats, func(a, b float64) bool { return a == b || math.IsNaN(a) && math.IsNaN(b) })
		case Int:
			ok = slices.Equal(g.Ints, w.Ints)
		case Timestamp:
			ok = slices.Equal(g.Times, w.Times)
		}
		if !ok {
			t.Errorf("column %s: values differ after the round trip", w.Name)
		}
	}
}

func TestReadColumnsSkipsUnsupported(t *testing.T) {
	type row struct {
		ID     string  `parquet:"customer_id"`
		Active bool    `parquet:"active"`
		Score  float32 `parquet:"score"`
		Pages  int32   `parquet:"pages"`
	}
	path := filepath.Join(t.TempDir(), "other.parquet")
	if err := parquet.WriteFile(path, []row{{"a", true, 0.5, 3}, {"b", false, 1.5, 4}}); err != nil {
		t.Fatal(err)
	}
	got, skipped, err := ReadColumnsSkipped(path)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(skipped, []string{"active"}) {
		t.Errorf("skipped %v, want [active]", skipped)
	}
	var names []string
	for _, c := range got {
		names = append(names, c.Name)
	}
	if !slices.Equal(names, []string{"customer_id", "score", "pages"}) {
		t.Fatalf("columns %v, want [customer_id score pages]", names)
	}
	if got[1].Kind != Float || got[1].Floats[1] != 1.5 {
		t.Errorf("score: got %s %v, want double [0.5 1.5]", got[1].Kind, got[1].Floats)
	}
	if got[2].Kind != Int || got[2].Ints[1] != 4 {
		t.Errorf("pages: got %s %v, want int [3 4]", got[2].Kind, got[2].Ints)
	}
}

func TestReadColumnsBadFiles(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.parquet")
	if err := os.WriteFile(garbage, []byte("PAR1 this is not parquet at all PAR1"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		path string
		want error
	}{
		{"missing", filepath.Join(dir, "missing.parquet"), os.ErrNotExist},
		{"garbage", garbage, ErrCorrupt},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadColumns(tt.path)
			if !errors.Is(err, tt.want) {
				t.Fatalf("got %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error %q does not name the file", err)
			}
		})
	}
}

// FuzzReadColumns feeds arbitrary bytes as a Parquet file: ReadColumns
// must return columns or an error naming the file, never panic.
func FuzzReadColumns(f *testing.F) {
	dir := f.TempDir()
	seed := filepath.Join(dir, "seed.parquet")
	cols := []OutColumn{
		{Name: "customer_id", Kind: String, Strings: []string{"a", "", "c"}},
		{Name: "p", Kind: Float, Floats: []float64{0.1, math.NaN(), 0.3}},
		{Name: "t", Kind: Timestamp, Times: []int64{0, NoTime, 86400e9}},
	}
	if err := WriteParquet(seed, cols, WriteOptions{}); err != nil {
		f.Fatal(err)
	}
	b, err := os.ReadFile(seed)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Add([]byte("PAR1PAR1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		path := filepath.Join(t.TempDir(), "fuzz.parquet")
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := ReadColumns(path)
		if err != nil {
			if !strings.Contains(err.Error(), path) {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		for _, c := range got {
			if c.Len() != got[0].Len() {
				t.Fatalf("column %s has %d values, %s %d", c.Name, c.Len(), got[0].Name, got[0].Len())
			}
		}
	})
}

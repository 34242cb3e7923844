package data

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/apache/arrow/go/v17/arrow"
	"github.com/apache/arrow/go/v17/arrow/array"
	"github.com/apache/arrow/go/v17/arrow/memory"
	"github.com/apache/arrow/go/v17/parquet/file"
	"github.com/apache/arrow/go/v17/parquet/pqarrow"
)

func outColumns() []OutColumn {
	return []OutColumn{
		{Name: "customer_id", Kind: String, Strings: []string{"c1", "", "c3"}},
		{Name: "as_of", Kind: Timestamp, Date: true, Times: []int64{t0, t0, NoTime}},
		{Name: "churn_probability", Kind: Float, Floats: []float64{0.25, math.NaN(), 1}},
		{Name: "rank", Kind: Int, Ints: []int64{1, 2, 3}},
		{Name: "scored_at", Kind: Timestamp, Times: []int64{t0 + 1_999_999, NoTime, 0}},
	}
}

func TestWriteParquet(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.parquet"), filepath.Join(dir, "b.parquet")
	for _, p := range []string{a, b} {
		if err := WriteParquet(p, outColumns(), WriteOptions{RowGroupRows: 2}); err != nil {
			t.Fatal(err)
		}
	}
	ab, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if !bytes.Equal(ab, bb) {
		t.Error("same columns gave different bytes")
	}
	f, err := os.Open(a)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	pr, err := file.NewParquetReader(f)
	if err != nil {
		t.Fatal(err)
	}
	fr, err := pqarrow.NewFileReader(pr, pqarrow.ArrowReadProperties{BatchSize: 10}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	tbl, err := fr.ReadTable(context.Background()) // a test may read whole files
	if err != nil {
		t.Fatal(err)
	}
	defer tbl.Release()
	wantTypes := []string{"utf8", "date32", "float64", "int64", "timestamp[ms, tz=UTC]"}
	for i, w := range wantTypes {
		f := tbl.Schema().Field(i)
		if f.Name != outColumns()[i].Name || f.Type.String() != w {
			t.Errorf("column %d = %s %s, want %s %s", i, f.Name, f.Type, outColumns()[i].Name, w)
		}
	}
	ids := tbl.Column(0).Data().Chunk(0).(*array.String)
	if ids.Value(0) != "c1" || !ids.IsNull(1) {
		t.Errorf("customer_id = %v", ids)
	}
	asOf := tbl.Column(1).Data().Chunk(0).(*array.Date32)
	if asOf.Value(0) != arrow.Date32(t0/nsPerDay) || !asOf.IsNull(2) {
		t.Errorf("as_of = %v", asOf)
	}
	ts := tbl.Column(4).Data().Chunk(0).(*array.Timestamp)
	if ts.Value(0) != arrow.Timestamp(t0/1_000_000+1) || !ts.IsNull(1) {
		t.Errorf("scored_at = %v", ts)
	}
	p := tbl.Column(2).Data().Chunk(0).(*array.Float64)
	if p.Value(0) != 0.25 || !p.IsNull(1) {
		t.Errorf("churn_probability = %v", p)
	}

	bad := outColumns()
	bad[3].Ints = bad[3].Ints[:2]
	if err := WriteParquet(filepath.Join(dir, "c.parquet"), bad, WriteOptions{}); !errors.Is(err, ErrLength) {
		t.Errorf("unequal lengths: %v, want ErrLength", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "c.parquet")); !os.IsNotExist(err) {
		t.Errorf("failed write left a file: %v", err)
	}
}

// BenchmarkReadFile reads a generated sessions file of about a million rows
// (100k with -short).
func BenchmarkReadFile(b *testing.B) {
	n := 1 << 20
	if testing.Short() {
		n = 100_000
	}
	path := filepath.Join(b.TempDir(), "sessions.parquet")
	w, err := NewTableWriter[Session](path, WriteOptions{})
	if err != nil {
		b.Fatal(err)
	}
	rows := make([]Session, 0, 4096)
	for i := 0; i < n; i++ {
		rows = append(rows, Session{CustomerID: "customer-" + string(rune('A'+i%50)) + string(rune('a'+i/50%26)), StartedAt: t0 + int64(i)*1e9, DurationS: float64(i % 900), Pages: float64(i % 17), Channel: []string{"web", "app"}[i%2]})
		if len(rows) == cap(rows) || i == n-1 {
			if err := w.Write(rows); err != nil {
				b.Fatal(err)
			}
			rows = rows[:0]
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	// path=pages is the parquet-go page path that files of our writer
	// take; path=arrow is Arrow's record reader, which other writers'
	// files take.
	for _, arrowOnly := range []bool{false, true} {
		name := "path=pages"
		if arrowOnly {
			name = "path=arrow"
		}
		b.Run(name, func(b *testing.B) {
			var total int64
			for i := 0; i < b.N; i++ {
				st, err := ReadFile(context.Background(), File{Path: path}, ReadOptions{arrowOnly: arrowOnly}, func(b []Session) error { return nil })
				if err != nil {
					b.Fatal(err)
				}
				total += st.Kept
			}
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

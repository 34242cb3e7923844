package data

import (
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/parquet-go/parquet-go"
)

func TestTableWriterSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sessions", "part-0.parquet")
	w, err := NewTableWriter[Session](path, WriteOptions{RowGroupRows: 2})
	if err != nil {
		t.Fatal(err)
	}
	rows := []Session{
		{CustomerID: "c1", StartedAt: 1_700_000_000_123_456_789, DurationS: 12.5, Pages: 3, Channel: "web"},
		{CustomerID: "c2", StartedAt: -1_500, DurationS: math.NaN(), Pages: math.NaN()},
		{CustomerID: "", StartedAt: NoTime, DurationS: 0, Pages: 0, Channel: "app"},
	}
	if err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	if got, want := pf.NumRows(), int64(3); got != want {
		t.Errorf("rows = %d, want %d", got, want)
	}
	if got, want := len(pf.RowGroups()), 2; got != want {
		t.Errorf("row groups = %d, want %d", got, want)
	}
	want := map[string]string{
		"customer_id": "STRING",
		"started_at":  "TIMESTAMP(isAdjustedToUTC=true,unit=MICROS)",
		"duration_s":  "",
		"pages":       "INT(64,true)",
		"channel":     "STRING",
	}
	for _, field := range pf.Schema().Fields() {
		w, ok := want[field.Name()]
		if !ok {
			t.Errorf("unexpected column %q", field.Name())
			continue
		}
		got := ""
		if lt := field.Type().LogicalType(); lt != nil {
			got = lt.String()
		}
		if got != w {
			t.Errorf("column %s logical type = %q, want %q", field.Name(), got, w)
		}
		if !field.Optional() {
			t.Errorf("column %s is not optional", field.Name())
		}
	}
}

func BenchmarkTableWriter(b *testing.B) {
	rows := make([]Session, 4096)
	for i := range rows {
		rows[i] = Session{CustomerID: "customer-" + string(rune('a'+i%26)), StartedAt: int64(i) * 1e9, DurationS: float64(i % 600), Pages: float64(i % 20), Channel: "web"}
	}
	path := filepath.Join(b.TempDir(), "s.parquet")
	b.ResetTimer()
	w, err := NewTableWriter[Session](path, WriteOptions{})
	if err != nil {
		b.Fatal(err)
	}
	for i := 0; i < b.N; i++ {
		if err := w.Write(rows); err != nil {
			b.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N*len(rows))/b.Elapsed().Seconds(), "rows/s")
}

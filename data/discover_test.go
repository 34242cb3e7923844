package data

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestDiscoverRefusesLakehouseTables: a Delta Lake or Iceberg table folder
// is refused whole, with its folder and an export command named, however
// deep under the table it lies; a folder merely named metadata is read.
func TestDiscoverRefusesLakehouseTables(t *testing.T) {
	tests := []struct {
		name   string
		marker string // a file, relative to the dataset root, that makes the folder a lakehouse table
		folder string // the folder the error must name, relative to the root
		scan   string // the DuckDB function the error must suggest
	}{
		{"delta customers", "customers/_delta_log/00000000000000000000.json", "customers", "delta_scan"},
		{"delta sessions below a partition", "sessions/region=BR/_delta_log/00000000000000000003.checkpoint.parquet", "sessions/region=BR", "delta_scan"},
		{"iceberg orders", "orders/metadata/v2.metadata.json", "orders", "iceberg_scan"},
		{"iceberg uuid metadata", "events/metadata/00001-3f0e0d9a-7c1b-4e8e-9d7e-1c2b3a4d5e6f.metadata.json", "events", "iceberg_scan"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			writeRows(t, filepath.Join(dir, "customers", "part-0.parquet"), []Customer{{ID: "c1", SignupAt: t0, CancelledAt: NoTime}})
			writeRows(t, filepath.Join(dir, "sessions", "region=BR", "part-0.parquet"), []Session{{CustomerID: "c1", StartedAt: t0}})
			writeRows(t, filepath.Join(dir, "orders", "data", "part-0.parquet"), []Order{{CustomerID: "c1", TS: t0, Amount: 1}})
			writeRows(t, filepath.Join(dir, "events", "data", "part-0.parquet"), []Event{{CustomerID: "c1", TS: t0, Event: "login"}})
			marker := filepath.Join(dir, filepath.FromSlash(tt.marker))
			if err := os.MkdirAll(filepath.Dir(marker), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(marker, []byte("{}"), 0o644); err != nil {
				t.Fatal(err)
			}
			d, err := Discover(dir)
			if !errors.Is(err, ErrLakehouse) {
				t.Fatalf("Discover = %v, %v; want ErrLakehouse", d, err)
			}
			msg := err.Error()
			for _, want := range []string{tt.folder + " holds", tt.scan + "('" + filepath.Join(dir, filepath.FromSlash(tt.folder)) + "')", "COPY"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error does not say %q:\n%s", want, msg)
				}
			}
		})
	}

	t.Run("a metadata folder without metadata.json is data", func(t *testing.T) {
		dir := t.TempDir()
		writeRows(t, filepath.Join(dir, "customers", "metadata", "part-0.parquet"), []Customer{{ID: "c1", SignupAt: t0, CancelledAt: NoTime}})
		d, err := Discover(dir)
		if err != nil || len(d.Files[Customers]) != 1 {
			t.Fatalf("Discover = %v, %v; want the one customers file", d, err)
		}
	})
}

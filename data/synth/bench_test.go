package synth

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"churn/data"
)

func discard[T any](rows []T) error { return nil }

// BenchmarkSimulate measures the simulation alone, without Parquet.
func BenchmarkSimulate(b *testing.B) {
	cfg := DefaultConfig()
	cfg.Customers, cfg.ShardSize, cfg.Days = 2000, 2000, 540
	out := sinks{customers: discard[data.Customer], sessions: discard[data.Session], events: discard[data.Event],
		tickets: discard[data.Ticket], surveys: discard[data.Survey], orders: discard[data.Order]}
	var rows int64
	for b.Loop() {
		st, err := simulate(context.Background(), cfg, 0, out)
		if err != nil {
			b.Fatal(err)
		}
		rows = st.Rows()
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkGenerateShard measures one shard written as Parquet files, the
// unit of work of a parallel generation, for shard sizes over 540 days.
func BenchmarkGenerateShard(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("customers=%d", n), func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Customers, cfg.ShardSize, cfg.Days = n, n, 540
			dir := b.TempDir()
			var st Stats
			for b.Loop() {
				var err error
				if st, err = GenerateShard(context.Background(), cfg, 0, dir); err != nil {
					b.Fatal(err)
				}
			}
			var size int64
			for _, t := range data.Tables {
				if fi, err := os.Stat(filepath.Join(dir, string(t), PartName(0))); err == nil {
					size += fi.Size()
				}
			}
			b.ReportMetric(float64(st.Rows())*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(st.Rows()), "rows/shard")
			b.ReportMetric(float64(size)/1e6, "MB/shard")
		})
	}
}

package synth

import (
	"context"
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

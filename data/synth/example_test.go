package synth_test

import (
	"context"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"churn/data/synth"
)

func ExampleGenerate() {
	dir, err := os.MkdirTemp("", "synth")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	cfg := synth.DefaultConfig()
	cfg.Customers = 150
	cfg.ShardSize = 100
	cfg.Days = 30
	cfg.End = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	st, err := synth.Generate(context.Background(), cfg, dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("shards:", synth.Shards(cfg), "customers:", st.Customers)
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			fmt.Println(filepath.ToSlash(rel))
		}
		return err
	})
	// Output:
	// shards: 2 customers: 150
	// customers/part-00000.parquet
	// customers/part-00001.parquet
	// events/part-00000.parquet
	// events/part-00001.parquet
	// orders/part-00000.parquet
	// orders/part-00001.parquet
	// sessions/part-00000.parquet
	// sessions/part-00001.parquet
	// surveys/part-00000.parquet
	// surveys/part-00001.parquet
	// tickets/part-00000.parquet
	// tickets/part-00001.parquet
}

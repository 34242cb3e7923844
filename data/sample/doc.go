// Package sample is a small synthetic dataset embedded in the binary, so
// that `churn run` works from any folder with no data of its own.
//
// # The dataset
//
// The files under dataset/ are what package synth writes for Config():
// 1,800 customers over the 730 days before End (2026-11-01), seed 1, one
// part file per table, under 10 MB in all. FS serves them rooted at the
// dataset folder (customers/part-00000.parquet, ...); Materialize copies
// them to disk for the on-disk readers of package data.
//
// # Regenerating
//
// After a change to the generator or to the Parquet writer, run
//
//	go run data/sample/gen.go
//
// from the module root (or `go generate ./data/sample`). TestEmbedIsCurrent
// fails while the embedded files differ from what the generator writes.
package sample

//go:generate go run gen.go

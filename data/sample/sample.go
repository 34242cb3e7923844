package sample

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"churn/data"
	"churn/data/synth"
	"churn/internal/fsutil"
)

// End is the first instant after the data, as a date: the natural as-of
// for runs on the sample.
const End = "2026-11-01"

//go:embed dataset
var files embed.FS

// Config returns the generator configuration of the embedded dataset.
func Config() synth.Config {
	end, _ := data.ParseDate(End) // End is a valid constant date
	cfg := synth.DefaultConfig()
	cfg.Customers = 1800
	cfg.Days = 730
	cfg.End = end
	cfg.Seed = 1
	cfg.ShardSize = cfg.Customers
	return cfg
}

// FS returns the embedded dataset, rooted at the dataset folder: one
// sub-folder per table.
func FS() fs.FS {
	sub, err := fs.Sub(files, "dataset")
	if err != nil {
		// fs.Sub fails only on an invalid path; "dataset" is valid.
		return files
	}
	return sub
}

// Materialize writes the embedded dataset into dir, one sub-folder per
// table, and returns dir as the dataset root for the readers of package
// data. Files already holding the same bytes are left alone; others are
// written beside their final name and renamed, so a reader never sees a
// partial file.
func Materialize(dir string) (string, error) {
	src := FS()
	err := fs.WalkDir(src, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		want, err := fs.ReadFile(src, name)
		if err != nil {
			return err
		}
		path := filepath.Join(dir, filepath.FromSlash(name))
		if got, err := os.ReadFile(path); err == nil && bytes.Equal(got, want) {
			return nil
		}
		return writeFile(path, want)
	})
	if err != nil {
		return "", fmt.Errorf("materialize sample in %s: %w", dir, err)
	}
	return dir, nil
}

// writeFile writes b to path atomically (fsutil.WriteFile), making its
// folder first.
func writeFile(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return fsutil.WriteFile(path, b)
}

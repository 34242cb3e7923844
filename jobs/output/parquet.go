package output

import (
	"churn/data"
	"churn/internal/fsutil"
	"fmt"
	"os"
	"path/filepath"
)

// WriteParquetFile writes one Parquet file so that it appears whole: into a
// temporary file beside it, then renamed over it.
func WriteParquetFile(path string, cols []data.OutColumn) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := fsutil.TempPath(path)
	if err := data.WriteParquet(tmp, cols, data.WriteOptions{}); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := fsutil.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

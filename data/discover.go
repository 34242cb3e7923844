package data

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// File is one Parquet file of a dataset.
type File struct {
	Table     Table
	Path      string            // absolute
	Rel       string            // relative to the dataset root, with forward slashes
	Size      int64             // bytes
	Partition map[string]string // Hive key=value folders between the table and the file
}

// Dataset is a discovered dataset: a root folder with one sub-folder per
// table.
type Dataset struct {
	Root  string           // absolute
	Files map[Table][]File // by table, sorted by Rel; a table without files is absent
}

// Discover lists the Parquet files of the dataset at root: for each table of
// the contract, every *.parquet file at any depth under root/<table>/,
// sorted by path. Names starting with "." or "_" (temporary files,
// _SUCCESS, Hadoop's .crc files) are ignored, files and folders alike.
// Folders named key=value add key to File.Partition.
//
// It fails with ErrNoDataset when root is not a folder, with
// ErrNoCustomers when there is no customers file, and with ErrLakehouse,
// reading nothing, when a folder under a table holds a Delta Lake log
// (_delta_log/) or Iceberg metadata (metadata/*.metadata.json): such a
// folder keeps the Parquet files that overwrites, merges and compactions
// removed from the table, and only the log says which are current.
func Discover(root string) (*Dataset, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("discover %s: %w", root, err)
	}
	fi, err := os.Stat(abs)
	if err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("discover %s: %w", root, ErrNoDataset)
	}
	d := &Dataset{Root: abs, Files: map[Table][]File{}}
	for _, t := range Tables {
		dir := filepath.Join(abs, string(t))
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
			continue
		}
		var files []File
		err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			name := e.Name()
			if e.IsDir() {
				if err := lakehouse(abs, path); err != nil {
					return err
				}
			}
			if path != dir && (strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
				if e.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if e.IsDir() || !strings.HasSuffix(name, ".parquet") {
				return nil
			}
			info, err := e.Info()
			if err != nil {
				return err
			}
			if !info.Mode().IsRegular() {
				return nil
			}
			rel, err := filepath.Rel(abs, path)
			if err != nil {
				return err
			}
			files = append(files, File{
				Table:     t,
				Path:      path,
				Rel:       filepath.ToSlash(rel),
				Size:      info.Size(),
				Partition: partition(filepath.ToSlash(rel)),
			})
			return nil
		})
		if errors.Is(err, ErrLakehouse) {
			return nil, fmt.Errorf("discover %s: %w", root, err)
		}
		if err != nil {
			return nil, fmt.Errorf("discover %s: %w", t, err)
		}
		sort.Slice(files, func(i, j int) bool { return files[i].Rel < files[j].Rel })
		if len(files) > 0 {
			d.Files[t] = files
		}
	}
	if len(d.Files[Customers]) == 0 {
		return nil, fmt.Errorf("discover %s: %w", filepath.Join(root, string(Customers)), ErrNoCustomers)
	}
	return d, nil
}

// lakehouse returns an ErrLakehouse error when the folder dir holds a
// Delta Lake table (a _delta_log/ folder) or is an Iceberg table's
// metadata/ folder (with *.metadata.json files). The error names the table
// folder, relative to root, and says how to export the current snapshot.
func lakehouse(root, dir string) error {
	var table, format, scan string
	if fi, err := os.Stat(filepath.Join(dir, "_delta_log")); err == nil && fi.IsDir() {
		table, format, scan = dir, "a Delta Lake table (_delta_log/)", "delta_scan"
	} else if filepath.Base(dir) == "metadata" {
		if m, _ := filepath.Glob(filepath.Join(dir, "*.metadata.json")); len(m) > 0 {
			table, format, scan = filepath.Dir(dir), "an Iceberg table (metadata/*.metadata.json)", "iceberg_scan"
		}
	}
	if table == "" {
		return nil
	}
	rel, err := filepath.Rel(root, table)
	if err != nil {
		rel = table
	}
	return fmt.Errorf("%s holds %s: its folder also keeps Parquet files that are no longer part of the table, "+
		"so churn reads none of them. Export the current snapshot to plain Parquet and point --data at the export, "+
		"e.g. with DuckDB: COPY (SELECT * FROM %s('%s')) TO 'EXPORT/%s/part-0.parquet' (FORMAT parquet): %w",
		filepath.ToSlash(rel), format, scan, table, filepath.ToSlash(rel), ErrLakehouse)
}

// partition returns the Hive key=value folders of rel, which starts with
// the table folder and ends with the file name; nil when there are none.
func partition(rel string) map[string]string {
	parts := strings.Split(rel, "/")
	var p map[string]string
	for _, dir := range parts[1 : len(parts)-1] {
		k, v, ok := strings.Cut(dir, "=")
		if !ok || k == "" {
			continue
		}
		if p == nil {
			p = map[string]string{}
		}
		p[k] = v
	}
	return p
}

// Checksums returns the sha256 of every file of the dataset, in hex, by
// File.Rel. It streams each file and stops when ctx is done.
func (d *Dataset) Checksums(ctx context.Context) (map[string]string, error) {
	sums := map[string]string{}
	for _, t := range Tables {
		for _, f := range d.Files[t] {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			sum, err := fileSHA256(ctx, f.Path)
			if err != nil {
				return nil, fmt.Errorf("checksum %s: %w", f.Rel, err)
			}
			sums[f.Rel] = sum
		}
	}
	return sums, nil
}

func fileSHA256(ctx context.Context, path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	buf := make([]byte, 1<<20)
	for {
		n, err := f.Read(buf)
		h.Write(buf[:n])
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
		if err := ctx.Err(); err != nil {
			return "", err
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

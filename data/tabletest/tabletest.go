// Package tabletest writes and reads the tables of datasets that tests
// build: rows through the project's own Parquet reader and writer, and a
// dataset whose history tables are each one file of many row groups.
package tabletest

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"churn/data"
)

// OneFileTables writes into dst a copy of the dataset src whose events
// and sessions tables are each one file of about groups row groups (the
// rows in src's order), with a null customer id in row 3 of the
// sessions' middle row group (groups/2); the other tables' files are
// copied byte for byte. It returns the sessions file and the rows of its
// row groups.
func OneFileTables(t testing.TB, src, dst string, groups int) (sessions data.File, per int) {
	t.Helper()
	ds, err := data.Discover(src)
	if err != nil {
		t.Fatal(err)
	}
	for _, tab := range data.Tables {
		if tab == data.Events || tab == data.Sessions {
			continue
		}
		for _, f := range ds.Files[tab] {
			b, err := os.ReadFile(f.Path)
			if err != nil {
				t.Fatal(err)
			}
			to := filepath.Join(dst, filepath.FromSlash(f.Rel))
			if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(to, b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	events := ReadRows[data.Event](t, ds.Files[data.Events])
	WriteRows(t, filepath.Join(dst, "events", "events.parquet"), events, (len(events)+groups-1)/groups)
	rows := ReadRows[data.Session](t, ds.Files[data.Sessions])
	per = (len(rows) + groups - 1) / groups
	rows[groups/2*per+3].CustomerID = ""
	WriteRows(t, filepath.Join(dst, "sessions", "sessions.parquet"), rows, per)
	if ds, err = data.Discover(dst); err != nil {
		t.Fatal(err)
	}
	return ds.Files[data.Sessions][0], per
}

// ReadRows returns every row of files, in order, its strings copied out
// of the reader's buffers (which a later batch reuses).
func ReadRows[T data.Row](t testing.TB, files []data.File) []T {
	t.Helper()
	var rows []T
	for _, f := range files {
		if _, err := data.ReadFile(context.Background(), f, data.ReadOptions{}, func(b []T) error {
			for _, r := range b {
				rows = append(rows, cloneStrings(r))
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	return rows
}

// WriteRows writes rows as the one file path, in row groups of per rows
// (0: the writer's default).
func WriteRows[T data.Row](t testing.TB, path string, rows []T, per int) {
	t.Helper()
	w, err := data.NewTableWriter[T](path, data.WriteOptions{RowGroupRows: per})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// cloneStrings returns r with each of its string fields copied.
func cloneStrings[T data.Row](r T) T {
	v := reflect.ValueOf(&r).Elem()
	for i := range v.NumField() {
		if f := v.Field(i); f.Kind() == reflect.String {
			f.SetString(strings.Clone(f.String()))
		}
	}
	return r
}

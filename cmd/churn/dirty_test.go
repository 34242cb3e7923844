package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"churn/data/runs"
)

// dirtyFile is a broken file of the dirty dataset, with what a message
// about it must say besides its path.
type dirtyFile struct {
	rel    string
	detail string
}

// dirtyDataset is a hand-built dataset with the problems that data lakes
// hold: a file cut before its footer, a zero-byte file, a column of the
// wrong Parquet type, ISO text where a timestamp belongs, and Spark's and
// Hadoop's _SUCCESS and .crc files beside the data (which are not data).
func dirtyDataset(t *testing.T) (string, []dirtyFile) {
	t.Helper()
	root := handDataset(t, dirt{})
	b, err := os.ReadFile(filepath.Join(root, "sessions", "part-0.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(rel string, b []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(root, filepath.FromSlash(rel)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("sessions/part-1.parquet", b[:len(b)/2])
	write("surveys/part-1.parquet", nil)
	type ticket struct {
		CustomerID string    `parquet:"customer_id"`
		CreatedAt  time.Time `parquet:"created_at,timestamp(microsecond)"`
		CSAT       string    `parquet:"csat"`
	}
	writeGeneric(t, filepath.Join(root, "tickets", "part-1.parquet"), []ticket{{"C0001", handAsOf.Add(-48 * time.Hour), "very good"}})
	type session struct {
		CustomerID string `parquet:"customer_id"`
		StartedAt  string `parquet:"started_at"`
	}
	writeGeneric(t, filepath.Join(root, "sessions", "part-2.parquet"), []session{{"C0001", "2026-10-01T10:00:00Z"}, {"C0002", "2026-10-02T10:00:00Z"}})
	write("customers/_SUCCESS", nil)
	write("sessions/_SUCCESS", nil)
	write("customers/.part-0.parquet.crc", []byte("crc\x00\x00\x02\x00\x00\x00"))
	write("sessions/part-0.parquet.crc", []byte("crc\x00\x00\x02\x00\x00\x00"))
	return root, []dirtyFile{
		{"sessions/part-1.parquet", "corrupt"},
		{"surveys/part-1.parquet", "corrupt"},
		{"tickets/part-1.parquet", "csat"},
		{"sessions/part-2.parquet", "started_at"},
	}
}

// TestDirtyDatasetRootCause: on a dirty dataset, train, run and features
// stop with exit 2 and the error of a bad file (its path and what is wrong
// in it), never with only the cancellation of the readers it stopped;
// validate names every bad file; and with the bad files listed in
// bad_rows.optional_files, run skips them and scores the rest.
func TestDirtyDatasetRootCause(t *testing.T) {
	t.Parallel()
	root, bad := dirtyDataset(t)
	out := t.TempDir()
	commands := []struct {
		name string
		args []string
	}{
		{"train", []string{"train", "--data", root, "--registry", t.TempDir(), "--as-of", "2026-11-01"}},
		{"run", []string{"run", "--data", root, "--registry", registry(t), "--out", out, "--as-of", "2026-11-01"}},
		{"features", []string{"features", "--data", root, "--as-of", "2026-11-01", "--out", filepath.Join(t.TempDir(), "f.parquet")}},
		{"features with cutoffs", []string{"features", "--data", root, "--as-of", "2026-11-01", "--cutoffs", "3", "--out", filepath.Join(t.TempDir(), "f.parquet")}},
	}
	for _, c := range commands {
		r := churn(t, t.TempDir(), c.args...)
		if r.code != 2 {
			t.Errorf("%s on a dirty dataset: %s, want exit 2", c.name, r)
			continue
		}
		if strings.Contains(r.stderr, "context canceled") {
			t.Errorf("%s reports a cancellation, not its cause:\n%s", c.name, lastLines(r.stderr, 5))
		}
		named := 0
		for _, f := range bad {
			for _, line := range strings.Split(r.stderr, "\n") {
				if strings.Contains(line, f.rel) {
					named++
					if !strings.Contains(line, f.detail) {
						t.Errorf("%s names %s without saying %q:\n%s", c.name, f.rel, f.detail, line)
					}
					break
				}
			}
		}
		if named == 0 {
			t.Errorf("%s names none of the bad files %v:\n%s", c.name, bad, lastLines(r.stderr, 5))
		}
	}
	noOutput(t, out)

	v := churn(t, t.TempDir(), "validate", "--data", root)
	if v.code != 2 {
		t.Errorf("validate on a dirty dataset: %s, want exit 2", v)
	}
	for _, f := range bad {
		if !strings.Contains(v.stdout, f.rel) {
			t.Errorf("validate does not name %s:\n%s", f.rel, v.stdout)
		}
	}
	for _, notData := range []string{"_SUCCESS", ".crc"} {
		if strings.Contains(v.stdout, notData) {
			t.Errorf("validate reads %s files as data:\n%s", notData, v.stdout)
		}
	}

	cfg := filepath.Join(t.TempDir(), "churn.yaml")
	var yaml strings.Builder
	yaml.WriteString("bad_rows:\n  optional_files:\n")
	for _, f := range bad {
		yaml.WriteString("    - " + f.rel + "\n")
	}
	if err := os.WriteFile(cfg, []byte(yaml.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	skipOut := t.TempDir()
	r := churn(t, t.TempDir(), "run", "--config", cfg, "--data", root, "--registry", registry(t), "--out", skipOut, "--as-of", "2026-11-01")
	if r.code != 0 {
		t.Fatalf("run with the bad files optional: %s, want exit 0", r)
	}
	checkRunFolder(t, runs.Dir(skipOut, "2026-11-01"))
}

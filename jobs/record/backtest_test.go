package record

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"churn/data/runs"
)

// TestEarlierRun: a missing output folder and one without a run whose
// label span has passed give no run and no error; a finished run whose
// span has passed is found, an unfinished one (no _SUCCESS) is not; an
// output that cannot be listed is an error that names it, not a silent
// "no run".
func TestEarlierRun(t *testing.T) {
	span := 90 * 24 * time.Hour
	asOf := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	finish := func(out, day string, success bool) {
		t.Helper()
		dir := runs.Dir(out, day)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
		if success {
			if err := os.WriteFile(filepath.Join(dir, "_SUCCESS"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	root := t.TempDir()
	withRuns := filepath.Join(root, "runs")
	finish(withRuns, "2026-01-01", true)
	finish(withRuns, "2026-02-01", true)
	finish(withRuns, "2026-03-01", false) // span passed, but unfinished
	finish(withRuns, "2026-04-01", true)  // finished, span not passed
	recent := filepath.Join(root, "recent")
	finish(recent, "2026-05-01", true)
	notFolder := filepath.Join(root, "file")
	if err := os.WriteFile(notFolder, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name, out, day string
		wantErr        bool
	}{
		{"missing folder", filepath.Join(root, "none"), "", false},
		{"empty folder", t.TempDir(), "", false},
		{"latest finished run whose span passed", withRuns, "2026-02-01", false},
		{"only a run whose span has not passed", recent, "", false},
		{"output is a file", notFolder, "", true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			day, cutoff, ok, err := EarlierRun(tt.out, asOf, span)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want an error: %v", err, tt.wantErr)
			}
			if ok != (tt.day != "") || day != tt.day {
				t.Fatalf("day %q ok %v, want %q", day, ok, tt.day)
			}
			if ok && cutoff.Format(time.DateOnly) != tt.day {
				t.Errorf("cutoff %s, want %s", cutoff, tt.day)
			}
		})
	}
}

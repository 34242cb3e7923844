package jobs

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"

	"churn/jobs/output"
)

// TestFeaturesCSVStreams: the CSV feature table, written a slice of
// customers at a time, is byte for byte the CSV of the whole frame, and
// holds the rows of the Parquet one.
func TestFeaturesCSVStreams(t *testing.T) {
	cfg, env := sampleConfig(t)
	dir := t.TempDir()
	out := filepath.Join(dir, "f.csv")
	sum, err := Features(context.Background(), cfg, env, out, 3)
	if err != nil {
		t.Fatal(err)
	}
	psum, err := Features(context.Background(), cfg, env, filepath.Join(dir, "f.parquet"), 3)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Rows != psum.Rows || sum.Rows <= buildChunk/8 || sum.Features != psum.Features {
		t.Fatalf("csv %d rows x %d, parquet %d x %d", sum.Rows, sum.Features, psum.Rows, psum.Features)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}

	// The whole frame, as the command wrote it before it streamed.
	_, asOf, ds, err := openDataset(&cfg, &env)
	if err != nil {
		t.Fatal(err)
	}
	cuts := cfg.Features.MonthlyCutoffs(asOf, 3)
	ld, b, err := loadBuilder(context.Background(), &cfg, &env, ds, cuts, asOf.UnixNano(), env.Log)
	if err != nil {
		t.Fatal(err)
	}
	f, err := b.Build(ld.Present)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := output.WriteCSV(&want, frameColumns(f, true, nil), false); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatalf("streamed CSV (%d bytes) differs from the whole frame's (%d bytes)", len(got), want.Len())
	}
	if n := bytes.Count(got, []byte("\n")); n != sum.Rows+1 {
		t.Errorf("%d lines, want %d rows and a header", n, sum.Rows)
	}
	leftovers, _ := filepath.Glob(filepath.Join(dir, ".*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

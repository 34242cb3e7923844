//go:build ignore

// Gen regenerates the embedded sample dataset from sample.Config. Run it
// from the module root:
//
//	go run data/sample/gen.go
//
// or from data/sample with `go generate`. It writes the new files into a
// temporary folder beside data/sample/dataset and swaps it in.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"churn/data/sample"
	"churn/data/synth"
	"churn/internal/fsutil"
)

// readme describes the folder; it also keeps the embed pattern valid
// before the first generation.
const readme = `# The embedded sample dataset

Synthetic customer histories written by package churn/data/synth for
sample.Config() (see data/sample/doc.go). Do not edit: regenerate with
` + "`go run data/sample/gen.go`" + ` from the module root.
`

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run() error {
	// The dataset lives beside this file, wherever the command runs from.
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return fmt.Errorf("locate gen.go")
	}
	dir := filepath.Join(filepath.Dir(file), "dataset")
	pending, err := fsutil.CreatePending(filepath.Dir(dir), filepath.Base(dir))
	if err != nil {
		return err
	}
	defer pending.Abort() // after Commit it does nothing
	st, err := synth.Generate(context.Background(), sample.Config(), pending.Dir())
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(pending.Dir(), "README.md"), []byte(readme), 0o644); err != nil {
		return err
	}
	if err := pending.Commit(); err != nil {
		return err
	}
	fmt.Printf("wrote %s: %d customers (%d churned), %d rows\n", dir, st.Customers, st.Churned, st.Rows())
	return nil
}

package main

import (
	"context"
	"fmt"
	"strings"

	"churn/jobs"
	"churn/jobs/output"
)

const featuresUsage = `usage: churn features --data DIR --as-of DATE --out FILE.parquet|FILE.csv [--cutoffs N]

Writes the feature table alone: one row per customer as of the date (rows
strictly before it), or, with --cutoffs N, one row per customer and monthly
cutoff with the label, as churn train sees it. A file name ending in .csv
gives CSV; anything else Parquet.`

func cmdFeatures(ctx context.Context, c *cli) error {
	fs := c.flags()
	dataDir := fs.String("data", "", "dataset `folder`; default: the embedded sample")
	asOf := fs.String("as-of", "", "cutoff `date`; default today (the sample's end on the sample)")
	out := fs.String("out", "", "output `file`: Parquet, or CSV when it ends in .csv (required)")
	cutoffs := fs.Int("cutoffs", 0, "write N monthly training cutoffs with labels instead of the one as-of cutoff")
	workers := fs.Int("workers", 0, "goroutines reading files; default the number of CPUs")
	cpuProfile := cpuProfileFlag(fs)
	cfg, set, err := c.setup(fs)
	if err != nil {
		return err
	}
	stop, err := startCPUProfile(*cpuProfile)
	if err != nil {
		return err
	}
	defer stop()
	if *out == "" {
		return fmt.Errorf("%w: --out is required", errUsage)
	}
	if err := output.CheckOutputFile(*out); err != nil {
		return fmt.Errorf("%w: --out: %w", errUsage, err)
	}
	override(set, "data", &cfg.Data, *dataDir)
	if *workers > 0 {
		cfg.Workers = *workers
	}
	if err := applyAsOf(&cfg, set, *asOf); err != nil {
		return err
	}
	sum, err := jobs.Features(ctx, cfg, c.env(), *out, *cutoffs)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(sum)
	}
	fmt.Fprintf(c.stdout, "churn features: %d rows x %d features written to %s (cutoffs %s).\n",
		sum.Rows, sum.Features, sum.Out, strings.Join(sum.Cutoffs, ", "))
	return nil
}

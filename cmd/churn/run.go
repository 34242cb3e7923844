package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"churn/data/runs"
	"churn/jobs"
)

// runUsage names the default folders as jobs.DefaultConfig has them.
var runUsage = `usage: churn run [--data DIR] [--out DIR] [--as-of DATE] [--registry DIR] [flags]

The nightly job. Builds every customer's features as of the cutoff (rows
strictly before it), scores churn risk with the registry's promoted model,
estimates each customer's future value, places them in segments, and writes
OUT/as_of=DATE/ atomically: ` + runs.PartFile + ` (one row per customer; the
date is the folder's Hive key, not a column), ` + runs.ManifestFile + ` and ` + runs.SuccessFile + `. Prints customers per segment and the top customers by value
at risk.

With no flags it runs on the embedded sample dataset as of the day after its
last day, into ./` + jobs.DefaultConfig().Out + `, training a model into ./` + jobs.DefaultConfig().Registry + ` first
when the registry has none. A second run on the same --out while one is
running exits 75 (EX_TEMPFAIL: try again later) naming the holder.
Re-running a date replaces its folder atomically; same inputs, config and
model give byte-identical Parquet.

With --explain-out FILE.parquet it also writes every customer's SHAP
values: customer_id, one column per model feature (its contribution to the
log-odds of churn before calibration) and base_value; base_value plus a
row's contributions is the customer's margin.`

func cmdRun(ctx context.Context, c *cli) error {
	fs, def := c.flags(), jobs.DefaultConfig()
	dataDir := fs.String("data", "", "dataset `folder` (one sub-folder per table); default: the embedded sample")
	out := fs.String("out", def.Out, "output `folder` that receives as_of=YYYY-MM-DD/")
	asOf := fs.String("as-of", "", "cutoff `date` YYYY-MM-DD (midnight UTC) or RFC 3339 instant; default today (the sample's end on the sample)")
	registry := fs.String("registry", def.Registry, "model registry `folder` or s3://, gs://, file:// URL")
	seed := fs.Uint64("seed", def.Seed, "random seed")
	workers := fs.Int("workers", 0, "goroutines reading files; default the number of CPUs")
	metricsFile := fs.String("metrics-file", "", "write Prometheus text-format metrics to this `file` (node_exporter textfile collector)")
	metricsPush := fs.String("metrics-push", "", "push metrics to this Prometheus Pushgateway `URL`")
	explainOut := fs.String("explain-out", "", "also write every customer's SHAP values (customer_id, one column per feature, base_value) to this Parquet `file`")
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
	cfg.ExplainOut = *explainOut
	override(set, "data", &cfg.Data, *dataDir)
	override(set, "out", &cfg.Out, *out)
	override(set, "registry", &cfg.Registry, *registry)
	override(set, "seed", &cfg.Seed, *seed)
	if *workers > 0 {
		cfg.Workers = *workers
	}
	override(set, "metrics-file", &cfg.MetricsFile, *metricsFile)
	override(set, "metrics-push", &cfg.MetricsPush, *metricsPush)
	if err := applyAsOf(&cfg, set, *asOf); err != nil {
		return err
	}
	sum, err := jobs.Run(ctx, cfg, c.env())
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(sum)
	}
	printRun(c.stdout, sum)
	return nil
}

func printRun(w io.Writer, s *jobs.RunSummary) {
	src := "your data"
	if s.Sample {
		src = "the embedded sample data"
	}
	fmt.Fprintf(w, "churn run: %s customers scored as of %s from %s, with model %s (%s)",
		thousands(float64(s.Customers), 0), s.AsOf, src, s.ModelVersion, s.Algo)
	if s.TrainedFirst {
		fmt.Fprint(w, ", trained first because the registry was empty")
	}
	fmt.Fprintf(w, ".\nWritten to %s (%s, manifest.json).\n\n", s.Output, strings.Join(s.Parts, ", "))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "segment\tcustomers\tvalue at risk\t")
	for _, seg := range s.Segments {
		fmt.Fprintf(tw, "%s\t%s\t%s\t\n", seg.Segment, thousands(float64(seg.Customers), 0), thousands(seg.ValueAtRisk, 2))
	}
	tw.Flush()
	if len(s.Top) > 0 {
		fmt.Fprintf(w, "\nTop %d customers by value at risk (probability of churn x predicted value):\n", len(s.Top))
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "customer\tsegment\tchurn risk\tvalue\tat risk\tmain reason")
		for _, t := range s.Top {
			fmt.Fprintf(tw, "%s\t%s\t%.0f%%\t%s\t%s\t%s\n", t.CustomerID, t.Segment, 100*t.Probability,
				thousands(t.Value, 2), thousands(t.ValueAtRisk, 2), t.Reason)
		}
		tw.Flush()
	}
	if len(s.DriftWarnings) > 0 {
		fmt.Fprintf(w, "\nDrift: %d features moved away from their training distribution (PSI above threshold): %s\n",
			len(s.DriftWarnings), strings.Join(s.DriftWarnings, ", "))
	}
	var skipped int64
	for _, n := range s.RowsSkipped {
		skipped += n
	}
	if skipped > 0 {
		fmt.Fprintf(w, "\n%s input rows were skipped; the manifest counts them by table and reason.\n", thousands(float64(skipped), 0))
	}
}

package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"churn/jobs"
)

const modelsUsage = `usage: churn models --registry DIR [--json]

Lists the registry's versions, oldest first, with their holdout metrics
side by side: ROC AUC, PR AUC, lift in the top decile, Brier and
calibration error, the baseline's ROC AUC (days since last activity), the
algorithm and trees used, the data window (as-of date and test cutoff) and
the most important features. The promoted version is marked with *. Each
version folder also holds MODEL_CARD.md and meta.json with the rest.`

func cmdModels(ctx context.Context, c *cli) error {
	fs := c.flags()
	registry := fs.String("registry", jobs.DefaultConfig().Registry, "model registry `folder` or s3://, gs://, file:// URL")
	cfg, set, err := c.setup(fs)
	if err != nil {
		return err
	}
	override(set, "registry", &cfg.Registry, *registry)
	sum, err := jobs.Models(cfg, c.env())
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(sum)
	}
	printModels(c.stdout, sum)
	return nil
}

func printModels(w io.Writer, s *jobs.ModelsSummary) {
	if len(s.Versions) == 0 {
		fmt.Fprintf(w, "churn models: the registry %s holds no version yet; train one with: churn train --registry %s\n", s.Registry, s.Registry)
		return
	}
	fmt.Fprintf(w, "churn models: %s in %s; promoted: %s.\n\n", plural(len(s.Versions), "version"), s.Registry, orNone(s.Promoted))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "version\talgo\ttrees\tas of\ttest cutoff\tROC AUC\tbaseline\tPR AUC\tlift@10%\tBrier\tECE\tcreated\ttop features")
	for _, v := range s.Versions {
		mark := " "
		if v.Promoted {
			mark = "*"
		}
		trees := "-"
		if v.Trees > 0 {
			trees = fmt.Sprint(v.Trees)
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", v.Version, mark, orDash(v.Algo), trees,
			orDash(v.Window.AsOf), orDash(v.Window.TestCutoff),
			metric(v.Holdout.ROCAUC, 4), metric(v.Baseline.ROCAUC, 4), metric(v.Holdout.PRAUC, 4),
			metric(v.Holdout.LiftTopDecile, 2), metric(v.Holdout.Brier, 4), metric(v.Holdout.ECE, 4),
			v.CreatedAt, orDash(strings.Join(v.TopFeatures, ", ")))
	}
	tw.Flush()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// metric formats a metric, a dash when undefined.
func metric(v float64, dec int) string {
	if v != v {
		return "-"
	}
	return fmt.Sprintf("%.*f", dec, v)
}

// plural writes "1 version", "3 versions".
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"churn/jobs"
	"churn/jobs/output"
	"churn/model"
)

const trainUsage = `usage: churn train [--data DIR] [--registry DIR] [--as-of DATE] [--horizon 90d] [--cutoffs N] [--report FILE.html]
       churn train --features FILE.csv|FILE.parquet --label COLUMN [--id COLUMN] [--json]

Builds a labelled training set from N monthly cutoffs before the as-of date
(the latest one whose label horizon is complete), trains on the older
cutoffs, validates and calibrates on the next, and tests on the latest: a
time-based holdout. Prints the holdout metrics beside a naive baseline (days
since last activity), and saves a new model version in the registry. The
first version in an empty registry is promoted at once; later ones wait for
'churn promote' (or --promote).

With --features, trains on a table that already has one row per customer
(such as IBM's Telco churn CSV) and reports stratified 5-fold metrics.`

func cmdTrain(ctx context.Context, c *cli) error {
	fs, def := c.flags(), jobs.DefaultConfig()
	dataDir := fs.String("data", "", "dataset `folder`; default: the embedded sample")
	registry := fs.String("registry", def.Registry, "model registry `folder` or s3://, gs://, file:// URL")
	asOf := fs.String("as-of", "", "`date` the training data ends (labels need complete horizons before it); default today (the sample's end on the sample)")
	horizon := fs.String("horizon", days(def.Features.Horizon), "label `horizon`: churn means leaving within it (e.g. 90d, 12w)")
	cutoffs := fs.Int("cutoffs", def.Train.Cutoffs, "number of monthly cutoffs in the training set (at least 3: train, validation, test)")
	report := fs.String("report", "", "write a self-contained HTML report with plots to this `file`")
	algo := fs.String("algo", def.Train.Algo, fmt.Sprintf("classifier: auto (best of %s on validation), %s",
		strings.Join(model.AutoAlgos(), " and "), strings.TrimPrefix(model.AlgoChoices(), model.AlgoAuto+", ")))
	calibration := fs.String("calibration", def.Train.Calibration, "calibration: auto (better Brier of platt and isotonic), platt, isotonic or none")
	promote := fs.Bool("promote", def.Train.Promote, "promote the new version if it is not worse than the promoted one")
	seed := fs.Uint64("seed", def.Seed, "random seed")
	workers := fs.Int("workers", 0, "goroutines; default the number of CPUs")
	featuresFile := fs.String("features", "", "train on this one-row-per-customer `file` (CSV or Parquet) instead of histories")
	label := fs.String("label", "", "with --features: the label `column` (Yes/No, true/false or 1/0)")
	id := fs.String("id", "", "with --features: the customer id `column`, excluded from features")
	search := fs.Bool("search", def.Train.Search, "try a small grid of GBT depths and learning rates on the time split and keep the best")
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
	if *featuresFile != "" {
		if *label == "" {
			return fmt.Errorf("%w: --features needs --label", errUsage)
		}
		override(set, "seed", &cfg.Seed, *seed)
		sum, err := jobs.TrainTable(ctx, cfg, c.env(), jobs.TableOptions{File: *featuresFile, Label: *label, ID: *id, Algo: *algo})
		if err != nil {
			return err
		}
		if c.json {
			return c.printJSON(sum)
		}
		printTable(c.stdout, sum)
		return nil
	}
	override(set, "data", &cfg.Data, *dataDir)
	override(set, "registry", &cfg.Registry, *registry)
	override(set, "cutoffs", &cfg.Train.Cutoffs, *cutoffs)
	override(set, "algo", &cfg.Train.Algo, *algo)
	override(set, "calibration", &cfg.Train.Calibration, *calibration)
	override(set, "promote", &cfg.Train.Promote, *promote)
	override(set, "search", &cfg.Train.Search, *search)
	override(set, "seed", &cfg.Seed, *seed)
	if *workers > 0 {
		cfg.Workers = *workers
	}
	if set["horizon"] {
		d, err := jobs.ParseDuration(*horizon)
		if err != nil {
			return fmt.Errorf("%w: --horizon: %w", errUsage, err)
		}
		cfg.Features.Horizon = d
	}
	if err := applyAsOf(&cfg, set, *asOf); err != nil {
		return err
	}
	if *report != "" {
		if err := output.CheckOutputFile(*report); err != nil {
			return fmt.Errorf("%w: --report: %w", errUsage, err)
		}
	}
	sum, err := jobs.Train(ctx, cfg, c.env())
	if err != nil {
		return err
	}
	if *report != "" {
		if err := jobs.WriteReport(*report, sum); err != nil {
			return err
		}
		sum.Report = *report
	}
	if c.json {
		return c.printJSON(sum)
	}
	printTrain(c.stdout, sum)
	return nil
}

func printTrain(w io.Writer, s *jobs.TrainSummary) {
	fmt.Fprintf(w, "churn train: model %s (%s) trained on %s rows with %d features, as of %s.\n",
		s.Version, s.Algo, thousands(float64(s.TrainRows), 0), s.Features, s.AsOf)
	fmt.Fprintf(w, "Choice: %s\n", s.Choice)
	if c := s.Catalog; c != nil {
		fmt.Fprintf(w, "Event mix: %d event names by frequency; automated events left out of engagement: %s\n",
			len(c.Events), orNone(strings.Join(c.Automated, ", ")))
		var attrs []string
		for _, a := range c.Attributes {
			attrs = append(attrs, a.Name)
		}
		fmt.Fprintf(w, "Attributes: %s\n", orNone(strings.Join(attrs, ", ")))
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "cutoff\trole\trows\tlabelled\tchurn rate")
	for _, cut := range s.Cutoffs {
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%.1f%%\n", cut.Cutoff, cut.Role, cut.Rows, cut.Labelled, 100*cut.ChurnRate)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nHoldout (latest complete cutoff):\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "metric\tmodel\tbaseline (days since last activity)")
	rows := []struct {
		name   string
		m, b   float64
		digits int
	}{
		{"ROC AUC", s.Holdout.ROCAUC, s.Baseline.ROCAUC, 3},
		{"PR AUC", s.Holdout.PRAUC, s.Baseline.PRAUC, 3},
		{"lift, top decile", s.Holdout.LiftTopDecile, s.Baseline.LiftTopDecile, 2},
		{"capture, top decile", s.Holdout.CaptureTopDecile, s.Baseline.CaptureTopDecile, 3},
		{"Brier", s.Holdout.Brier, s.Baseline.Brier, 4},
		{"log loss", s.Holdout.LogLoss, s.Baseline.LogLoss, 4},
		{"ECE", s.Holdout.ECE, s.Baseline.ECE, 4},
	}
	for _, r := range rows {
		fmt.Fprintf(tw, "%s\t%.*f\t%.*f\n", r.name, r.digits, r.m, r.digits, r.b)
	}
	tw.Flush()
	if s.Promoted {
		fmt.Fprintf(w, "\n%s is promoted: churn run uses it.\n", s.Version)
	} else {
		fmt.Fprintf(w, "\n%s is registered but not promoted; promote it with: churn promote --registry DIR %s\n", s.Version, s.Version)
		if s.PromoteNote != "" {
			fmt.Fprintf(w, "(%s)\n", s.PromoteNote)
		}
	}
	fmt.Fprintf(w, "Model card: %s\n", s.ModelCard)
	if s.Report != "" {
		fmt.Fprintf(w, "Report: %s\n", s.Report)
	}
	if r := s.Refit; r != nil {
		fmt.Fprintf(w, "\nThe holdout measures the selected model (trained on %s rows). The saved model is it refitted on %s rows up to the latest complete cutoff",
			thousands(float64(r.SelectionRows), 0), thousands(float64(r.Rows), 0))
		if r.Trees > 0 {
			fmt.Fprintf(w, " (%d trees: %d early-stopped, scaled to the rows)", r.Trees, r.SelectedTrees)
		}
		fmt.Fprintf(w, ", calibrated (%s) on a held-back half of it, %s rows.\n", r.Calibration, thousands(float64(r.CalibrationRows), 0))
	}
	fmt.Fprintf(w, "\nPhases:")
	for _, p := range s.Phases {
		fmt.Fprintf(w, " %s %.1fs", p.Name, float64(p.DurationMS)/1000)
		if p.CPUMS > 0 {
			fmt.Fprintf(w, " (CPU %.1fs)", float64(p.CPUMS)/1000)
		}
		fmt.Fprint(w, ";")
	}
	fmt.Fprintf(w, " total %.1fs\n", float64(s.DurationMS)/1000)
}

func printTable(w io.Writer, s *jobs.TableSummary) {
	fmt.Fprintf(w, "churn train --features: %d rows, %d features after encoding, label %q (positive rate %.1f%%), %d-fold stratified cross-validation.\n\n",
		s.Rows, s.Features, s.Label, 100*s.PositiveRate, s.Folds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "algo\tROC AUC mean\tsd\tBrier mean\tPR AUC mean")
	for _, a := range s.Algos {
		fmt.Fprintf(tw, "%s\t%.4f\t%.4f\t%.4f\t%.4f\n", a.Algo, a.ROCAUCMean, a.ROCAUCStd, a.BrierMean, a.PRAUCMean)
	}
	tw.Flush()
}

package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"text/tabwriter"

	"churn/jobs"
)

// setup parses the flags of a command that takes no positional arguments,
// loads the config file, and says which flags were set: only those
// override the config.
func (c *cli) setup(fs *flag.FlagSet) (jobs.Config, map[string]bool, error) {
	if err := c.parse(fs); err != nil {
		return jobs.Config{}, nil, err
	}
	if fs.NArg() > 0 {
		return jobs.Config{}, nil, fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	cfg, err := c.config()
	return cfg, setFlags(fs), err
}

// setFlags tells which flags the command line set, so that only those
// override the config file.
func setFlags(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	return set
}

// applyAsOf parses --as-of into the config when given.
func applyAsOf(cfg *jobs.Config, set map[string]bool, asOf string) error {
	if !set["as-of"] {
		return nil
	}
	t, err := jobs.ParseDate(asOf)
	if err != nil {
		return fmt.Errorf("%w: --as-of: %w", errUsage, err)
	}
	cfg.AsOf = t
	return nil
}

// printJSON prints the summary as one JSON object on one line: schedulers
// such as Airflow take the last line of stdout as the task's result.
func (c *cli) printJSON(v any) error {
	return json.NewEncoder(c.stdout).Encode(v)
}

const runUsage = `usage: churn run [--data DIR] [--out DIR] [--as-of DATE] [--registry DIR] [flags]

The nightly job. Builds every customer's features as of the cutoff (rows
strictly before it), scores churn risk with the registry's promoted model,
estimates each customer's future value, places them in segments, and writes
OUT/as_of=DATE/ atomically: part-00000.parquet (one row per customer; the
date is the folder's Hive key, not a column), manifest.json and _SUCCESS. Prints customers per segment and the top customers by value
at risk.

With no flags it runs on the embedded sample dataset as of the day after its
last day, into ./churn-out, training a model into ./churn-registry first
when the registry has none. A second run on the same --out while one is
running exits 75 (EX_TEMPFAIL: try again later) naming the holder.
Re-running a date replaces its folder atomically; same inputs, config and
model give byte-identical Parquet.

With --explain-out FILE.parquet it also writes every customer's SHAP
values: customer_id, one column per model feature (its contribution to the
log-odds of churn before calibration) and base_value; base_value plus a
row's contributions is the customer's margin.`

func cmdRun(ctx context.Context, c *cli) error {
	fs := c.flags()
	dataDir := fs.String("data", "", "dataset `folder` (one sub-folder per table); default: the embedded sample")
	out := fs.String("out", "churn-out", "output `folder` that receives as_of=YYYY-MM-DD/")
	asOf := fs.String("as-of", "", "cutoff `date` YYYY-MM-DD (midnight UTC) or RFC 3339 instant; default today (the sample's end on the sample)")
	registry := fs.String("registry", "churn-registry", "model registry `folder`")
	seed := fs.Uint64("seed", 1, "random seed")
	workers := fs.Int("workers", 0, "goroutines reading files; default the number of CPUs")
	metricsFile := fs.String("metrics-file", "", "write Prometheus text-format metrics to this `file` (node_exporter textfile collector)")
	metricsPush := fs.String("metrics-push", "", "push metrics to this Prometheus Pushgateway `URL`")
	explainOut := fs.String("explain-out", "", "also write every customer's SHAP values (customer_id, one column per feature, base_value) to this Parquet `file`")
	cfg, set, err := c.setup(fs)
	if err != nil {
		return err
	}
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

func override[T comparable](set map[string]bool, name string, dst *T, v T) {
	if set[name] {
		*dst = v
	}
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

// thousands formats v with a thousands separator and the given decimals.
func thousands(v float64, decimals int) string {
	s := fmt.Sprintf("%.*f", decimals, v)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	out := b.String()
	if frac != "" {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

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
	fs := c.flags()
	dataDir := fs.String("data", "", "dataset `folder`; default: the embedded sample")
	registry := fs.String("registry", "churn-registry", "model registry `folder`")
	asOf := fs.String("as-of", "", "`date` the training data ends (labels need complete horizons before it); default today (the sample's end on the sample)")
	horizon := fs.String("horizon", "90d", "label `horizon`: churn means leaving within it (e.g. 90d, 12w)")
	cutoffs := fs.Int("cutoffs", 8, "number of monthly cutoffs in the training set (at least 3: train, validation, test)")
	report := fs.String("report", "", "write a self-contained HTML report with plots to this `file`")
	algo := fs.String("algo", "auto", "classifier: auto (best of gbt and logistic on validation), gbt, logistic or golearn-rf")
	calibration := fs.String("calibration", "auto", "calibration: auto (better Brier of platt and isotonic), platt, isotonic or none")
	promote := fs.Bool("promote", false, "promote the new version if it is not worse than the promoted one")
	seed := fs.Uint64("seed", 1, "random seed")
	workers := fs.Int("workers", 0, "goroutines; default the number of CPUs")
	featuresFile := fs.String("features", "", "train on this one-row-per-customer `file` (CSV or Parquet) instead of histories")
	label := fs.String("label", "", "with --features: the label `column` (Yes/No, true/false or 1/0)")
	id := fs.String("id", "", "with --features: the customer id `column`, excluded from features")
	search := fs.Bool("search", false, "try a small grid of GBT depths and learning rates on the time split and keep the best")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the command to this `file` (go tool pprof)")
	cfg, set, err := c.setup(fs)
	if err != nil {
		return err
	}
	if *cpuProfile != "" {
		stop, err := startCPUProfile(*cpuProfile)
		if err != nil {
			return err
		}
		defer stop()
	}
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
		if err := jobs.CheckOutputFile(*report); err != nil {
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
		fmt.Fprintf(w, " %s %.1fs;", p.Name, float64(p.DurationMS)/1000)
	}
	fmt.Fprintf(w, " total %.1fs\n", float64(s.DurationMS)/1000)
}

// startCPUProfile writes a CPU profile to path until the returned stop is
// called.
func startCPUProfile(path string) (stop func(), err error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("%w: --cpuprofile: %w", errUsage, err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("--cpuprofile: %w", err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}, nil
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

const promoteUsage = `usage: churn promote --registry DIR [--force] VERSION

Makes VERSION the model that churn run uses. Refuses a version whose holdout
ROC AUC is below the promoted one's, naming both, unless --force.`

func cmdPromote(ctx context.Context, c *cli) error {
	fs := c.flags()
	registry := fs.String("registry", "churn-registry", "model registry `folder`")
	force := fs.Bool("force", false, "promote even when the version's holdout ROC AUC is below the promoted one's")
	if err := c.parse(fs); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("%w: want exactly one VERSION argument", errUsage)
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	override(setFlags(fs), "registry", &cfg.Registry, *registry)
	sum, err := jobs.Promote(cfg, c.env(), fs.Arg(0), *force)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(sum)
	}
	fmt.Fprintf(c.stdout, "churn promote: %s is now the promoted model (was %s).\n", sum.Version, orNone(sum.Previous))
	return nil
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

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
	cfg, set, err := c.setup(fs)
	if err != nil {
		return err
	}
	if *out == "" {
		return fmt.Errorf("%w: --out is required", errUsage)
	}
	if err := jobs.CheckOutputFile(*out); err != nil {
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

const validateUsage = `usage: churn validate --data DIR

Checks a dataset against the input contract and reports every problem it
finds: missing tables or required columns, wrong types, unreadable or
truncated files, nulls in required columns, duplicate customer ids, NPS
outside 0..10, negative durations and more, each with the file, column,
row and value. Exits 2 when the dataset cannot be used.`

func cmdValidate(ctx context.Context, c *cli) error {
	fs := c.flags()
	dataDir := fs.String("data", "", "dataset `folder`; default: the embedded sample")
	cfg, set, err := c.setup(fs)
	if err != nil {
		return err
	}
	override(set, "data", &cfg.Data, *dataDir)
	var text io.Writer = c.stdout
	if c.json {
		text = io.Discard
	}
	sum, err := jobs.Validate(ctx, cfg, c.env(), text)
	if c.json && sum != nil {
		if perr := c.printJSON(sum); perr != nil && err == nil {
			err = perr
		}
	}
	return err
}

const generateUsage = `usage: churn generate --customers N --days D --end DATE --seed S --out DIR

Writes a realistic synthetic dataset that follows the input contract: six
tables, one Parquet file per table and shard of customers. Each customer has
a latent engagement that drifts; some decline slowly and leave, some leave
abruptly, some recover. Same flags, byte-identical files.`

func cmdGenerate(ctx context.Context, c *cli) error {
	fs := c.flags()
	customers := fs.Int("customers", 10000, "number of customers")
	days := fs.Int("days", 365, "days of history")
	end := fs.String("end", "", "first `date` after the history, YYYY-MM-DD (required)")
	seed := fs.Int64("seed", 1, "random seed")
	out := fs.String("out", "", "output dataset `folder` (required)")
	workers := fs.Int("workers", 0, "shards generated at once; default the number of CPUs")
	automated := fs.Bool("automated-event", false, "add an event that fires daily for every subscriber whatever they do")
	rename := fs.Uint64("rename", 0, "write event names, plans, regions and channels as tokens drawn from this `seed` (0: real names)")
	if err := c.parse(fs); err != nil {
		return err
	}
	if *out == "" || *end == "" {
		return fmt.Errorf("%w: --out and --end are required", errUsage)
	}
	endT, err := jobs.ParseDate(*end)
	if err != nil {
		return fmt.Errorf("%w: --end: %w", errUsage, err)
	}
	sum, err := jobs.Generate(ctx, c.env(), jobs.GenerateOptions{
		Customers: *customers, Days: *days, End: endT, Seed: *seed, Out: *out, Workers: *workers,
		AutomatedEvent: *automated, Rename: *rename,
	})
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(sum)
	}
	fmt.Fprintf(c.stdout, "churn generate: %s customers over %d days written to %s in %.1fs:\n",
		thousands(float64(*customers), 0), *days, *out, float64(sum.DurationMS)/1000)
	for _, t := range sum.Tables {
		fmt.Fprintf(c.stdout, "  %-9s %14s rows\n", t.Table, thousands(float64(t.Rows), 0))
	}
	return nil
}

const valueUsage = `usage: churn value --data DIR --as-of DATE [--unit week|day] [--out FILE]

Fits the customer value models as of the cutoff (rows strictly before it):
BG/NBD for how often non-contractual customers buy and whether they are
still alive, Gamma-Gamma for how much they spend, and a shifted-beta-
geometric model of renewals per plan for subscribers; prints the parameters
with standard errors and the log-likelihood, the discounting rule and how
the value intervals are computed. With --out, writes per-customer values
with their 95% interval (predicted_value_low, predicted_value_high) and
p_alive (CSV when FILE ends in .csv, else Parquet).`

func cmdValue(ctx context.Context, c *cli) error {
	fs := c.flags()
	dataDir := fs.String("data", "", "dataset `folder`; default: the embedded sample")
	asOf := fs.String("as-of", "", "cutoff `date`; default today (the sample's end on the sample)")
	unit := fs.String("unit", "week", "time unit of the models: week or day")
	out := fs.String("out", "", "write per-customer values to this `file`")
	cfg, set, err := c.setup(fs)
	if err != nil {
		return err
	}
	if *out != "" {
		if err := jobs.CheckOutputFile(*out); err != nil {
			return fmt.Errorf("%w: --out: %w", errUsage, err)
		}
	}
	override(set, "data", &cfg.Data, *dataDir)
	override(set, "unit", &cfg.Value.Unit, *unit)
	if err := applyAsOf(&cfg, set, *asOf); err != nil {
		return err
	}
	sum, err := jobs.Value(ctx, cfg, c.env(), *out)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(sum)
	}
	printValue(c.stdout, sum)
	return nil
}

func printValue(w io.Writer, s *jobs.ValueSummary) {
	fmt.Fprintf(w, "churn value as of %s, unit %s: %d customers with orders, %d repeat buyers.\n",
		s.AsOf, s.Unit, s.Fit.Customers, s.Fit.Repeaters)
	if bg := s.Fit.BGNBD; bg != nil {
		fmt.Fprintf(w, "\nBG/NBD (log-likelihood %.3f, converged %v):\n", bg.LogLik, bg.Converged)
		for i, p := range []struct {
			name string
			v    float64
		}{{"r", bg.R}, {"alpha", bg.Alpha}, {"a", bg.A}, {"b", bg.B}} {
			fmt.Fprintf(w, "  %-6s %10.6f  (se %.6f)\n", p.name, p.v, bg.SE[i])
		}
	}
	if gg := s.Fit.GammaGamma; gg != nil {
		fmt.Fprintf(w, "\nGamma-Gamma (log-likelihood %.4f, converged %v):\n", gg.LogLik, gg.Converged)
		for i, p := range []struct {
			name string
			v    float64
		}{{"p", gg.P}, {"q", gg.Q}, {"gamma", gg.Gamma}} {
			fmt.Fprintf(w, "  %-6s %10.6f  (se %.6f)\n", p.name, p.v, gg.SE[i])
		}
	}
	if c := s.Fit.Contract; c != nil {
		fmt.Fprintf(w, "\nsBG renewals (per %s, periods of %d days), %d contractual customers:\n", c.By, c.PeriodDays, s.Fit.Contractual)
		for _, g := range c.Groups {
			if m := g.Fit; m != nil {
				fmt.Fprintf(w, "  %-12s %5d customers, %5d churned: alpha %.4g (se %.3g), beta %.4g (se %.3g)\n", g.Group, g.Customers, g.Churned, m.Alpha, m.SE[0], m.Beta, m.SE[1])
			} else {
				fmt.Fprintf(w, "  %-12s %5d customers, %5d churned: %s\n", g.Group, g.Customers, g.Churned, g.Note)
			}
		}
	}
	fmt.Fprintf(w, "\nDiscounting: %s.\nIntervals: %.0f%%, %s.\n", s.Fit.Discount, 100*s.Fit.Interval.Level, s.Fit.Interval.Method)
	for _, n := range s.Fit.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	if s.Out != "" {
		fmt.Fprintf(w, "\nPer-customer values written to %s.\n", s.Out)
	}
}

const importUsage = `usage: churn import cdnow|online-retail --in FILE --out DIR

Converts a public dataset into the input contract, so that every command can
read it:
  cdnow          CDNOW purchase log (master_id sample_id yyyymmdd n_cds dollars);
                 customers sign up at their first purchase, one order per line
  online-retail  UCI Online Retail CSV (gzip or plain): one order per invoice,
                 cancellations as refunds, lines without a customer dropped
Prints what it read, wrote and dropped, by reason.`

func cmdImport(ctx context.Context, c *cli) error {
	fs := c.flags()
	in := fs.String("in", "", "input `file` (required)")
	out := fs.String("out", "", "output dataset `folder` (required)")
	if len(c.args) == 0 || strings.HasPrefix(c.args[0], "-") {
		if err := c.parse(fs); err != nil {
			return err
		}
		return fmt.Errorf("%w: want a dataset kind: cdnow or online-retail", errUsage)
	}
	kind := c.args[0]
	c.args = c.args[1:]
	if err := c.parse(fs); err != nil {
		return err
	}
	if *in == "" || *out == "" {
		return fmt.Errorf("%w: --in and --out are required", errUsage)
	}
	sum, err := jobs.Import(ctx, c.env(), kind, *in, *out)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(sum)
	}
	fmt.Fprintf(c.stdout, "churn import %s: %s -> %s\n", kind, *in, *out)
	b, _ := json.MarshalIndent(sum.Stats, "  ", "  ")
	fmt.Fprintf(c.stdout, "  %s\n", b)
	return nil
}

func cmdVersion(ctx context.Context, c *cli) error {
	fs := c.flags()
	if err := c.parse(fs); err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, codeVersion())
	return nil
}

const listsUsage = `usage: churn lists --scores DIR [--as-of DATE] [--segment S] [--risk high|medium|low]
                   [--value-tier high|medium|low] [--min-value X] [--min-risk P] [--region R]
                   [--plan P] [--sort COLUMN] [--top N] [--format csv|json|parquet|xlsx] [--out FILE]
                   [--bom] [--delimiter D] [--decimal-comma] [--spreadsheet]
       churn lists --scores DIR --changes [--as-of DATE] [--since DATE] [--format ...] [--out FILE]
       churn lists --scores DIR --save-rate S [--offer-cost C] [--budget N] [filters] [--format ...] [--out FILE]

The at-risk list for marketing, from the latest run under --scores (or the
run of --as-of): who should get a retention offer today, and why. Sorted by
value at risk (churn probability x predicted value) unless --sort names
another column. Columns: customer id, segment, churn probability, predicted
value, value at risk, the reasons in plain words and the facts behind them.
CSV (UTF-8, header, ISO dates, decimal point) is what CRMs import; for a
spreadsheet add --bom, --delimiter ';' --decimal-comma where Excel uses a
decimal comma, and --spreadsheet to escape cells that would run as
formulas, or write --format xlsx, which opens in every locale. json writes
JSON lines. Without --out it writes to stdout.

With --changes, compares the run with the one before it (or --since):
customers newly at risk, recovered, newly high value, and churned since.

With --save-rate, a budgeted list: customers ranked by expected net
retained value (churn probability x predicted value x save rate - offer
cost, the first column), stopping before the first whose value is not
positive, or after --budget offers.`

func cmdLists(ctx context.Context, c *cli) error {
	fs := c.flags()
	var o jobs.ListOptions
	fs.StringVar(&o.Scores, "scores", "churn-out", "`folder` holding as_of=YYYY-MM-DD/ run folders (churn run's --out)")
	fs.StringVar(&o.AsOf, "as-of", "", "the run `date` to read; default the latest")
	fs.StringVar(&o.Segment, "segment", "", "only this `segment` (at_risk_high_value, at_risk, high_value, healthy, new, churned)")
	fs.StringVar(&o.Risk, "risk", "", "only this churn risk `tier`: high, medium or low")
	fs.StringVar(&o.ValueTier, "value-tier", "", "only this value `tier`: high, medium or low")
	fs.Float64Var(&o.MinValue, "min-value", 0, "only customers whose predicted value is at least `X`")
	fs.Float64Var(&o.MinRisk, "min-risk", 0, "only customers whose churn probability is at least `P` (0..1)")
	fs.StringVar(&o.Region, "region", "", "only this `region`")
	fs.StringVar(&o.Plan, "plan", "", "only this `plan`")
	fs.StringVar(&o.Sort, "sort", "value_at_risk", "output `column` to sort by, descending (prefix + for ascending)")
	fs.IntVar(&o.Top, "top", 0, "at most `N` customers (0: all)")
	fs.StringVar(&o.Format, "format", "csv", "output `format`: csv, json (JSON lines), parquet or xlsx (an Excel workbook, for every locale)")
	fs.BoolVar(&o.BOM, "bom", false, "with csv: start with a UTF-8 byte order mark, for spreadsheet programs that need it")
	fs.StringVar(&o.Delimiter, "delimiter", "", "with csv: the cell `delimiter`: , ; | or tab (default , and ; with --decimal-comma)")
	fs.BoolVar(&o.DecimalComma, "decimal-comma", false, "with csv: numbers with a decimal comma, as Excel reads them in most of Europe and in Brazil")
	fs.BoolVar(&o.Spreadsheet, "spreadsheet", false, "with csv: escape text cells starting with = + - @ tab or CR with ', so a spreadsheet does not run them as formulas (not for CRM imports; xlsx always escapes)")
	fs.StringVar(&o.Out, "out", "", "output `file`; default stdout (csv and json only)")
	fs.BoolVar(&o.Changes, "changes", false, "list what changed since the previous run instead")
	fs.StringVar(&o.Since, "since", "", "with --changes: the earlier run `date`; default the run before")
	fs.IntVar(&o.Budget, "budget", 0, "a budgeted list of at most `N` offers, ranked by expected net retained value (needs --save-rate); 0: as many as are worth it")
	fs.Float64Var(&o.OfferCost, "offer-cost", 0, "with --save-rate: what one retention offer `C` costs, in the unit of predicted value")
	fs.Float64Var(&o.SaveRate, "save-rate", 0, "the share `S` (0..1] of offered customers who would have left and stay: ranks by probability x value x S - offer cost, stopping where that is not positive")
	if err := c.parse(fs); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	var w io.Writer = c.stdout
	if c.json && o.Out == "" {
		w = io.Discard // the summary owns stdout
	}
	sum, err := jobs.Lists(ctx, c.env(), o, w)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(sum)
	}
	if o.Out != "" {
		fmt.Fprintf(c.stdout, "churn lists: %d customers from the run of %s written to %s.\n", sum.Rows, sum.AsOf, o.Out)
	}
	if b := sum.Offers; b != nil {
		fmt.Fprintf(c.stderr, "churn lists: %d offers cost %s and are expected to keep %s: %s net (stopped by %s).\n",
			b.Offers, thousands(b.Cost, 2), thousands(b.ExpectedRetained, 2), thousands(b.ExpectedNet, 2), strings.ReplaceAll(b.StoppedBy, "_", " "))
	}
	return nil
}

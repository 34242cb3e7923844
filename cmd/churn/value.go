package main

import (
	"context"
	"fmt"
	"io"

	"churn/jobs"
	"churn/jobs/output"
)

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
	unit := fs.String("unit", jobs.DefaultConfig().Value.Unit, "time unit of the models: week or day")
	out := fs.String("out", "", "write per-customer values to this `file`")
	cfg, set, err := c.setup(fs)
	if err != nil {
		return err
	}
	if *out != "" {
		if err := output.CheckOutputFile(*out); err != nil {
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

package main

import (
	"context"
	"fmt"

	"churn/jobs"
)

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

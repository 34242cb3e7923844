package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"churn/jobs"
)

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

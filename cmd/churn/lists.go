package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"churn/jobs"
)

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
	fs.StringVar(&o.Scores, "scores", jobs.DefaultConfig().Out, "`folder` or s3://, gs://, file:// URL holding as_of=YYYY-MM-DD/ run folders (churn run's --out)")
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

package main

import (
	"context"
	"errors"
	"fmt"

	"churn/jobs"
	"churn/jobs/lists"
	"churn/jobs/serve"
)

const serveUsage = `usage: churn serve --scores DIR [--addr 127.0.0.1:8080] [--as-of DATE] [--page-size N]

A read-only web page of a run's scores, for marketing. Open the address it
prints in a browser to see:
  - the run's date and model version;
  - customers and value at risk per segment, as a bar chart (click a bar to
    list that segment);
  - a table of customers, filtered by segment, churn risk, value tier,
    region, plan, minimum value, minimum churn probability or part of a
    customer id, sorted by any column (click its header), page by page;
  - a customer's detail: up to three reasons in plain words and each fact
    behind them against the whole run (its percentile);
  - "Download CSV": the current filter as the CSV that churn lists writes.

It shows the latest run under --scores (or --as-of); other runs are chosen
with ?as_of=YYYY-MM-DD. Everything it needs is inside the binary: no request
leaves the machine. It listens on 127.0.0.1 (this machine only) unless
--addr says otherwise, changes nothing on disk, and stops cleanly on
Ctrl-C or SIGTERM.`

func cmdServe(ctx context.Context, c *cli) error {
	fs := c.flags()
	var o serve.Options
	fs.StringVar(&o.Scores, "scores", jobs.DefaultConfig().Out, "`folder` or s3://, gs://, file:// URL holding as_of=YYYY-MM-DD/ run folders (churn run's --out)")
	fs.StringVar(&o.AsOf, "as-of", "", "the run `date` shown first; default the latest")
	fs.IntVar(&o.PageSize, "page-size", 50, "table rows per `page`")
	addr := fs.String("addr", "127.0.0.1:8080", "`host:port` to listen on; 127.0.0.1 keeps the page on this machine")
	if err := c.parse(fs); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if o.PageSize < 1 || o.PageSize > serve.MaxPageSize {
		return fmt.Errorf("%w: --page-size %d: want 1 to %d", errUsage, o.PageSize, serve.MaxPageSize)
	}
	h, err := serve.Handler(o)
	if errors.Is(err, lists.ErrInvalid) {
		return invalidInput{err}
	}
	if err != nil {
		return err
	}
	return serve.ListenAndServe(ctx, *addr, h, c.log)
}

// invalidInput marks an error of the lists package, which already says
// "invalid input", as jobs.ErrInvalidInput so that it exits 2, without
// repeating the words.
type invalidInput struct{ error }

func (e invalidInput) Unwrap() error { return e.error }

func (e invalidInput) Is(target error) bool { return target == jobs.ErrInvalidInput }

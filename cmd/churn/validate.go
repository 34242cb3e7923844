package main

import (
	"context"
	"io"

	"churn/jobs"
)

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

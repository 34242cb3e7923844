package main

import (
	"context"
	"fmt"

	"churn/jobs"
)

const promoteUsage = `usage: churn promote --registry DIR [--force] VERSION

Makes VERSION the model that churn run uses. Refuses a version whose holdout
ROC AUC is below the promoted one's, naming both, unless --force.`

func cmdPromote(ctx context.Context, c *cli) error {
	fs := c.flags()
	registry := fs.String("registry", jobs.DefaultConfig().Registry, "model registry `folder` or s3://, gs://, file:// URL")
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

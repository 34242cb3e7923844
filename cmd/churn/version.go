package main

import (
	"context"
	"fmt"
)

func cmdVersion(ctx context.Context, c *cli) error {
	fs := c.flags()
	if err := c.parse(fs); err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, codeVersion())
	return nil
}

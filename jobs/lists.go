package jobs

import (
	"context"
	"errors"
	"io"

	"churn/jobs/lists"
)

// ListOptions are the flags of `churn lists`.
type ListOptions = lists.Options

// ListSummary is what `churn lists` reports.
type ListSummary = lists.Summary

// Lists writes the at-risk list, or the changes between two runs, from the
// scores a run wrote. Bad options and unusable score folders are invalid
// input.
func Lists(ctx context.Context, env Env, o ListOptions, w io.Writer) (*ListSummary, error) {
	sum, err := lists.Write(ctx, o, w)
	if err != nil {
		if errors.Is(err, lists.ErrInvalid) || errors.Is(err, lists.ErrNotFound) {
			return nil, invalid(err)
		}
		return nil, err
	}
	env.Log.Info().Str("command", "lists").Str("as_of", sum.AsOf).Int("rows", sum.Rows).Msg("list written")
	return sum, nil
}

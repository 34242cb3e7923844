package jobs

import (
	"context"
	"fmt"
	"io"

	"churn/data"
)

// ValidateSummary is what `churn validate` reports.
type ValidateSummary struct {
	Data     string               `json:"data"`
	Files    int                  `json:"files"`
	Rows     map[data.Table]int64 `json:"rows"`
	Problems []data.Problem       `json:"problems"`
	Counts   map[string]int64     `json:"counts"`
	OK       bool                 `json:"ok"`
}

// Validate checks a dataset against the contract, writes every problem it
// finds to w, one a line, and returns ErrInvalidInput when there is any.
func Validate(ctx context.Context, cfg Config, env Env, w io.Writer) (*ValidateSummary, error) {
	root, _, _, err := resolveDataset(&cfg, &env)
	if err != nil {
		return nil, err
	}
	ds, err := discover(root)
	if err != nil {
		return nil, err
	}
	rep, err := data.Validate(ctx, ds, data.ReadOptions{Mapping: cfg.Mapping, Until: data.NoTime})
	if err != nil {
		return nil, fmt.Errorf("validate %s: %w", root, err)
	}
	if err := rep.WriteText(w); err != nil {
		return nil, err
	}
	sum := &ValidateSummary{Data: root, Files: rep.Files, Rows: rep.Rows, Problems: rep.Problems, Counts: rep.Counts, OK: rep.OK()}
	var n int64
	for _, c := range rep.Counts {
		n += c
	}
	env.Log.Info().Str("command", "validate").Str("data", root).Int("files", rep.Files).Int64("problems", n).
		Bool("ok", sum.OK).Msg("dataset validated")
	if !sum.OK {
		return sum, fmt.Errorf("%w: %s breaks the input contract: %d problems", ErrInvalidInput, root, n)
	}
	return sum, nil
}

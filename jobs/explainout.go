package jobs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"golang.org/x/sync/errgroup"

	"churn/data"
	"churn/features"
	"churn/model"
)

// explainBaseColumn is the column of an explanations file that holds the
// base value: the margin the contributions start from.
const explainBaseColumn = "base_value"

// explainer is what writeExplanations needs of a model; *model.Trained
// is one.
type explainer interface {
	contributor
	BaseValue() (float64, error)
}

// checkExplainOut refuses, before any work, an explanations file whose
// folder does not exist or whose name is not a Parquet file.
func checkExplainOut(path string) error {
	if path == "" {
		return nil
	}
	if filepath.Ext(path) != ".parquet" {
		return invalid(fmt.Errorf("--explain-out %s: want a .parquet file", path))
	}
	st, err := os.Stat(filepath.Dir(path))
	if err != nil {
		return invalid(fmt.Errorf("--explain-out %s: %w", path, err))
	}
	if !st.IsDir() {
		return invalid(fmt.Errorf("--explain-out %s: %s is not a folder", path, filepath.Dir(path)))
	}
	return nil
}

// writeExplanations writes every customer's SHAP values to path as
// Parquet, so that it appears whole: customer_id, one column per model
// feature (its contribution to the margin, log-odds, before calibration)
// and base_value, so that base_value plus a row's contributions is the
// customer's margin. Rows are in the frame's order and each depends on its
// row alone, so the file is the same for any number of workers.
func writeExplanations(ctx context.Context, c explainer, f *features.Frame, workers int, path string) error {
	feats := c.Features()
	for _, name := range feats {
		if name == "customer_id" || name == explainBaseColumn {
			return fmt.Errorf("explanations: feature %q clashes with a key column", name)
		}
	}
	if !slices.Equal(feats, f.Names) {
		return fmt.Errorf("explanations: the model's features are not the frame's: %w", model.ErrFeatureMismatch)
	}
	base, err := c.BaseValue()
	if err != nil {
		return fmt.Errorf("explanations: %w", err)
	}
	n, cols := f.Rows(), len(feats)
	out := make([][]float64, cols)
	for j := range out {
		out[j] = make([]float64, n)
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(max(workers, 1))
	for lo := 0; lo < n; lo += explainBlock {
		hi := min(lo+explainBlock, n)
		g.Go(func() error {
			if err := ctx.Err(); err != nil {
				return err
			}
			block := &model.Matrix{Cols: f.Names, Rows: hi - lo, X: f.X[lo*cols : hi*cols]}
			eff := make([]float64, block.Rows*cols)
			if err := c.ContributionsRows(eff, block); err != nil {
				return fmt.Errorf("explain customers %s to %s: %w", f.CustomerID[lo], f.CustomerID[hi-1], err)
			}
			// Each block fills its own rows of every column.
			for k := range hi - lo {
				for j := range cols {
					out[j][lo+k] = eff[k*cols+j]
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	bases := make([]float64, n)
	for i := range bases {
		bases[i] = base
	}
	columns := make([]data.OutColumn, 0, cols+2)
	columns = append(columns, data.OutColumn{Name: "customer_id", Kind: data.String, Strings: f.CustomerID})
	for j, name := range feats {
		columns = append(columns, data.OutColumn{Name: name, Kind: data.Float, Floats: out[j]})
	}
	columns = append(columns, data.OutColumn{Name: explainBaseColumn, Kind: data.Float, Floats: bases})
	return writeParquetFile(path, columns)
}

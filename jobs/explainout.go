package jobs

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"churn/data"
	"churn/features"
	"churn/jobs/output"
	"churn/model"
)

// explainBaseColumn is the column of an explanations file that holds the
// base value: the margin the contributions start from.
const explainBaseColumn = "base_value"

// explainer is what newExplanations needs of a model; *model.Trained
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

// explanations holds every customer's SHAP values for the explanations
// file, column by column, as explain computes them (see keep).
type explanations struct {
	feats []string
	base  float64
	cols  [][]float64 // cols[j][i]: customer i's contribution of feature j
}

// newExplanations prepares the explanations of the model c for the rows
// of f: the model's features must be the frame's, and none may be named
// as a key column of the file.
func newExplanations(c explainer, f *features.Frame) (*explanations, error) {
	feats := c.Features()
	for _, name := range feats {
		if name == "customer_id" || name == explainBaseColumn {
			return nil, fmt.Errorf("explanations: feature %q clashes with a key column", name)
		}
	}
	if !slices.Equal(feats, f.Names) {
		return nil, fmt.Errorf("explanations: the model's features are not the frame's: %w", model.ErrFeatureMismatch)
	}
	base, err := c.BaseValue()
	if err != nil {
		return nil, fmt.Errorf("explanations: %w", err)
	}
	e := &explanations{feats: feats, base: base, cols: make([][]float64, len(feats))}
	for j := range e.cols {
		e.cols[j] = make([]float64, f.Rows())
	}
	return e, nil
}

// keep stores the contributions of the rows lo, lo+1, ... (len(feats)
// per row, as explain hands them over). Calls for blocks that share no
// rows may run at once.
func (e *explanations) keep(lo int, eff []float64) {
	n := len(e.feats)
	for k := range len(eff) / n {
		for j, v := range eff[k*n : (k+1)*n] {
			e.cols[j][lo+k] = v
		}
	}
}

// write writes the explanations to path as Parquet, so that it appears
// whole: customer_id, one column per model feature (its contribution to
// the margin, log-odds, before calibration) and base_value, so that
// base_value plus a row's contributions is the customer's margin. Rows are
// in the frame's order and each depends on its row alone, so the file is
// the same for any number of workers.
func (e *explanations) write(path string, f *features.Frame) error {
	bases := make([]float64, f.Rows())
	for i := range bases {
		bases[i] = e.base
	}
	columns := make([]data.OutColumn, 0, len(e.feats)+2)
	columns = append(columns, data.OutColumn{Name: "customer_id", Kind: data.String, Strings: f.CustomerID})
	for j, name := range e.feats {
		columns = append(columns, data.OutColumn{Name: name, Kind: data.Float, Floats: e.cols[j]})
	}
	columns = append(columns, data.OutColumn{Name: explainBaseColumn, Kind: data.Float, Floats: bases})
	return output.WriteParquetFile(path, columns)
}

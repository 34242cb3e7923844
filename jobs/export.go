package jobs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"churn/internal/fsutil"
	"churn/model"
)

// ExportFormatXGBoostJSON is the one export format: XGBoost's JSON model.
const ExportFormatXGBoostJSON = "xgboost-json"

// ExportSummary is what `churn export-model` reports.
type ExportSummary struct {
	Version     string `json:"version"`
	Format      string `json:"format"`
	Out         string `json:"out"`
	Calibrator  string `json:"calibrator"`
	Features    int    `json:"features"`
	Calibration string `json:"calibration"`
}

// calibratorFile is the JSON written beside an exported model: the step
// from the exported booster's raw margin to churn's probability.
type calibratorFile struct {
	Model      string               `json:"model"`
	Version    string               `json:"version"`
	Features   []string             `json:"features"`
	Note       string               `json:"note"`
	Calibrator model.CalibratorSpec `json:"calibrator"`
}

// CalibratorPath is where ExportModel writes the calibrator of a model
// exported to out: out without its .json extension, plus
// .calibration.json.
func CalibratorPath(out string) string {
	return strings.TrimSuffix(out, ".json") + ".calibration.json"
}

// ExportModel writes a registry version in a format other tools read:
// "xgboost-json" writes the trees to out in XGBoost's JSON model format
// and the calibrator to CalibratorPath(out). The booster gives the margin
// before calibration; the calibrator file says how to turn it into the
// probability that churn run writes. Each file appears whole or not at
// all. A version that is not a tree model cannot be exported as XGBoost
// JSON (invalid input).
func ExportModel(cfg Config, env Env, version, format, out string) (*ExportSummary, error) {
	if format != ExportFormatXGBoostJSON {
		return nil, invalid(fmt.Errorf("export format %q: want %s", format, ExportFormatXGBoostJSON))
	}
	if out == "" {
		return nil, invalid(errors.New("export: no output file"))
	}
	reg, err := openExistingRegistry(cfg.Registry)
	if err != nil {
		return nil, err
	}
	defer reg.Close()
	clf, _, err := reg.Load(version)
	if err != nil {
		if errors.Is(err, model.ErrNoModel) {
			return nil, invalid(err)
		}
		return nil, fmt.Errorf("export %s: %w", version, err)
	}
	var booster bytes.Buffer
	if err := clf.WriteXGBoostJSON(&booster); err != nil {
		if errors.Is(err, model.ErrNotTrees) {
			return nil, invalid(fmt.Errorf("export %s: %w", version, err))
		}
		return nil, fmt.Errorf("export %s: %w", version, err)
	}
	cal, err := json.MarshalIndent(calibratorFile{
		Model:      out,
		Version:    version,
		Features:   clf.Features(),
		Note:       "The exported booster's output_margin=True prediction is the margin before calibration; this map turns it into churn_probability.",
		Calibrator: clf.CalibratorSpec(),
	}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("encode calibrator: %w", err)
	}
	calPath := CalibratorPath(out)
	if calPath == out {
		return nil, invalid(fmt.Errorf("export to %s: the calibrator would overwrite the model; name the output FILE.json", out))
	}
	if err := fsutil.WriteFile(out, booster.Bytes()); err != nil {
		return nil, fmt.Errorf("export %s: %w", version, err)
	}
	if err := fsutil.WriteFile(calPath, append(cal, '\n')); err != nil {
		return nil, fmt.Errorf("export %s: %w", version, err)
	}
	sum := &ExportSummary{Version: version, Format: format, Out: out, Calibrator: calPath,
		Features: len(clf.Features()), Calibration: clf.Calibration.Method}
	env.Log.Info().Str("command", "export-model").Str("version", version).Str("format", format).Str("out", out).
		Str("calibrator", calPath).Msg("model exported")
	return sum, nil
}

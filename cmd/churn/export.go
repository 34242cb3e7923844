package main

import (
	"context"
	"fmt"

	"churn/jobs"
)

const exportUsage = `usage: churn export-model VERSION --registry DIR --format xgboost-json --out FILE.json

Writes a registry version's trees in XGBoost's JSON model format, so that
Python opens it:

    import xgboost, numpy, json
    booster = xgboost.Booster(model_file="FILE.json")
    margin = booster.predict(xgboost.DMatrix(X), output_margin=True)
    cal = json.load(open("FILE.calibration.json"))["calibrator"]

and shap.TreeExplainer(booster) explains it. X holds the feature columns
in the order of the model's feature_names (churn features writes them);
replace ±Inf by NaN (this model treats both as missing, XGBoost only NaN).

The booster gives the margin (log-odds) before churn's calibration. The
calibrator is written beside it, to FILE.calibration.json: method none
(p = sigmoid(margin)), platt (p = sigmoid(a*margin + b)) or isotonic
(p = numpy.interp(margin, x, y)), which gives churn_probability. Every
row takes the same leaves in XGBoost as in churn; XGBoost sums them in
float32, so margins differ by float32 rounding (under 1e-6 for a few dozen
trees). Only tree models export (not --algo logistic).`

func cmdExportModel(ctx context.Context, c *cli) error {
	fs := c.flags()
	registry := fs.String("registry", jobs.DefaultConfig().Registry, "model registry `folder` or s3://, gs://, file:// URL")
	format := fs.String("format", jobs.ExportFormatXGBoostJSON, "export `format`: xgboost-json")
	out := fs.String("out", "", "output `file` (required); the calibrator goes beside it as FILE.calibration.json")
	// The version comes first, as the usage shows it; flags follow it.
	version := ""
	if len(c.args) > 0 && len(c.args[0]) > 0 && c.args[0][0] != '-' {
		version, c.args = c.args[0], c.args[1:]
	}
	if err := c.parse(fs); err != nil {
		return err
	}
	if version == "" && fs.NArg() == 1 {
		version = fs.Arg(0)
	} else if fs.NArg() > 0 {
		return fmt.Errorf("%w: unexpected argument %q", errUsage, fs.Arg(0))
	}
	if version == "" {
		return fmt.Errorf("%w: want a VERSION argument (churn models lists them)", errUsage)
	}
	if *out == "" {
		return fmt.Errorf("%w: --out is required", errUsage)
	}
	cfg, err := c.config()
	if err != nil {
		return err
	}
	override(setFlags(fs), "registry", &cfg.Registry, *registry)
	sum, err := jobs.ExportModel(cfg, c.env(), version, *format, *out)
	if err != nil {
		return err
	}
	if c.json {
		return c.printJSON(sum)
	}
	fmt.Fprintf(c.stdout, "churn export-model: %s written to %s (%s, %d features); calibrator (%s) to %s.\n",
		sum.Version, sum.Out, sum.Format, sum.Features, sum.Calibration, sum.Calibrator)
	return nil
}

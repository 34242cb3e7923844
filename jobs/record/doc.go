// Package record measures and writes what churn records beside a model
// version and a run, from facts the pipelines of jobs pass in.
//
// For a trained version: ExplainHoldout explains an even stride of at
// most 2,000 holdout rows (the training report's SHAP plots and the mean
// |SHAP| importance of model.Record), HoldoutDrift is each feature's
// population stability index on the holdout against the training
// profile, DataWindow describes the training cutoffs by their roles, and
// ModelCardFile renders MODEL_CARD.md (ModelCardName) from the same facts
// as meta.json. For a run: Drift compares the customers a model can score
// with its training profile, and EarlierRun and EvaluateEarlier find the
// latest earlier run whose label span has passed and measure its scores
// against what happened (on at least MinEvaluated labelled customers of
// both outcomes). PSIs are rounded to four decimals, and one
// that is not a number is recorded as -1.
//
// It does not import jobs.
package record

// Package model holds the learning code: classifiers with probabilities,
// calibration, explanations and the model registry. It works on plain
// matrices with named columns ([Matrix]) and imports neither data nor
// features; metrics live in model/eval, trees in model/gbt, value models in
// model/clv.
//
// # Training
//
// [Train] fits the candidates of [TrainConfig].Algo on the training rows:
// "auto" fits gradient-boosted trees (model/gbt, stopped early on the
// validation cutoff, or run for the tree count of an early-stopping run on
// the first [TrainConfig].StopRows training rows) and an L2 logistic regression ([FitLogistic]) and
// keeps the higher validation ROC AUC; [Trained].Choice says which and why,
// [Trained].Candidates holds both reports. [FitLogistic] builds the
// standardised design once and solves with Newton steps (conjugate
// gradients on the full Hessian, preconditioned by a sampled one), the
// passes spread over goroutines in fixed blocks; on amd64 with AVX2 the
// gradient's term-by-term sums run four terms per instruction
// (rows_amd64.s), in the Go loop's order and rounding, so the fit is the
// same bit for bit as under the purego build tag. [Refit] fits the kept
// algorithm again on more rows (trees for the early-stopping count scaled
// to them) and calibrates it on held-back rows; [SearchGBT] tries a small
// grid of tree parameters on the validation cutoff. "golearn-rf" is a baseline
// only (model/internal/golearnrf documents its defects); it is never part
// of "auto" and cannot be saved. golearn compiles C++ through cgo, so the
// baseline exists only in binaries built with cgo; elsewhere (CGO_ENABLED=0,
// or Windows without a C compiler) asking for it gives ErrNoCgo, and every
// other algorithm, pure Go, works the same.
//
// # Calibration
//
// After selection, Platt scaling and isotonic regression (model/calibrate)
// are measured on the calibration cutoff with two-fold cross-fitting,
// beside the uncalibrated model, and the lowest Brier score is kept and
// refitted on all calibration rows ([CalibrationReport]).
// [Trained.PredictProba] returns calibrated probabilities;
// [Trained.Contributions] explains the uncalibrated margin (log-odds),
// because calibration is one monotone map of that margin.
//
// # Explanations
//
// [TopContributions] ranks per-feature effects: TreeSHAP values for trees,
// coefficient x standardised value for the logistic model.
//
// # Drift
//
// [Profile] keeps each training column's quantile bins and missing share
// ([Distribution]); [Distribution.PSI] compares new values against them.
//
// # Registry
//
// [OpenRegistry] manages a folder of versions v0001, v0002, ... each with
// model.bin, metrics.json, features.json and meta.json, written atomically,
// and a PROMOTED pointer. [OpenStorageRegistry] keeps the same layout on
// object storage, behind the small [Storage] interface that the caller
// implements over its blob access: a version's meta.json is uploaded
// last and a version without it is invisible, a version number is
// claimed by a conditional write, and PROMOTED is one object replaced in
// one PUT. The first saved version is promoted at once;
// [Registry.Promote] refuses a version with a lower holdout ROC AUC unless
// forced. meta.json holds a [Record] (parameters, trees used, importance,
// data window, metrics per group, drift) when the caller gives one, and
// [Registry.Save] writes the caller's extra files ([VersionFile], such as
// a model card) with the others, so they appear together. [Registry.List]
// reads every version's meta.
//
// # Export
//
// [Trained.WriteXGBoostJSON] writes a tree model before calibration in
// XGBoost's JSON format; [Trained.CalibratorSpec] spells out the
// calibration that turns its margin into PredictProba's probability, and
// [Trained.BaseValue] is the margin that contributions start from.
//
// # Bad input
//
// Single-class labels, labels other than 0/1, fewer than [MinTrainRows]
// rows and length mismatches are errors (errors.go). Constant, all-missing
// and infinite columns are dropped by the logistic model with a note and
// handled as ordinary (useless) columns by trees; probabilities are never
// NaN.
package model

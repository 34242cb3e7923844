package model

import "errors"

var (
	// ErrFeatureMismatch reports a matrix whose columns are not the
	// features a model was trained on, in the same order.
	ErrFeatureMismatch = errors.New("feature mismatch")

	// ErrSingleClass reports labels that hold one class only: no classifier
	// can be fitted or validated on them.
	ErrSingleClass = errors.New("labels hold a single class")

	// ErrTooFewRows reports fewer labelled training rows than MinTrainRows.
	ErrTooFewRows = errors.New("too few labelled rows")

	// ErrBadLabel reports a label that is not 0 or 1 (NaN and Inf included).
	ErrBadLabel = errors.New("label not 0 or 1")

	// ErrLengthMismatch reports inconsistent lengths: labels against rows,
	// matrix data against its shape, destination against input.
	ErrLengthMismatch = errors.New("length mismatch")

	// ErrNoUsableFeatures reports a matrix whose every column is constant,
	// all missing or infinite.
	ErrNoUsableFeatures = errors.New("no usable feature columns")

	// ErrUnknownAlgo reports an algorithm or calibration name that Train
	// does not know.
	ErrUnknownAlgo = errors.New("unknown algorithm")

	// ErrNoCgo reports the golearn random forest baseline asked of a
	// binary built without cgo (CGO_ENABLED=0, or no C compiler, as is
	// usual on Windows): golearn's ensemble package compiles liblinear's
	// C++ sources.
	ErrNoCgo = errors.New("golearn-rf needs a binary built with cgo")

	// ErrNoContributions reports a model that cannot explain its scores
	// (the golearn random forest baseline).
	ErrNoContributions = errors.New("model has no per-feature contributions")

	// ErrNotSerializable reports a model that cannot be saved (the golearn
	// random forest baseline).
	ErrNotSerializable = errors.New("model cannot be saved")

	// ErrBadModelFile reports a model file that is truncated, corrupt or of
	// an unknown format version.
	ErrBadModelFile = errors.New("bad model file")

	// ErrWorseModel reports a promotion refused because the candidate's
	// holdout ROC AUC is below the promoted model's.
	ErrWorseModel = errors.New("holdout ROC AUC below the promoted model's")

	// ErrNotTrees reports an export that only a tree model allows, asked
	// of another algorithm (logistic).
	ErrNotTrees = errors.New("model is not gradient-boosted trees")

	// ErrNoModel reports a registry with no promoted model, or a version
	// that does not exist.
	ErrNoModel = errors.New("no such model")
)

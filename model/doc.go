// Package model holds the learning code: classifiers with probabilities,
// calibration, explanations, evaluation metrics and the model registry. It
// works on plain matrices with named columns and imports neither data nor
// features.
package model

// Package eval measures probabilistic binary classifiers: how well they
// rank (ROC AUC, PR AUC, lift and capture in the top decile, precision at
// K), how honest their probabilities are (log loss, Brier score, expected
// calibration error, reliability curve), and the curve points that a report
// plots. It imports nothing of churn.
//
// # Conventions
//
// Scores p are probabilities in [0, 1]; labels y are 1 (positive, churned)
// or 0. The single-metric functions expect clean input of equal length;
// [Evaluate] skips rows with a NaN label or a NaN score and counts them.
// A metric that is undefined for the input (ROC AUC with one class, any
// metric on no rows) is NaN, and a [Report] encodes it as JSON null.
//
// # Ties
//
// Rows with equal scores are ranked as a block: ROC AUC gives a tied
// positive-negative pair one half (the Mann-Whitney statistic), the ROC and
// precision-recall curves move diagonally across a block, and average
// precision takes one step per distinct score. Top-K metrics break ties by
// row order, so they are deterministic.
package eval

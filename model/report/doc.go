// Package report writes the training report of a churn model: one
// self-contained HTML file that a data scientist can open offline and show.
//
// # Contents
//
// [Write] renders, in this order:
//
//   - the metrics table: the model, the model before calibration when given,
//     and each baseline, on ROC AUC, PR AUC, log loss, Brier score, expected
//     calibration error, lift and capture in the top decile and precision at
//     K, the best value of each column in bold;
//   - ROC and precision-recall curves, model and baselines;
//   - the reliability diagram: mean predicted probability against observed
//     churn rate per bin, calibrated and uncalibrated, with the diagonal and
//     the rows per bin;
//   - the cumulative gains curve and the lift per score decile;
//   - the score distribution of churned and stayed customers, each as a share
//     of its own class so that a rare class stays visible;
//   - the 25 most important features as horizontal bars (share of the summed
//     absolute importance);
//   - when SHAP values are given: the 25 features of largest mean absolute
//     SHAP value as bars, and a beeswarm of the 15 largest, one dot per
//     customer (at most 400, an even stride) placed at its SHAP value,
//     stacked where dots crowd, and coloured by the customer's value of
//     the feature (5th to 95th percentile, blue to red; grey when missing);
//   - the data summary per cutoff, the metrics per group (plan, region) and
//     the notes.
//
// # Self-contained and deterministic
//
// The file holds no reference to the network: the style sheet is inline and
// every plot is inline SVG drawn by this package. The same [Input] gives the
// same bytes: maps are visited in sorted order, curves are thinned to at most
// a few hundred points by a fixed stride, and nothing reads the clock. Every
// string from the input (title, notes, feature, baseline, group and cutoff
// names) is escaped.
//
// # Undefined values
//
// Metrics that the input leaves undefined (ROC AUC with one class, anything
// on no rows) print as a dash, and a plot without data says why instead of
// drawing. Rows whose label or score is NaN are skipped, as [eval.Evaluate]
// skips them, and non-finite points never reach the SVG.
package report

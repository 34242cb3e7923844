// Package trainset turns the feature rows of many training cutoffs into
// the sets that churn train fits, chooses, calibrates and measures on.
//
// ByTime splits by time: the latest cutoff is the test set; the cutoffs
// whose label window reaches into its horizon are set aside (RoleGap); the
// latest one left is halved by customer, by a seeded hash of the id, into
// validation and calibration, and the older ones train, those whose label
// windows end by the validation cutoff first (RoleStop: they alone fit the
// GBT's early-stopping run). The test cutoff is
// halved the same way into the refit half and the half held back to
// calibrate the refit. Every role is one range of rows of one matrix that
// shares the frame's memory. No training or validation row has a label
// window that reaches into the test horizon.
//
// Baseline is the naive model the real one must beat (days since the last
// activity). Fingerprint hashes the inputs' checksums and the config: the
// same fingerprint means the same training data.
//
// CutoffRows and RowsAt take the rows of one cutoff out of a frame built
// for many (features.Frame.Select any rows); ConcatFrames joins frames with the
// same feature columns.
//
// StratifiedFolds, SplitInner, MatrixRows, Pick and MeanStd are the
// stratified k-fold cross-validation of a table with one row per customer.
//
// ByTime takes a frame of the labelled rows alone, as
// features.Builder.BuildLabelled builds it for training, with the number
// of rows each cutoff has in all, which its summaries report.
//
// Cache keeps each cutoff's rows on disk (the labelled ones, with that
// number), keyed by everything they depend on (the input files' paths,
// sizes and modification times, the settings, the end of the data, the
// cutoff and the code version), so that a train run again on the same
// inputs does not read the histories again. An
// entry appears whole or not at all; a damaged entry is a miss; its bytes
// do not depend on map order; entries unused for two weeks are pruned.
package trainset

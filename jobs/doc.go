// Package jobs holds the pipelines that the churn command runs: Run (the
// nightly job), Train, Promote, Models, ExportModel, Features, Validate,
// Value, Generate, Import and Lists. It is the only package, beside cmd/churn, that starts
// goroutines, reports progress and logs; data, features and model stay
// synchronous and silent, and jobs joins them.
//
// Each pipeline is a top-down recipe; the machinery it uses lives in
// sub-packages that do not import jobs and take what they need as
// parameters: ingest (parallel reading into a features.Builder, progress,
// the bad-row policy, InputFile, ErrInvalidInput), segment (risk and value
// tiers, segments and their assembly), trainset (the time split, the
// baseline, the training fingerprint, the feature cache, the rows of a
// cutoff and the k-fold split of a feature table), value (the customer
// value models' fit and every customer's value), record (the holdout's
// SHAP sample and drift, the data window, the model card, the run's drift
// and the evaluation of an earlier run), output (CSV, Parquet and SHAP
// files, a run folder on a bucket, passthrough columns, the writability
// checks), lock (the output folder's lock), metrics (the Prometheus
// exposition), lists (the marketing lists) and serve (the web page). jobs
// re-exports the names its callers use (ErrInvalidInput, ErrLocked,
// InputFile, Progress, SegmentOptions, ValueOptions, CutoffSummary) as the
// same values and types.
//
// # Configuration
//
// Config is a plain struct with documented defaults (DefaultConfig) and a
// Validate that reports every problem at once. LoadConfigFile applies a
// YAML or TOML file on top; unknown keys are errors. Time and randomness are
// injected: Config.AsOf and Config.Seed, and Env carries the logger, the
// clock and the code version.
//
// # Reading
//
// loadFrame reads every file of a dataset once. Customers come first (they
// fix the customer index); the other tables' files are read by
// Config.Workers goroutines, errgroup-owned, whose batches are folded into
// one set of per-customer accumulators sharded by customer, for every
// cutoff at once. Bad rows follow Config.BadRows: counted by table and
// reason, the first few logged, and the run failing with ErrInvalidInput
// above the allowed fraction. Progress is logged every few seconds, and
// drawn as a bar when Env.Progress is set (a terminal).
//
// The features catalog (features.Catalog: the event names of the event
// mix, the automated event names, the customer attributes, the session
// and ticket channels) comes from the promoted model when scoring.
// Training and `churn features` learn it instead: the extra columns of
// customers/ are read with the customers (data.ReadExtras), the event
// part by a features.EventProfile of the rows before the latest cutoff,
// and the channels are counted by the fold itself and ranked at the
// build. The profile reads a sample of the event files (sampleEvents)
// before the fold; the fold takes every table but the events first,
// profiling the sessions it folds (only they tell a heartbeat from an
// action used daily), then the events under the catalog the sample and
// the sessions learn, profiling every event row, and ends with the
// catalog that profile learns, folding the events again where it folds a
// name otherwise (a pendingCatalog, features.Builder.Recatalog). With one
// event file the profile reads it whole before the fold. A FeaturesPlan,
// which fixes the catalog before any fold, profiles every event file and
// reads the sessions once more instead.
// Train stores the catalog in the model's meta (extra.feature_catalog);
// the train summary and the run manifest list it.
//
// # Distributed features
//
// FeaturesPlan (distributed.go) cuts `churn features` where an engine that
// runs on many machines takes over (cmd/churn-beam, its own module, on
// Apache Beam): PlanFeatures reads the customers and learns the catalog
// where the job starts; every worker freezes the same customer index
// (Base), folds one of the plan's Folds into a fork (FoldFile, the same
// reader and bad-row policy): a history file, or, for a file of more than
// FoldBytes compressed (a table written as one file), a range of its row
// groups cut from the footer, so that the workers share it; the results
// of a file's folds add up to the file's in the manifest. It then sends the fork's accumulators per customer range as
// bytes (features.Builder.EncodePartial) or merges them into a
// RangeFork per range, which holds that range's customers alone
// (Builder.MergeRange, Builder.MergePartial); each range's
// rows are written as one Parquet part (WriteRange), and Check and
// CommitFeatures apply the bad-row limit, write the manifest and make the
// folder appear by rename. The rows are those of Features; only their
// order differs. A plan travels to the workers as bytes, and a dataset in
// a bucket is reopened from its URL once per worker process
// (DecodeFeaturesPlan, data.Reattach). A table in a bucket is a
// store.Pending (CreateFeaturesPending): the workers upload the parts
// under its temporary prefix, the manifest is staged
// (EncodeFeaturesManifest), and the launcher commits, _SUCCESS last.
//
// RunDistributed is Run with everything between the model and the commit
// handed to such an engine (a BuildRun): it plans the run's cutoffs with
// the model's catalog, names the model, creates the pending run folder
// (output.CreatePending: a folder, or a bucket's store.Pending, whose
// parts the workers upload under its temporary prefix with
// output.WritePart), and commits it from what the engine hands back
// (RunParts). The engine
// builds each customer range's frames (RunFrames), scores and explains
// its rows at the run's cutoff with the population's typical values
// (PeerCountOf, PeerShare, Peers, Scorer.ScoreRange), values them with
// fits made once from every range's compact inputs (ValueInputsOf,
// FitValues), segments them with the population's thresholds and value
// cut points (segment.Population, CutValuesOf: summaries that merge
// exactly) and writes the range's part file itself (Scorer.WriteRange);
// FinishRun merges the ranges' segment counts, top lists, drift bins and
// earlier-run pairs into the manifest's figures. The parts' rows, taken in
// order, and the figures are Run's, which computes them the same
// mergeable way over one range.
//
// # The nightly run
//
// Run takes the output folder's lock (flock, or LockFileEx on Windows,
// released by the system when the process dies, naming its holder), removes temporary folders a
// killed run left, builds the features as of the cutoff, scores them with
// the registry's promoted model, explains every score (exact TreeSHAP
// grouped into behaviour families by features.Explainer: up to three
// reasons in plain English or Portuguese, with stable codes), values every
// customer (BG/NBD and Gamma-Gamma, or expected remaining lifetime for
// subscribers), assigns segments, measures drift against the model's training profile, evaluates
// an earlier run whose horizon has passed, and writes OUT/as_of=DATE/
// through runs.Write (package data/runs owns the run folder's layout,
// columns, segment ids and manifest): it appears whole or not at all, with
// _SUCCESS written last, and replaces an earlier folder of the same date.
// as_of is the folder's Hive key only, never a column of the part files,
// so that readers that merge path and file see it once.
//
// A failed read stops the other readers; the run then reports the errors
// of the files that failed on their own (file, row group, column, value),
// never the cancellation of the readers it stopped. The manifest differs
// between two runs of the same inputs only in started_at, finished_at and
// timings_ms. Metrics go to a Prometheus textfile or a Pushgateway, also
// when the run fails. With Config.ExplainOut it also writes every
// customer's SHAP values (one column per feature and base_value) to a
// Parquet file, before the run folder appears.
//
// # Training
//
// Train builds monthly cutoffs (features.Config.MonthlyCutoffs), caches each
// cutoff's rows (keyed by the inputs, config and code version, so that a
// retry does not read the histories again), and splits by time: the latest
// complete cutoff is the test set; the cutoffs whose label window
// (features.Config.LabelSpan: gap plus horizon) reaches into its horizon are set aside (role gap); the latest
// one left is halved by customer into validation (early stopping, model
// choice) and calibration, and the older ones train. The GBT's tree count
// is the early-stopping point of a run fitted on the training cutoffs
// whose label windows end by the validation cutoff (role stop,
// model.TrainConfig.StopRows), so that it is chosen one window ahead, as
// the saved model is used; the candidate is fitted on every training
// cutoff with that count. The holdout metrics
// of that model stand beside a naive baseline (days since last activity).
// With Train.Refit (the default) the chosen algorithm is then refitted
// (model.Refit) on every labelled row up to the test cutoff, less a
// held-back half of the test cutoff's customers that calibrates it, and
// that refit is the saved model; the registry records which model the
// holdout measures, the refit, the GBT parameters (Train.GBT) and, with
// Train.Search, the parameter search (model.SearchGBT). Every phase's wall
// time and CPU time is logged and returned in TrainSummary.Phases. The saved version
// records its parameters, trees used, gain and mean |SHAP| importance (on
// up to 2,000 holdout rows), the data window, metrics per plan and region
// and the drift of the test cutoff against training (model.Record in
// meta.json), and a MODEL_CARD.md rendered from the same facts is written
// with it. Models lists a registry's versions; ExportModel writes one in
// XGBoost's JSON format with its calibrator beside it. The registry is a
// folder or a bucket URL: every command opens it through openRegistry,
// which adapts data/store to model.Storage for a bucket; train keeps its
// feature cache on local disk whichever it is (registryCacheDir). TrainTable trains on
// a one-row-per-customer table with stratified k-fold cross-validation.
//
// # Errors
//
// ErrInvalidInput marks failures caused by the input (the command exits 2);
// ErrLocked (the command exits 75, EX_TEMPFAIL: try again later) and
// ErrNoModel name the two states a scheduler meets most.
// Every other error exits 1. Errors are logged once, by cmd/churn.
package jobs

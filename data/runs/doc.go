// Package runs is the output contract of churn run: the one place that
// knows how a run folder is named, laid out and found. churn run writes
// through it; the backtest, lists, the web page and the test fixtures read
// through it.
//
// # Layout
//
// A scores folder holds one folder per run, named for the run date as a
// Hive key, as_of=YYYY-MM-DD (Folder, ParseFolder). The date is the
// cutoff's UTC calendar date; the cutoff is midnight UTC of it. A run
// folder holds
//
//	part-00000.parquet  one row per customer (Columns)
//	manifest.json       what the run read, used and wrote (Manifest)
//	_SUCCESS            empty, written last
//
// Write makes the folder appear whole or not at all, replacing an earlier
// run of the same date in one step (fsutil.CreatePending). WriteTo writes
// into any Pending: the part file and the manifest, then MarkSuccess, then
// Commit, so that a store without an atomic rename (an object store) can
// upload them under a temporary prefix, copy them into place and write
// _SUCCESS last (store.Pending).
//
// # Finding runs
//
// Readers trust only folders that hold _SUCCESS: Dates, Latest, Before and
// AtOrBefore skip the others, and names that are not as_of=YYYY-MM-DD.
// Open reads a run's manifest and part list; Run.Read concatenates its
// parts' columns. The scores may be a folder or a bucket URL: the readers
// reach both through data/store, one code path.
//
// # Segments and tiers
//
// Segments are known by canonical ids (AtRiskHighValue, ...) and written
// under display names that config may change; the manifest records the
// mapping (Names). Risk and value tiers are High, Medium and Low.
package runs

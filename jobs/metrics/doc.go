// Package metrics is the Prometheus exposition of a nightly run, written
// as a textfile for node_exporter's textfile collector, pushed to a
// Pushgateway, or both (Target).
//
// It follows Prometheus' practice for batch jobs: the results of a run
// (last success time, rows read and skipped, customers, segments, drift)
// change only when a run succeeds, so that a failed night does not erase
// them; the outcome of the last run (success, duration, end) is recorded
// apart, in StatusFile beside the textfile, by every run. The two sets
// share no metric name. Files are replaced atomically; a push is bounded
// in time so that an unreachable gateway cannot hold the job. Label
// values are escaped as Prometheus' text format wants.
package metrics

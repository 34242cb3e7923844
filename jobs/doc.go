// Package jobs holds the pipelines that the churn command runs: run, train,
// features, validate, value and lists. It is the only package, beside
// cmd/churn, that starts goroutines, reports progress and logs.
package jobs

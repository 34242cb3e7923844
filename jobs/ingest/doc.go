// Package ingest owns what reading a dataset records: InputFile, one
// input file as the run manifest and the train summary list it, and
// ErrInvalidInput, which marks a failure caused by the input (a dataset
// that breaks the contract beyond what the bad-row policy allows, a
// corrupt file, an unusable config).
package ingest

// Package ingest is the machinery that reads a dataset's files into a
// features.Builder: ReadInto streams one file, each row keyed by its
// customer's index, into a fold; Dispatch hands a batch to every shard's
// fold goroutine and returns once all have folded it (the reader reuses
// the batch). BadRows applies the bad-row policy: under "fail" the first
// bad row stops the read; under "skip" each is counted by the reader and
// the first few of each reason are logged; rows after the as-of date are
// ignored, not bad. Reporter logs rows read per table, the share of bytes
// done and the rate at most every few seconds, and sends each report as a
// Progress to a callback (a terminal draws a bar); its last report says
// Done.
//
// InputFile is one input file as the run manifest and the train summary
// record it. ErrInvalidInput marks a failure caused by the input (a
// dataset that breaks the contract beyond what the bad-row policy allows,
// a corrupt file, an unusable config).
package ingest

// Package output writes what the pipelines of jobs hand to people and other
// programs, each file so that it appears whole or not at all: CSV for
// spreadsheets and CRMs (WriteCSV, WriteCSVFile, and CSVStream a slice of
// rows at a time), single Parquet files (WriteParquetFile), a run folder
// on a bucket (WriteToStore; Path names a place under a folder or a bucket
// URL), and the customers/ columns a run passes through beside its scores
// (PassthroughColumns, InsertAfter).
// CheckOutputFile, CheckWritableDir and CheckPushURL let a command refuse,
// before its work, a place it could not write at the end.
//
// The run folder's layout, columns and manifest are data/runs'; output
// only writes them. It does not import jobs: the pipelines pass what it
// needs as parameters. Errors caused by the input are marked
// ingest.ErrInvalidInput.
package output

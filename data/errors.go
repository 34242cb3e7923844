package data

import "errors"

// Sentinel errors. RowError and FileError unwrap to them, so callers test
// with errors.Is.
var (
	// ErrNoDataset: the dataset root does not exist or is not a folder.
	ErrNoDataset = errors.New("no dataset")
	// ErrNoCustomers: the dataset has no customers/ table, the only
	// mandatory one.
	ErrNoCustomers = errors.New("no customers table")
	// ErrMissingColumn: a required column is absent from a file.
	ErrMissingColumn = errors.New("missing required column")
	// ErrWrongType: a column's Parquet type cannot be read as its contract
	// kind, e.g. a string where a timestamp belongs.
	ErrWrongType = errors.New("wrong column type")
	// ErrNull: a required value is null.
	ErrNull = errors.New("null in required column")
	// ErrOutOfRange: a value lies outside its contract range.
	ErrOutOfRange = errors.New("value out of range")
	// ErrCorrupt: a file cannot be read as Parquet: truncated, garbled or
	// not Parquet at all.
	ErrCorrupt = errors.New("corrupt parquet file")
	// ErrDuplicate: a value that must be unique appears more than once,
	// such as a customer_id across the customers files.
	ErrDuplicate = errors.New("duplicate")
	// ErrFuture: a row's main timestamp is after the read bound.
	ErrFuture = errors.New("timestamp after cutoff")
	// ErrLength: output columns of different lengths.
	ErrLength = errors.New("columns of different lengths")
)

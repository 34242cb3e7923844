package data

import (
	"errors"
	"fmt"
)

// Sentinel errors. RowError and FileError unwrap to them, so callers test
// with errors.Is.
var (
	// ErrNoDataset: the dataset root does not exist or is not a folder.
	ErrNoDataset = errors.New("no dataset")
	// ErrNoCustomers: the dataset has no customers/ table, the only
	// mandatory one.
	ErrNoCustomers = errors.New("no customers table")
	// ErrLakehouse: a table folder holds a Delta Lake or Iceberg table,
	// whose folder keeps files that are no longer part of the table.
	ErrLakehouse = errors.New("lakehouse table folder: export a snapshot")
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

// RowError describes a row that breaks the contract and was skipped, in
// the shape of encoding/csv's ParseError.
type RowError struct {
	Table    Table
	File     string // relative to the dataset root
	RowGroup int
	Row      int64  // row index within the file, from 0
	Column   string // the column's name in the file
	Value    string // the offending value as text, "null" for a null
	Err      error  // wraps a sentinel: ErrNull, ErrOutOfRange, ErrFuture
	reason   string
}

func (e *RowError) Error() string {
	return fmt.Sprintf("%s: row group %d, row %d, column %s: value %s: %v", e.File, e.RowGroup, e.Row, e.Column, e.Value, e.Err)
}

func (e *RowError) Unwrap() error { return e.Err }

// Reason is a short snake_case key for counting skipped rows, such as
// "null_customer_id", "negative_duration", "nps_out_of_range" or
// "future_timestamp".
func (e *RowError) Reason() string {
	if e.reason != "" {
		return e.reason
	}
	return reasonOf(e.Err)
}

// FileError describes a file that cannot be read at all: unreadable,
// corrupt or truncated, or with a schema that breaks the contract.
type FileError struct {
	File   string // relative to the dataset root when known
	Column string // the column at fault, "" for the whole file
	Err    error  // wraps ErrCorrupt, ErrMissingColumn, ErrWrongType or an I/O error
}

func (e *FileError) Error() string {
	if e.Column != "" {
		return fmt.Sprintf("%s: column %s: %v", e.File, e.Column, e.Err)
	}
	return fmt.Sprintf("%s: %v", e.File, e.Err)
}

func (e *FileError) Unwrap() error { return e.Err }

// Reason is a short snake_case key for counting file problems:
// "missing_column", "wrong_type", "corrupt_file" or "unreadable_file".
func (e *FileError) Reason() string { return reasonOf(e.Err) }

func reasonOf(err error) string {
	switch {
	case errors.Is(err, ErrMissingColumn):
		return "missing_column"
	case errors.Is(err, ErrWrongType):
		return "wrong_type"
	case errors.Is(err, ErrCorrupt):
		return "corrupt_file"
	case errors.Is(err, ErrNull):
		return "null"
	case errors.Is(err, ErrOutOfRange):
		return "out_of_range"
	case errors.Is(err, ErrFuture):
		return "future_timestamp"
	case errors.Is(err, ErrDuplicate):
		return "duplicate"
	}
	return "unreadable_file"
}

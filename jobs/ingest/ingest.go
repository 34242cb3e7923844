package ingest

import (
	"errors"

	"churn/data"
)

// ErrInvalidInput marks a failure caused by the input: a dataset that breaks
// the contract beyond what the bad-row policy allows, a corrupt file, an
// unusable config. The command exits 2 for it.
var ErrInvalidInput = errors.New("invalid input")

// InputFile is one input file as the manifest records it.
type InputFile struct {
	Table data.Table `json:"table"`
	Path  string     `json:"path"`
	Bytes int64      `json:"bytes"`
	Rows  int64      `json:"rows"`
	Kept  int64      `json:"rows_kept"`
	// SHA256 is the hex SHA-256 of the file, which churn hashed; or, for
	// an object whose store identified its content in the listing,
	// StoreChecksum is that ("md5:HEX" from GCS, "etag:VALUE" from S3;
	// data.File.StoreChecksum) and SHA256 is empty.
	SHA256        string `json:"sha256,omitempty"`
	StoreChecksum string `json:"store_checksum,omitempty"`
	Skipped       bool   `json:"skipped,omitempty"` // an optional file that could not be read
	Error         string `json:"error,omitempty"`
}

// SetChecksum records c, the file's entry of the dataset's checksums.
func (f *InputFile) SetChecksum(c data.Checksum) { f.SHA256, f.StoreChecksum = c.SHA256, c.Store }

// Checksum is the recorded checksum: the SHA-256 in hex, else the
// store's, prefixed with what it is ("md5:", "etag:").
func (f *InputFile) Checksum() string {
	if f.SHA256 != "" {
		return f.SHA256
	}
	return f.StoreChecksum
}

// invalidErr marks err as invalid input without repeating the words when
// err already says so.
type invalidErr struct{ err error }

func (e invalidErr) Error() string        { return e.err.Error() }
func (e invalidErr) Unwrap() error        { return e.err }
func (e invalidErr) Is(target error) bool { return target == ErrInvalidInput }

// Invalid marks err as invalid input (errors.Is(err, ErrInvalidInput)):
// the command exits 2 for it.
func Invalid(err error) error { return invalidErr{err} }

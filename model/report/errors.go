package report

import "errors"

// ErrLengthMismatch reports scores whose length differs from the labels':
// the model's, the uncalibrated ones or a baseline's.
var ErrLengthMismatch = errors.New("length mismatch")

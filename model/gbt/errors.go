package gbt

import "errors"

// ErrParams reports parameters outside their documented ranges.
var ErrParams = errors.New("invalid parameters")

// ErrShape reports a matrix whose lengths disagree with Rows and Cols, or a
// validation set whose column count differs from the training set's.
var ErrShape = errors.New("mismatched data shape")

// ErrTooFewRows reports training data with fewer than two rows.
var ErrTooFewRows = errors.New("too few rows")

// ErrLabel reports a label that is not 0 or 1 (NaN included).
var ErrLabel = errors.New("label not 0 or 1")

// ErrWeight reports a negative, infinite or NaN row weight.
var ErrWeight = errors.New("weight not finite and non-negative")

// ErrSingleClass reports training labels (after weighting) of one class only.
var ErrSingleClass = errors.New("labels hold a single class")

// ErrFormat reports a serialized model that cannot be decoded.
var ErrFormat = errors.New("bad model encoding")

// ErrNoUsableColumn reports training data in which every column is
// constant, missing or infinite, leaving nothing to split on.
var ErrNoUsableColumn = errors.New("no column has two distinct finite values")

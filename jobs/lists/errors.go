package lists

import "errors"

// ErrInvalid marks a failure caused by the caller's input: a missing or
// empty scores folder, a malformed date or filter, an unknown segment or
// column, a run folder without the expected columns. Commands exit 2 for
// it and the page answers 400 or 404. A bucket's failure that a retry may
// get past (store.ErrUnavailable, store.ErrGone) is not one: commands exit
// 1 for it.
var ErrInvalid = errors.New("invalid input")

// ErrNotFound marks a run date or a customer that does not exist. It is
// also an ErrInvalid for commands; the page answers 404 for it.
var ErrNotFound = errors.New("not found")

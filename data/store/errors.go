package store

import "errors"

// ErrAccess marks a failure that the user must fix before a retry can
// succeed: missing or rejected credentials, a bucket that does not exist,
// a permission denied, a malformed URL. Commands exit 2 for it.
var ErrAccess = errors.New("store access refused")

// ErrUnavailable marks a failure that a later retry may not meet: the store
// could not be reached, or kept throttling or failing after the bounded
// retries. Commands exit 1 for it.
var ErrUnavailable = errors.New("store unavailable")

// ErrGone marks an object that was listed but could not be read any more,
// or that other content replaced: the dataset changed while it was read.
// A new run lists it again.
var ErrGone = errors.New("object disappeared after it was listed")

// ErrExists is returned by Create with IfNotExist when the key is taken.
var ErrExists = errors.New("object already exists")

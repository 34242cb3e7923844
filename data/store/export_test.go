package store

// AbortWait is abortWait, for tests that bound Abort.
var AbortWait = &abortWait

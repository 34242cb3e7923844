package features

import "errors"

// ErrNoCutoffs is returned by NewBuilder when no cutoff is given.
var ErrNoCutoffs = errors.New("no cutoffs")

// ErrCutoffOrder is returned by NewBuilder when the cutoffs are not
// strictly ascending.
var ErrCutoffOrder = errors.New("cutoffs not strictly ascending")

// ErrCutoffRange is returned by BuildAt and BuildRange for a cutoff index,
// or a range of customers, out of range.
var ErrCutoffRange = errors.New("cutoff index out of range")

// ErrNotFrozen is returned by Build when Freeze was not called.
var ErrNotFrozen = errors.New("customer index not frozen")

// ErrNotFork is returned by Merge when the two Builders do not share one
// frozen customer index (one is not a Fork of the other's root).
var ErrNotFork = errors.New("builders do not share a frozen customer index")

// errFeatureCount guards the families: each must emit the same columns for
// every row.
var errFeatureCount = errors.New("feature families emitted a ragged row")

// ErrSpent is returned by Merge and Build for a Builder already merged
// into another one.
var ErrSpent = errors.New("builder already merged into another")

// ErrEventsFolded is returned by ShareCatalog for a shard that has folded
// event rows under the catalog it had.
var ErrEventsFolded = errors.New("shard already folded event rows")

// ErrBatchType is returned by Resolve and AddResolved for a batch that is
// not a slice of one of the history tables' rows.
var ErrBatchType = errors.New("not a batch of history rows")

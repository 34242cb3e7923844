package jobs

import (
	"errors"

	"churn/jobs/ingest"
	"churn/jobs/lock"
)

// ErrInvalidInput marks a failure caused by the input: a dataset that breaks
// the contract beyond what the bad-row policy allows, a corrupt file, an
// unusable config. The command exits 2 for it.
var ErrInvalidInput = ingest.ErrInvalidInput

// ErrLocked is returned when another run holds the output folder's lock.
var ErrLocked = lock.ErrLocked

// ErrNoModel is returned by run when the registry has no promoted model and
// the run may not train one.
var ErrNoModel = errors.New("no promoted model")

// invalid marks err as invalid input: the command exits 2 for it.
var invalid = ingest.Invalid

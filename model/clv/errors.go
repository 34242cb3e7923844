package clv

import "errors"

// Sentinel errors. Fits wrap them with the offending customer or the
// optimizer's status; test for them with errors.Is.
var (
	// ErrBadInput reports a non-finite, negative or inconsistent input
	// (x not a whole number, t_x > T, T <= 0, slices of unequal length).
	ErrBadInput = errors.New("bad input")

	// ErrNoCustomers reports an empty input, or no customer left after the
	// exclusions (Gamma-Gamma keeps repeat customers with a positive spend).
	ErrNoCustomers = errors.New("no customers")

	// ErrNoRepeat reports that no customer made a repeat purchase (x = 0
	// for everyone): the purchase and dropout processes cannot be told
	// apart. Callers fall back to Fallback.
	ErrNoRepeat = errors.New("no repeat purchases")

	// ErrNotConverged reports that no start of the optimizer met the
	// convergence test. The model returned with it holds the best point
	// found and Converged = false; it may be used with care or replaced by
	// Fallback.
	ErrNotConverged = errors.New("fit did not converge")

	// ErrInfiniteMean reports a Gamma-Gamma fit with q <= 1, where the
	// population mean spend p*gamma/(q-1) does not exist.
	ErrInfiniteMean = errors.New("population mean spend is infinite (q <= 1)")
)

//go:build !cgo

package model

import "fmt"

// fitGolearnRF refuses: golearn, which the baseline adapts, builds only
// with cgo. Every other algorithm is pure Go.
func fitGolearnRF(cfg TrainConfig, train *Matrix, y []float64) (scorer, []string, error) {
	return nil, nil, fmt.Errorf("%s: %w (rebuild with CGO_ENABLED=1 and a C compiler)", AlgoGolearnRF, ErrNoCgo)
}

package gbt

import (
	"fmt"
	"math"
)

// Data is a labelled matrix. X is row-major with Rows*Cols values; NaN
// marks a missing value and ±Inf is treated as missing too. Y holds one
// label per row, 0 or 1. W holds one non-negative weight per row; nil means
// every weight is 1.
type Data struct {
	X          []float64
	Rows, Cols int
	Y, W       []float64
}

// check reports the first problem with d's shape, labels or weights.
func (d Data) check() error {
	if d.Rows < 0 || d.Cols < 1 {
		return fmt.Errorf("%d rows x %d columns: %w", d.Rows, d.Cols, ErrShape)
	}
	if len(d.X) != d.Rows*d.Cols {
		return fmt.Errorf("len(X) %d != %d rows x %d columns: %w", len(d.X), d.Rows, d.Cols, ErrShape)
	}
	if len(d.Y) != d.Rows {
		return fmt.Errorf("len(Y) %d != %d rows: %w", len(d.Y), d.Rows, ErrShape)
	}
	if d.W != nil && len(d.W) != d.Rows {
		return fmt.Errorf("len(W) %d != %d rows: %w", len(d.W), d.Rows, ErrShape)
	}
	for i, y := range d.Y {
		if y != 0 && y != 1 {
			return fmt.Errorf("row %d label %g: %w", i, y, ErrLabel)
		}
	}
	for i, w := range d.W {
		if !(w >= 0) || math.IsInf(w, 1) {
			return fmt.Errorf("row %d weight %g: %w", i, w, ErrWeight)
		}
	}
	return nil
}

// weight returns the weight of row i, 1 when W is nil.
func (d Data) weight(i int) float64 {
	if d.W == nil {
		return 1
	}
	return d.W[i]
}

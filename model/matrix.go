package model

import (
	"fmt"
	"slices"
	"strings"
)

// Matrix is a table of numbers with named columns, row-major: the value of
// row i, column j is X[i*len(Cols)+j]. NaN marks a missing value.
type Matrix struct {
	Cols []string
	Rows int
	X    []float64
}

// NewMatrix returns a rows x len(cols) matrix of zeros.
func NewMatrix(cols []string, rows int) *Matrix {
	return &Matrix{Cols: cols, Rows: rows, X: make([]float64, rows*len(cols))}
}

// Row returns row i, sharing memory with m.
func (m *Matrix) Row(i int) []float64 {
	c := len(m.Cols)
	return m.X[i*c : (i+1)*c : (i+1)*c]
}

// Col returns the index of the column called name, or -1.
func (m *Matrix) Col(name string) int {
	return slices.Index(m.Cols, name)
}

// check reports a matrix whose data does not match its shape or whose
// column names repeat.
func (m *Matrix) check() error {
	if m == nil {
		return fmt.Errorf("nil matrix: %w", ErrLengthMismatch)
	}
	if m.Rows < 0 || len(m.X) != m.Rows*len(m.Cols) {
		return fmt.Errorf("matrix of %d rows x %d columns holds %d values: %w", m.Rows, len(m.Cols), len(m.X), ErrLengthMismatch)
	}
	seen := make(map[string]bool, len(m.Cols))
	for _, c := range m.Cols {
		if seen[c] {
			return fmt.Errorf("column %q appears twice: %w", c, ErrFeatureMismatch)
		}
		seen[c] = true
	}
	return nil
}

// matchFeatures reports, naming them, the columns missing from got, those
// extra in it, and those in another order than want.
func matchFeatures(want, got []string) error {
	if slices.Equal(want, got) {
		return nil
	}
	in := func(list []string) map[string]bool {
		s := make(map[string]bool, len(list))
		for _, v := range list {
			s[v] = true
		}
		return s
	}
	hasGot, hasWant := in(got), in(want)
	var missing, extra, moved []string
	for _, w := range want {
		if !hasGot[w] {
			missing = append(missing, w)
		}
	}
	for _, g := range got {
		if !hasWant[g] {
			extra = append(extra, g)
		}
	}
	if len(missing) == 0 && len(extra) == 0 {
		for i := range want {
			if want[i] != got[i] {
				moved = append(moved, fmt.Sprintf("%s at %d, want %d", got[i], i, slices.Index(want, got[i])))
			}
		}
	}
	var parts []string
	if len(missing) > 0 {
		parts = append(parts, "missing "+strings.Join(missing, ", "))
	}
	if len(extra) > 0 {
		parts = append(parts, "extra "+strings.Join(extra, ", "))
	}
	if len(moved) > 0 {
		parts = append(parts, "reordered "+strings.Join(moved, "; "))
	}
	return fmt.Errorf("%s: %w", strings.Join(parts, "; "), ErrFeatureMismatch)
}

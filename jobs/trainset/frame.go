package trainset

import (
	"fmt"
	"slices"

	"churn/features"
)

// CutoffRows returns the rows of f at one cutoff: a frame sharing f's
// memory when they are one run of rows, as a build in cutoff order leaves
// them, else a copy.
func CutoffRows(f *features.Frame, cutoff int64) *features.Frame {
	rows := RowsAt(f, cutoff)
	if len(rows) == 0 || rows[len(rows)-1]-rows[0] != len(rows)-1 {
		return f.Select(rows)
	}
	lo, hi := rows[0], rows[len(rows)-1]+1
	cols := len(f.Names)
	return &features.Frame{
		Names: f.Names, Families: f.Families, Catalog: f.Catalog,
		X:           f.X[lo*cols : hi*cols : hi*cols],
		CustomerID:  f.CustomerID[lo:hi:hi],
		Cutoff:      f.Cutoff[lo:hi:hi],
		Label:       f.Label[lo:hi:hi],
		Status:      f.Status[lo:hi:hi],
		Plan:        f.Plan[lo:hi:hi],
		Region:      f.Region[lo:hi:hi],
		Contractual: f.Contractual[lo:hi:hi],
		SignupAt:    f.SignupAt[lo:hi:hi],
		CancelledAt: f.CancelledAt[lo:hi:hi],
		RFMx:        f.RFMx[lo:hi:hi],
		RFMtx:       f.RFMtx[lo:hi:hi],
		RFMT:        f.RFMT[lo:hi:hi],
		MeanRepeat:  f.MeanRepeat[lo:hi:hi],
		SpendRate:   f.SpendRate[lo:hi:hi],
		Margin:      f.Margin[lo:hi:hi],
	}
}

// RowsAt lists the rows of f at one cutoff.
func RowsAt(f *features.Frame, cutoff int64) []int {
	var rows []int
	for i, c := range f.Cutoff {
		if c == cutoff {
			rows = append(rows, i)
		}
	}
	return rows
}

// ConcatFrames appends frames with the same feature columns, in order.
func ConcatFrames(frames []*features.Frame) (*features.Frame, error) {
	if len(frames) == 0 {
		return nil, fmt.Errorf("concat: no frames")
	}
	out := &features.Frame{Names: frames[0].Names, Families: frames[0].Families, Catalog: frames[0].Catalog}
	for _, f := range frames {
		if !slices.Equal(f.Names, out.Names) {
			return nil, fmt.Errorf("concat: feature columns differ between cutoffs")
		}
		out.CustomerID = append(out.CustomerID, f.CustomerID...)
		out.Cutoff = append(out.Cutoff, f.Cutoff...)
		out.X = append(out.X, f.X...)
		out.Label = append(out.Label, f.Label...)
		out.Status = append(out.Status, f.Status...)
		out.Plan = append(out.Plan, f.Plan...)
		out.Region = append(out.Region, f.Region...)
		out.Contractual = append(out.Contractual, f.Contractual...)
		out.SignupAt = append(out.SignupAt, f.SignupAt...)
		out.CancelledAt = append(out.CancelledAt, f.CancelledAt...)
		out.RFMx = append(out.RFMx, f.RFMx...)
		out.RFMtx = append(out.RFMtx, f.RFMtx...)
		out.RFMT = append(out.RFMT, f.RFMT...)
		out.MeanRepeat = append(out.MeanRepeat, f.MeanRepeat...)
		out.SpendRate = append(out.SpendRate, f.SpendRate...)
		out.Margin = append(out.Margin, f.Margin...)
	}
	return out, nil
}

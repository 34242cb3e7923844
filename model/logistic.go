package model

import (
	"fmt"
	"math"

	"churn/model/internal/parallel"
)

// LogisticParams configures [FitLogistic].
type LogisticParams struct {
	// L2 is the ridge penalty on the standardised coefficients, added as
	// L2/2 * sum(beta^2) to the mean log loss; the intercept is free.
	// Default 1e-4.
	L2 float64
	// PosWeight multiplies the weight of positive rows (class weights);
	// 0 means 1.
	PosWeight float64
	// MaxIter bounds the Newton iterations. Default 100.
	MaxIter int
	// GradTol stops the solver when the gradient's infinity norm falls
	// below it. Default 1e-7.
	GradTol float64
	// Workers is the number of goroutines that build the design and sum
	// the gradient; 0 means GOMAXPROCS. The fitted model does not depend
	// on it.
	Workers int
}

// DefaultLogisticParams returns the documented defaults.
func DefaultLogisticParams() LogisticParams {
	return LogisticParams{L2: 1e-4, PosWeight: 1, MaxIter: 100, GradTol: 1e-7}
}

// LogisticTerm is one column of the standardised design: either a feature's
// value or its missing-value indicator.
type LogisticTerm struct {
	Feature   int     // index into Logistic.Features
	Indicator bool    // true: the term is 1 when the value is missing
	Mean      float64 // training mean of the value (imputed when missing) or missing share
	Scale     float64 // training standard deviation, > 0
	Coef      float64 // coefficient on the standardised term
}

// Logistic is an L2-regularised logistic regression on standardised
// features. Missing values (NaN, and at prediction time also ±Inf) are
// imputed with the training mean, and a missing-value indicator joins the
// design for every column that had missing values in training. Constant,
// all-missing and infinite columns are dropped, each with a note.
type Logistic struct {
	Features  []string
	Terms     []LogisticTerm
	Intercept float64
	Notes     []string // columns dropped and why; optimiser status
}

// FitLogistic fits the model by minimising the weighted mean log loss plus
// the L2 penalty, stopping when the gradient's infinity norm falls below
// p.GradTol or an iteration no longer lowers the loss by a relative 1e-12.
// Labels must be 0 or 1.
//
// The standardised design is built once, as float32, and every pass over
// it is spread over p.Workers goroutines in fixed blocks of rows summed in
// block order, so the fit is the same for any worker count. The solver
// takes Newton steps whose Hessian comes from an evenly strided sample of
// at most [logisticHessianRows] rows (all rows when there are fewer) and
// whose gradient and loss come from every row, with a backtracking line
// search: the minimum is that of the full objective, reached in a few
// passes over the data where a quasi-Newton method needs hundreds.
func FitLogistic(x *Matrix, y []float64, p LogisticParams) (*Logistic, error) {
	if err := x.check(); err != nil {
		return nil, err
	}
	if len(y) != x.Rows {
		return nil, fmt.Errorf("%d labels for %d rows: %w", len(y), x.Rows, ErrLengthMismatch)
	}
	if err := checkLabels(y, 2); err != nil {
		return nil, err
	}
	d := DefaultLogisticParams()
	if p.L2 < 0 || math.IsNaN(p.L2) {
		p.L2 = d.L2
	}
	if p.PosWeight <= 0 {
		p.PosWeight = 1
	}
	if p.MaxIter <= 0 {
		p.MaxIter = d.MaxIter
	}
	if p.GradTol <= 0 {
		p.GradTol = d.GradTol
	}
	m := &Logistic{Features: append([]string(nil), x.Cols...)}
	m.standardise(x, p.Workers)
	if len(m.Terms) == 0 {
		return nil, fmt.Errorf("%d columns: %w", len(x.Cols), ErrNoUsableFeatures)
	}

	w := make([]float64, len(y))
	var wsum, pos float64
	for i, v := range y {
		w[i] = 1
		if v == 1 {
			w[i] = p.PosWeight
			pos += p.PosWeight
		}
		wsum += w[i]
	}
	o := &logisticObjective{
		d: len(m.Terms), rows: x.Rows, y: y, w: w, wsum: wsum, l2: p.L2,
		workers: parallel.Workers(p.Workers),
	}
	o.z = m.denseDesign(x, o.workers)
	// Start from the intercept of the constant model.
	rate := pos / wsum
	b0 := make([]float64, o.d+1)
	b0[o.d] = math.Log(rate / (1 - rate))
	b, loss, iters, status := o.newton(b0, p.MaxIter, p.GradTol)
	m.Notes = append(m.Notes, fmt.Sprintf("newton stopped on %s after %d iterations, loss %.6g", status, iters, loss))
	for k := range m.Terms {
		m.Terms[k].Coef = b[k]
	}
	m.Intercept = b[o.d]
	return m, nil
}

// standardise chooses the design terms and their centring and scale.
func (m *Logistic) standardise(x *Matrix, workers int) {
	st := columnStats(x, workers)
	for j, name := range x.Cols {
		n, missing, mean, ss := st.n[j], st.missing[j], st.mean[j], st.ss[j]
		if st.inf[j] {
			m.Notes = append(m.Notes, fmt.Sprintf("dropped %s: infinite values", name))
			continue
		}
		if n == 0 {
			m.Notes = append(m.Notes, fmt.Sprintf("dropped %s: all missing", name))
			continue
		}
		// Population sd over all rows with missing imputed by the mean.
		sd := math.Sqrt(ss / float64(x.Rows))
		if sd > 0 && sd > 1e-12*math.Abs(mean) {
			m.Terms = append(m.Terms, LogisticTerm{Feature: j, Mean: mean, Scale: sd})
		} else if missing == 0 {
			m.Notes = append(m.Notes, fmt.Sprintf("dropped %s: constant", name))
			continue
		} else {
			m.Notes = append(m.Notes, fmt.Sprintf("kept only the missing indicator of %s: constant when present", name))
		}
		if missing > 0 {
			share := float64(missing) / float64(x.Rows)
			m.Terms = append(m.Terms, LogisticTerm{Feature: j, Indicator: true, Mean: share, Scale: math.Sqrt(share * (1 - share))})
		}
	}
}

// colStats holds, per column, the count of finite values, of NaNs,
// whether an infinity occurs, the mean of the finite values and the sum of
// their squared deviations from it.
type colStats struct {
	n, missing []int
	inf        []bool
	mean, ss   []float64
}

// statsBlock is the columns one task of columnStats sums: two cache lines
// of a row.
const statsBlock = 16

// columnStats sums every column in row order, so the figures do not depend
// on the worker count. A task takes a block of adjacent columns and reads
// its part of every row, so the matrix is read in order, not a column at
// a time across every row.
func columnStats(x *Matrix, workers int) colStats {
	c := len(x.Cols)
	st := colStats{n: make([]int, c), missing: make([]int, c), inf: make([]bool, c), mean: make([]float64, c), ss: make([]float64, c)}
	blocks := (c + statsBlock - 1) / statsBlock
	parallel.For(parallel.Workers(workers), blocks, func(blk int) {
		lo, hi := blk*statsBlock, min((blk+1)*statsBlock, c)
		var n, missing [statsBlock]int
		var inf [statsBlock]bool
		var sum, mean, ss [statsBlock]float64
		for i := 0; i < x.Rows; i++ {
			for j, v := range x.X[i*c+lo : i*c+hi] {
				switch {
				case math.IsNaN(v):
					missing[j]++
				case math.IsInf(v, 0):
					inf[j] = true
				default:
					n[j]++
					sum[j] += v
				}
			}
		}
		for j := range hi - lo {
			if n[j] > 0 {
				mean[j] = sum[j] / float64(n[j])
			}
		}
		for i := 0; i < x.Rows; i++ {
			for j, v := range x.X[i*c+lo : i*c+hi] {
				if !math.IsNaN(v) {
					d := v - mean[j]
					ss[j] += d * d
				}
			}
		}
		copy(st.n[lo:hi], n[:])
		copy(st.missing[lo:hi], missing[:])
		copy(st.inf[lo:hi], inf[:])
		copy(st.mean[lo:hi], mean[:])
		copy(st.ss[lo:hi], ss[:])
	})
	return st
}

// design writes the standardised terms of one row into z.
func (m *Logistic) design(z, row []float64) {
	for k, t := range m.Terms {
		v := row[t.Feature]
		miss := math.IsNaN(v) || math.IsInf(v, 0)
		switch {
		case t.Indicator && miss:
			z[k] = (1 - t.Mean) / t.Scale
		case t.Indicator:
			z[k] = -t.Mean / t.Scale
		case miss:
			z[k] = 0
		default:
			z[k] = (v - t.Mean) / t.Scale
		}
	}
}

// margin returns the log-odds of one row, using z as scratch.
func (m *Logistic) margin(z, row []float64) float64 {
	m.design(z, row)
	s := m.Intercept
	for k, t := range m.Terms {
		s += t.Coef * z[k]
	}
	return s
}

// Margins writes the log-odds of every row of x into dst. x must have the
// model's features (see [matchFeatures]); callers outside the package go
// through [Trained].
func (m *Logistic) Margins(dst []float64, x *Matrix) {
	z := make([]float64, len(m.Terms))
	for i := 0; i < x.Rows; i++ {
		dst[i] = m.margin(z, x.Row(i))
	}
}

// Contributions writes coef x standardised value per feature into dst
// (len(Features)), the missing indicator's share added to its feature's.
// They sum to the margin minus the intercept.
func (m *Logistic) Contributions(dst, row []float64) {
	clear(dst)
	z := make([]float64, len(m.Terms))
	m.design(z, row)
	for k, t := range m.Terms {
		dst[t.Feature] += t.Coef * z[k]
	}
}

// Importance is the sum of absolute standardised coefficients per feature.
func (m *Logistic) Importance() []float64 {
	imp := make([]float64, len(m.Features))
	for _, t := range m.Terms {
		imp[t.Feature] += math.Abs(t.Coef)
	}
	return imp
}

func sigmoid(s float64) float64 {
	if s >= 0 {
		return 1 / (1 + math.Exp(-s))
	}
	e := math.Exp(s)
	return e / (1 + e)
}

func softplus(s float64) float64 {
	if s > 0 {
		return s + math.Log1p(math.Exp(-s))
	}
	return math.Log1p(math.Exp(s))
}

// checkLabels reports labels that are not 0 or 1, and, when classes is 2,
// labels that hold one class only.
func checkLabels(y []float64, classes int) error {
	var pos, neg int
	for i, v := range y {
		switch v {
		case 1:
			pos++
		case 0:
			neg++
		default:
			return fmt.Errorf("row %d: %v: %w", i, v, ErrBadLabel)
		}
	}
	if classes == 2 && (pos == 0 || neg == 0) {
		return fmt.Errorf("%d positives, %d negatives: %w", pos, neg, ErrSingleClass)
	}
	return nil
}

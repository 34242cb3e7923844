package model

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"gonum.org/v1/gonum/optimize"
)

// fitLogisticLBFGS is the reference solver the differential tests hold
// FitLogistic to: the same standardisation and objective, minimised with
// gonum/optimize's L-BFGS on a design rebuilt from the raw rows at every
// evaluation, one row at a time, on one goroutine. It is the solver
// FitLogistic used before it built the design once and moved to Newton
// steps; it is slow and kept only as the reference.
func fitLogisticLBFGS(x *Matrix, y []float64, p LogisticParams) (*Logistic, error) {
	if err := x.check(); err != nil {
		return nil, err
	}
	if err := checkLabels(y, 2); err != nil {
		return nil, err
	}
	if p.PosWeight <= 0 {
		p.PosWeight = 1
	}
	m := &Logistic{Features: slices.Clone(x.Cols)}
	m.standardise(x, 0)
	if len(m.Terms) == 0 {
		return nil, ErrNoUsableFeatures
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
	rate := pos / wsum
	x0 := make([]float64, len(m.Terms)+1)
	x0[len(m.Terms)] = math.Log(rate / (1 - rate))
	obj := &refObjective{m: m, x: x, y: y, w: w, wsum: wsum, l2: p.L2, z: make([]float64, len(m.Terms))}
	settings := &optimize.Settings{
		GradientThreshold: 1e-7,
		MajorIterations:   500,
		Converger:         &optimize.FunctionConverge{Relative: 1e-12, Absolute: 1e-12, Iterations: 1},
	}
	res, err := optimize.Minimize(optimize.Problem{
		Func: func(b []float64) float64 { obj.eval(b); return obj.loss },
		Grad: func(g, b []float64) { obj.eval(b); copy(g, obj.grad) },
	}, x0, settings, &optimize.LBFGS{})
	if err != nil {
		return nil, fmt.Errorf("lbfgs: %w", err)
	}
	for k := range m.Terms {
		m.Terms[k].Coef = res.X[k]
	}
	m.Intercept = res.X[len(m.Terms)]
	return m, nil
}

type refObjective struct {
	m    *Logistic
	x    *Matrix
	y, w []float64
	wsum float64
	l2   float64
	z    []float64
	b    []float64
	loss float64
	grad []float64
}

func (o *refObjective) eval(b []float64) {
	if o.b != nil && slices.Equal(o.b, b) {
		return
	}
	d := len(o.m.Terms)
	if o.grad == nil {
		o.grad = make([]float64, d+1)
	}
	clear(o.grad)
	var loss float64
	for i := 0; i < o.x.Rows; i++ {
		o.m.design(o.z, o.x.Row(i))
		s := b[d]
		for k := 0; k < d; k++ {
			s += b[k] * o.z[k]
		}
		loss += o.w[i] * (softplus(s) - o.y[i]*s)
		r := o.w[i] * (sigmoid(s) - o.y[i])
		for k := 0; k < d; k++ {
			o.grad[k] += r * o.z[k]
		}
		o.grad[d] += r
	}
	loss /= o.wsum
	for k := 0; k <= d; k++ {
		o.grad[k] /= o.wsum
	}
	for k := 0; k < d; k++ {
		loss += o.l2 / 2 * b[k] * b[k]
		o.grad[k] += o.l2 * b[k]
	}
	o.loss = loss
	o.b = append(o.b[:0], b...)
}

// diffCase draws a design with correlated, heavy-tailed, sparse and
// partly missing columns, the shapes of real churn features.
func diffCase(seed uint64, n, cols int) (*Matrix, []float64) {
	rng := rand.New(rand.NewPCG(seed, 7))
	names := make([]string, cols)
	for j := range names {
		names[j] = fmt.Sprintf("c%d", j)
	}
	m := NewMatrix(names, n)
	beta := make([]float64, cols)
	for j := range beta {
		beta[j] = rng.NormFloat64() * 0.7
	}
	y := make([]float64, n)
	for i := 0; i < n; i++ {
		r := m.Row(i)
		base := rng.NormFloat64()
		s := -1.2
		for j := range r {
			switch j % 5 {
			case 0: // correlated with its neighbours
				r[j] = base + 0.5*rng.NormFloat64()
			case 1: // heavy tail: counts
				r[j] = math.Floor(math.Exp(2 * rng.NormFloat64()))
			case 2: // sparse flag
				if rng.Float64() < 0.03 {
					r[j] = 1
				}
			case 3: // partly missing
				r[j] = rng.NormFloat64()
			default:
				r[j] = rng.Float64() * 100
			}
			s += beta[j] * math.Tanh(r[j]/3)
			if j%5 == 3 && rng.Float64() < 0.15 {
				r[j] = math.NaN()
			}
		}
		if rng.Float64() < sigmoid(s) {
			y[i] = 1
		}
	}
	return m, y
}

// TestLogisticMatchesLBFGS holds the Newton solver on the dense design to
// the L-BFGS reference over many inputs: the same coefficients within a
// tolerance set by how loosely L-BFGS converges, the same margins, and a
// loss never above the reference's. Margins are compared relative to their
// size past 1: far in the tails the loss is flat and L-BFGS stops early.
func TestLogisticMatchesLBFGS(t *testing.T) {
	const (
		coefTol   = 2e-3
		marginTol = 1e-3
	)
	for c := range 24 {
		seed := uint64(c + 1)
		n := []int{250, 1200, 5000, 20000}[c%4]
		cols := []int{3, 12, 31, 60}[(c/4)%4]
		p := DefaultLogisticParams()
		p.L2 = []float64{1e-4, 1e-2, 0.1}[c%3]
		p.PosWeight = []float64{1, 3}[(c/3)%2]
		t.Run(fmt.Sprintf("n%d_cols%d_l2%g_pw%g", n, cols, p.L2, p.PosWeight), func(t *testing.T) {
			x, y := diffCase(seed, n, cols)
			ref, err := fitLogisticLBFGS(x, y, p)
			if err != nil {
				t.Fatal(err)
			}
			got, err := FitLogistic(x, y, p)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Terms) != len(ref.Terms) {
				t.Fatalf("%d terms, reference %d", len(got.Terms), len(ref.Terms))
			}
			for k := range got.Terms {
				if d := math.Abs(got.Terms[k].Coef - ref.Terms[k].Coef); d > coefTol {
					t.Errorf("term %d: coef %.6f, reference %.6f", k, got.Terms[k].Coef, ref.Terms[k].Coef)
				}
			}
			if d := math.Abs(got.Intercept - ref.Intercept); d > coefTol {
				t.Errorf("intercept %.6f, reference %.6f", got.Intercept, ref.Intercept)
			}
			mg, mr := make([]float64, n), make([]float64, n)
			got.Margins(mg, x)
			ref.Margins(mr, x)
			for i := range mg {
				if d := math.Abs(mg[i] - mr[i]); d > marginTol*max(1, math.Abs(mr[i])) {
					t.Fatalf("row %d: margin %.6f, reference %.6f", i, mg[i], mr[i])
				}
			}
			if lg, lr := penalisedLoss(got, x, y, p), penalisedLoss(ref, x, y, p); lg > lr+1e-9 {
				t.Errorf("loss %.12f above the reference's %.12f", lg, lr)
			}
		})
	}
}

// penalisedLoss is the objective both solvers minimise, in float64.
func penalisedLoss(m *Logistic, x *Matrix, y []float64, p LogisticParams) float64 {
	mg := make([]float64, x.Rows)
	m.Margins(mg, x)
	var loss, wsum float64
	for i, s := range mg {
		w := 1.0
		if y[i] == 1 {
			w = p.PosWeight
		}
		loss += w * (softplus(s) - y[i]*s)
		wsum += w
	}
	loss /= wsum
	for _, t := range m.Terms {
		loss += p.L2 / 2 * t.Coef * t.Coef
	}
	return loss
}

// TestLogisticWorkersIdentical checks that the worker count does not
// change a single bit of the fit.
func TestLogisticWorkersIdentical(t *testing.T) {
	x, y := diffCase(5, 9000, 40)
	var first *Logistic
	for _, w := range []int{1, 2, 3, 8} {
		p := DefaultLogisticParams()
		p.Workers = w
		m, err := FitLogistic(x, y, p)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = m
			continue
		}
		if m.Intercept != first.Intercept {
			t.Fatalf("workers %d: intercept %v, with 1 worker %v", w, m.Intercept, first.Intercept)
		}
		for k := range m.Terms {
			if m.Terms[k].Coef != first.Terms[k].Coef {
				t.Fatalf("workers %d: term %d coef %v, with 1 worker %v", w, k, m.Terms[k].Coef, first.Terms[k].Coef)
			}
		}
	}
}

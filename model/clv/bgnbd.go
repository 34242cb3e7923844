package clv

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
)

// BGNBD is a fitted BG/NBD model (Fader, Hardie & Lee 2005). Time is in the
// unit of the t_x and T it was fitted on (weeks for the published CDNOW
// results); Alpha is in that unit too.
type BGNBD struct {
	R, Alpha, A, B float64
	// SE holds the standard errors of R, Alpha, A, B from the inverse of the
	// observed information; NaN where the Hessian is not negative definite.
	SE [4]float64
	// Cov is the asymptotic covariance of (R, Alpha, A, B), row-major, the
	// inverse of the observed information whose diagonal gives SE; NaN
	// where the Hessian is not negative definite, zero for a model built by
	// hand (no parameter uncertainty). ValueBatch propagates it.
	Cov        [16]float64
	LogLik     float64 // at the returned parameters
	N          int     // customers fitted
	Converged  bool
	Iterations int // BFGS major iterations of the winning start
	Starts     int // starts tried
}

// bgData holds customers grouped by identical (x, t_x, T), with the distinct
// values of each coordinate, so that an evaluation of the likelihood costs a
// few logarithms per distinct value and one exponential per group.
type bgData struct {
	xs, ts, txs []float64 // distinct x, T, t_x
	wx          []float64 // customers per distinct x
	groups      []bgGroup
	n           float64
	sumT        float64
	repeaters   int
	// scratch, per distinct value, refilled by every evaluation
	c1, c4, lT, iT, lTx, iTx []float64
}

type bgGroup struct {
	ix, it, itx int32
	w           float64
}

func newBGData(x, tx, T []float64) (*bgData, error) {
	if len(x) != len(tx) || len(x) != len(T) {
		return nil, fmt.Errorf("lengths x=%d t_x=%d T=%d: %w", len(x), len(tx), len(T), ErrBadInput)
	}
	if len(x) == 0 {
		return nil, ErrNoCustomers
	}
	d := &bgData{}
	xi := map[float64]int32{}
	ti := map[float64]int32{}
	txi := map[float64]int32{}
	gi := map[[3]int32]int{}
	index := func(m map[float64]int32, vals *[]float64, v float64) int32 {
		i, ok := m[v]
		if !ok {
			i = int32(len(*vals))
			m[v] = i
			*vals = append(*vals, v)
		}
		return i
	}
	for i := range x {
		if err := checkCustomer(x[i], tx[i], T[i]); err != nil {
			return nil, fmt.Errorf("customer %d: %w", i, err)
		}
		k := [3]int32{index(xi, &d.xs, x[i]), index(ti, &d.ts, T[i]), index(txi, &d.txs, tx[i])}
		g, ok := gi[k]
		if !ok {
			g = len(d.groups)
			gi[k] = g
			d.groups = append(d.groups, bgGroup{ix: k[0], it: k[1], itx: k[2]})
		}
		d.groups[g].w++
		d.sumT += T[i]
		if x[i] > 0 {
			d.repeaters++
		}
	}
	d.n = float64(len(x))
	d.wx = make([]float64, len(d.xs))
	for _, g := range d.groups {
		d.wx[g.ix] += g.w
	}
	d.c1 = make([]float64, len(d.xs))
	d.c4 = make([]float64, len(d.xs))
	d.lT = make([]float64, len(d.ts))
	d.iT = make([]float64, len(d.ts))
	d.lTx = make([]float64, len(d.txs))
	d.iTx = make([]float64, len(d.txs))
	return d, nil
}

func checkCustomer(x, tx, T float64) error {
	switch {
	case !finite(x) || !finite(tx) || !finite(T):
		return fmt.Errorf("x=%v t_x=%v T=%v not finite: %w", x, tx, T, ErrBadInput)
	case x < 0 || x != math.Trunc(x):
		return fmt.Errorf("x=%v not a whole number >= 0: %w", x, ErrBadInput)
	case T <= 0 || tx < 0 || tx > T:
		return fmt.Errorf("need 0 <= t_x <= T and T > 0, got t_x=%v T=%v: %w", tx, T, ErrBadInput)
	case x == 0 && tx != 0:
		return fmt.Errorf("t_x=%v with x=0: %w", tx, ErrBadInput)
	}
	return nil
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// loglik is the BG/NBD log-likelihood (FHL 2005, eq. 6) summed over the
// groups, in log space:
//
//	ln L_i = A1 + A2 + ln(exp(A3) + [x>0] exp(A4))
//	A1 = lnΓ(r+x) - lnΓ(r) + r ln α
//	A2 = lnΓ(a+b) + lnΓ(b+x) - lnΓ(b) - lnΓ(a+b+x)
//	A3 = -(r+x) ln(α+T)
//	A4 = ln a - ln(b+x-1) - (r+x) ln(α+t_x)
//
// with the log-sum-exp taken around the larger term, so the value stays
// finite for any x, t_x and T. grad, when not nil, receives the analytic
// gradient in (r, α, a, b).
func (d *bgData) loglik(th, grad []float64) float64 {
	r, al, a, b := th[0], th[1], th[2], th[3]
	lgr, _ := math.Lgamma(r)
	lgab, _ := math.Lgamma(a + b)
	lgb, _ := math.Lgamma(b)
	la, lal := math.Log(a), math.Log(al)
	var gr, gal, ga, gb float64
	var psir, psiab, psib float64
	if grad != nil {
		psir, psiab, psib = mathext.Digamma(r), mathext.Digamma(a+b), mathext.Digamma(b)
	}
	for k, x := range d.xs {
		l1, _ := math.Lgamma(r + x)
		l2, _ := math.Lgamma(b + x)
		l3, _ := math.Lgamma(a + b + x)
		d.c1[k] = l1 - lgr + r*lal + lgab + l2 - lgb - l3
		if x > 0 {
			d.c4[k] = la - math.Log(b+x-1)
		}
		if grad != nil {
			w := d.wx[k]
			p3 := mathext.Digamma(a + b + x)
			gr += w * (mathext.Digamma(r+x) - psir + lal)
			ga += w * (psiab - p3)
			gb += w * (psiab + mathext.Digamma(b+x) - psib - p3)
		}
	}
	for k, T := range d.ts {
		d.lT[k] = math.Log(al + T)
		d.iT[k] = 1 / (al + T)
	}
	for k, tx := range d.txs {
		d.lTx[k] = math.Log(al + tx)
		d.iTx[k] = 1 / (al + tx)
	}
	ll := 0.0
	for _, g := range d.groups {
		x := d.xs[g.ix]
		rx := r + x
		a3 := -rx * d.lT[g.it]
		if x == 0 {
			ll += g.w * (d.c1[g.ix] + a3)
			if grad != nil {
				gr -= g.w * d.lT[g.it]
				gal -= g.w * rx * d.iT[g.it]
			}
			continue
		}
		a4 := d.c4[g.ix] - rx*d.lTx[g.itx]
		var lse, w4 float64
		if a4 > a3 {
			e := math.Exp(a3 - a4)
			lse = a4 + math.Log1p(e)
			w4 = 1 / (1 + e)
		} else {
			e := math.Exp(a4 - a3)
			lse = a3 + math.Log1p(e)
			w4 = e / (1 + e)
		}
		ll += g.w * (d.c1[g.ix] + lse)
		if grad != nil {
			w3 := 1 - w4
			gr -= g.w * (w3*d.lT[g.it] + w4*d.lTx[g.itx])
			gal -= g.w * rx * (w3*d.iT[g.it] + w4*d.iTx[g.itx])
			ga += g.w * w4 / a
			gb -= g.w * w4 / (b + x - 1)
		}
	}
	if grad != nil {
		grad[0], grad[1], grad[2], grad[3] = gr, gal+d.n*r/al, ga, gb
	}
	return ll
}

// FitBGNBD fits the BG/NBD model by maximum likelihood: x is the number of
// repeat purchases in the calibration period, tx the time of the last one
// (0 when x = 0) and T the time from the first purchase to the end of the
// calibration period, all in one time unit. Customers with identical
// (x, t_x, T) are grouped, so the cost of an iteration grows with the number
// of distinct triples.
//
// The built-in starts, tried in order, are (r, α, a, b) = (1, m, 1, 1),
// (0.5, m/4, 0.5, 2), (2, 2m, 2, 5) and (0.2, m/10, 1, 3), where m is the mean
// T. It returns ErrBadInput for an invalid customer, ErrNoRepeat when no
// customer has x > 0, and, wrapping ErrNotConverged, the best point found
// with Converged = false when no start converges.
func FitBGNBD(x, tx, T []float64, opt FitOptions) (BGNBD, error) {
	d, err := newBGData(x, tx, T)
	if err != nil {
		return BGNBD{}, fmt.Errorf("bg/nbd: %w", err)
	}
	if d.repeaters == 0 {
		return BGNBD{N: len(x)}, fmt.Errorf("bg/nbd: %w", ErrNoRepeat)
	}
	m := d.sumT / d.n
	starts := [][]float64{{1, m, 1, 1}, {0.5, m / 4, 0.5, 2}, {2, 2 * m, 2, 5}, {0.2, m / 10, 1, 3}}
	opt = opt.withDefaults(len(starts))
	best := maximize(d.loglik, starts[:opt.Starts], d.n, opt.MaxIter)
	if best.theta == nil {
		return BGNBD{N: len(x), Starts: opt.Starts}, fmt.Errorf("bg/nbd: no start gave a finite likelihood: %w", ErrNotConverged)
	}
	mod := BGNBD{
		R: best.theta[0], Alpha: best.theta[1], A: best.theta[2], B: best.theta[3],
		LogLik: best.ll, N: len(x), Converged: best.converged,
		Iterations: best.iterations, Starts: opt.Starts,
	}
	standardErrors(mod.SE[:], mod.Cov[:], d.loglik, best.theta)
	if !mod.Converged {
		return mod, fmt.Errorf("bg/nbd: best of %d starts at ll %.4f: %w", opt.Starts, mod.LogLik, ErrNotConverged)
	}
	return mod, nil
}

// LogLikelihood returns the model's log-likelihood of the customers; NaN
// when an input is invalid. (The field LogLik holds it at the fit; Go allows
// no method of the same name.)
func (m BGNBD) LogLikelihood(x, tx, T []float64) float64 {
	d, err := newBGData(x, tx, T)
	if err != nil {
		return math.NaN()
	}
	return d.loglik([]float64{m.R, m.Alpha, m.A, m.B}, nil)
}

// logOdds returns ln(a/(b+x-1)) + (r+x) ln((α+T)/(α+t_x)), the log of the
// odds that a customer with x > 0 repeat purchases has dropped out.
func (m BGNBD) logOdds(x, tx, T float64) float64 {
	return math.Log(m.A/(m.B+x-1)) + (m.R+x)*(math.Log(m.Alpha+T)-math.Log(m.Alpha+tx))
}

// PAlive returns the probability that a customer with history (x, t_x, T)
// is still alive at T (FHL 2005, eq. A.10 / Fader, Hardie & Lee's note):
//
//	P(alive) = 1 / (1 + [x>0] a/(b+x-1) ((α+T)/(α+t_x))^(r+x))
//
// It is NaN for an invalid history.
func (m BGNBD) PAlive(x, tx, T float64) float64 {
	if checkHistory(x, tx, T) != nil {
		return math.NaN()
	}
	if x == 0 {
		return 1
	}
	return 1 / (1 + math.Exp(m.logOdds(x, tx, T)))
}

// checkHistory accepts T = 0 (a customer seen at the very cutoff) too.
func checkHistory(x, tx, T float64) error {
	if T == 0 && tx == 0 && x == 0 {
		return nil
	}
	return checkCustomer(x, tx, T)
}

// ConditionalExpected returns E[Y(t) | x, t_x, T], the expected number of
// purchases in (T, T+t] (FHL 2005, eq. 10):
//
//	(a+b+x-1)/(a-1) [1 - ((α+T)/(α+T+t))^(r+x) 2F1(r+x, b+x; a+b+x-1; z)] / D
//	z = t/(α+T+t),  D = 1 + [x>0] a/(b+x-1) ((α+T)/(α+t_x))^(r+x)
//
// computed by Euler's transformation (see hyp.go) so that it stays finite and
// accurate for large x and for a near 1. It is NaN for an invalid history or
// t < 0.
func (m BGNBD) ConditionalExpected(t, x, tx, T float64) float64 {
	if checkHistory(x, tx, T) != nil || !(t >= 0) || math.IsInf(t, 1) {
		return math.NaN()
	}
	if t == 0 {
		return 0
	}
	num := (m.A + m.B + x - 1) * bracket(m.R, m.Alpha, m.A, m.B, t, x, T)
	if x == 0 {
		return num
	}
	return num / (1 + math.Exp(m.logOdds(x, tx, T)))
}

// Expected returns E[X(t)], the expected number of repeat purchases of a new
// customer in (0, t] (FHL 2005, eq. 9):
//
//	(a+b-1)/(a-1) [1 - (α/(α+t))^r 2F1(r, b; a+b-1; t/(α+t))]
//
// which is ConditionalExpected at x = t_x = T = 0.
func (m BGNBD) Expected(t float64) float64 {
	return m.ConditionalExpected(t, 0, 0, 0)
}

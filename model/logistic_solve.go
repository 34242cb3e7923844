package model

import (
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"churn/model/internal/parallel"
)

// logisticHessianRows bounds the rows whose curvature forms the Newton
// Hessian. A sample of this size leaves the Hessian within a few per cent
// of the full one for designs of a few hundred terms, enough for every
// Newton step to cut the gradient by an order of magnitude; the gradient,
// and so the minimum, always comes from every row.
const logisticHessianRows = 16384

// logisticBlock is the rows summed by one task of a pass. The blocks are
// fixed, and their partial sums are added in block order, so the sums do
// not depend on the worker count.
const logisticBlock = 2048

// denseDesign writes the standardised terms of every row of x, row-major,
// len(m.Terms) per row, as float32: half the memory of float64 and half
// the bytes read per pass, with the sums themselves kept in float64. Each
// term is what design computes, rounded to float32; the indicators' two
// values are computed once.
func (m *Logistic) denseDesign(x *Matrix, workers int) []float32 {
	d := len(m.Terms)
	z := make([]float32, x.Rows*d)
	type term struct {
		feat        int
		mean, scale float64
		// For an indicator, its value when missing and when present.
		ind           bool
		miss, present float32
	}
	terms := make([]term, d)
	for k, t := range m.Terms {
		terms[k] = term{feat: t.Feature, mean: t.Mean, scale: t.Scale, ind: t.Indicator,
			miss: float32((1 - t.Mean) / t.Scale), present: float32(-t.Mean / t.Scale)}
	}
	cols := len(x.Cols)
	blocks := (x.Rows + logisticBlock - 1) / logisticBlock
	parallel.For(workers, blocks, func(blk int) {
		for i := blk * logisticBlock; i < min((blk+1)*logisticBlock, x.Rows); i++ {
			row := x.X[i*cols : (i+1)*cols]
			out := z[i*d : (i+1)*d][:len(terms)]
			for k, t := range terms {
				v := row[t.feat]
				miss := v-v != 0 // NaN or ±Inf
				switch {
				case t.ind && miss:
					out[k] = t.miss
				case t.ind:
					out[k] = t.present
				case miss:
					out[k] = 0
				default:
					out[k] = float32((v - t.mean) / t.scale)
				}
			}
		}
	})
	return z
}

// logisticObjective is the weighted mean log loss plus the L2 penalty of
// the coefficients (not the intercept, which is b[d]) on a dense design.
type logisticObjective struct {
	d, rows int
	z       []float32 // rows x d
	y, w    []float64
	wsum    float64
	l2      float64
	workers int
	part    []float64 // per block: loss, then d+1 gradient sums
	// curv holds w p (1-p) / wsum of every row at the point eval saw
	// last: the weights of the Hessian there.
	curv []float64
}

// eval returns the loss at b and writes its gradient into grad (d+1).
func (o *logisticObjective) eval(grad, b []float64) float64 {
	d := o.d
	stride := d + 2
	blocks := (o.rows + logisticBlock - 1) / logisticBlock
	if len(o.part) != blocks*stride {
		o.part = make([]float64, blocks*stride)
	}
	if len(o.curv) != o.rows {
		o.curv = make([]float64, o.rows)
	}
	bk, icpt := b[:d], b[d]
	parallel.For(o.workers, blocks, func(blk int) {
		part := o.part[blk*stride : (blk+1)*stride]
		clear(part)
		lo, hi := blk*logisticBlock, min((blk+1)*logisticBlock, o.rows)
		part[0], part[d+1] = o.evalRows(part[1:d+1], bk, icpt, lo, hi)
	})
	clear(grad)
	var loss float64
	for blk := range blocks {
		part := o.part[blk*stride : (blk+1)*stride]
		loss += part[0]
		floats.Add(grad, part[1:])
	}
	loss /= o.wsum
	floats.Scale(1/o.wsum, grad)
	for k := 0; k < d; k++ {
		loss += o.l2 / 2 * b[k] * b[k]
		grad[k] += o.l2 * b[k]
	}
	return loss
}

// evalRows adds the loss gradient of rows [lo, hi) at coefficients bk
// and intercept icpt to g, records their curvature weights in o.curv, and
// returns their loss and the intercept's gradient. Each row's margin is
// summed over the terms in order, and every sum over rows (loss, g[k],
// the intercept's) takes the rows in order, as a row-at-a-time loop would,
// so the results are the same bit for bit; the rows go four at a time so
// that four independent margins are summed at once and each g[k] is
// loaded and stored once per four rows.
func (o *logisticObjective) evalRows(g, bk []float64, icpt float64, lo, hi int) (loss, gi float64) {
	d := o.d
	g = g[:len(bk)]
	var r [4]float64
	i := lo
	for ; i+4 <= hi; i += 4 {
		z0 := o.z[i*d : (i+1)*d][:len(bk)]
		z1 := o.z[(i+1)*d : (i+2)*d][:len(z0)]
		z2 := o.z[(i+2)*d : (i+3)*d][:len(z0)]
		z3 := o.z[(i+3)*d : (i+4)*d][:len(z0)]
		s0, s1, s2, s3 := icpt, icpt, icpt, icpt
		for k, b := range bk {
			s0 += b * float64(z0[k])
			s1 += b * float64(z1[k])
			s2 += b * float64(z2[k])
			s3 += b * float64(z3[k])
		}
		for q, s := range [4]float64{s0, s1, s2, s3} {
			var l float64
			l, r[q] = o.rowLoss(i+q, s)
			loss += l
			gi += r[q]
		}
		addRows4(g, z0, z1, z2, z3, &r)
	}
	for ; i < hi; i++ {
		zi := o.z[i*d : (i+1)*d][:len(bk)]
		s := icpt
		for k, b := range bk {
			s += b * float64(zi[k])
		}
		l, ri := o.rowLoss(i, s)
		loss += l
		gi += ri
		for k, v := range zi {
			g[k] += ri * float64(v)
		}
	}
	return loss, gi
}

// rowLoss returns row i's weighted loss and gradient factor w (p - y) at
// margin s, and records its curvature weight w p (1-p) / wsum.
func (o *logisticObjective) rowLoss(i int, s float64) (loss, r float64) {
	// softplus(s) - y*s and sigmoid(s) from one exponential, without
	// overflow.
	e := math.Exp(-math.Abs(s))
	p := 1 / (1 + e)
	if s < 0 {
		p = e / (1 + e)
	}
	wi, yi := o.w[i], o.y[i]
	o.curv[i] = wi * p * (1 - p) / o.wsum
	return wi * (max(s, 0) + math.Log1p(e) - yi*s), wi * (p - yi)
}

// hessVecRows adds the curvature-weighted products of rows [lo, hi) with
// (vk, vi) to g and returns the intercept's share, summing in the orders
// of a row-at-a-time loop four rows at a time, as evalRows does.
func (o *logisticObjective) hessVecRows(g, vk []float64, vi float64, lo, hi int) (gi float64) {
	d := o.d
	g = g[:len(vk)]
	i := lo
	for ; i+4 <= hi; i += 4 {
		z0 := o.z[i*d : (i+1)*d][:len(vk)]
		z1 := o.z[(i+1)*d : (i+2)*d][:len(z0)]
		z2 := o.z[(i+2)*d : (i+3)*d][:len(z0)]
		z3 := o.z[(i+3)*d : (i+4)*d][:len(z0)]
		u0, u1, u2, u3 := vi, vi, vi, vi
		for k, v := range vk {
			u0 += v * float64(z0[k])
			u1 += v * float64(z1[k])
			u2 += v * float64(z2[k])
			u3 += v * float64(z3[k])
		}
		r := [4]float64{o.curv[i] * u0, o.curv[i+1] * u1, o.curv[i+2] * u2, o.curv[i+3] * u3}
		gi += r[0]
		gi += r[1]
		gi += r[2]
		gi += r[3]
		addRows4(g, z0, z1, z2, z3, &r)
	}
	for ; i < hi; i++ {
		zi := o.z[i*d : (i+1)*d][:len(vk)]
		u := vi
		for k, v := range vk {
			u += v * float64(zi[k])
		}
		r := o.curv[i] * u
		for k, x := range zi {
			g[k] += r * float64(x)
		}
		gi += r
	}
	return gi
}

// hessianSample holds the sampled rows of the design with a trailing 1 for
// the intercept, as float64 for the rank-one updates.
type hessianSample struct {
	rows []int
	z    []float64 // len(rows) x (d+1)
	wsum float64
}

func (o *logisticObjective) sample() *hessianSample {
	n := min(o.rows, logisticHessianRows)
	D := o.d + 1
	s := &hessianSample{rows: make([]int, n), z: make([]float64, n*D)}
	for j := range n {
		i := int(int64(j) * int64(o.rows) / int64(n))
		s.rows[j] = i
		row := s.z[j*D : (j+1)*D]
		for k, v := range o.z[i*o.d : (i+1)*o.d] {
			row[k] = float64(v)
		}
		row[o.d] = 1
		s.wsum += o.w[i]
	}
	return s
}

// hessian writes the mean Hessian of the sampled rows at b, plus the L2
// penalty, into h (D x D, D = d+1, full symmetric). Each task owns a band
// of h's rows and adds the sample's rows in order, so h does not depend on
// the worker count.
func (o *logisticObjective) hessian(h []float64, s *hessianSample, b []float64) {
	D := o.d + 1
	n := len(s.rows)
	c := make([]float64, n) // w p (1-p) / wsum per sampled row
	for j := range n {
		m := floats.Dot(s.z[j*D:(j+1)*D], b)
		p := sigmoid(m)
		c[j] = o.w[s.rows[j]] * p * (1 - p) / s.wsum
	}
	clear(h)
	// Bands of about equal work over the upper triangle.
	const bands = 16
	edges := make([]int, 0, bands+1)
	edges = append(edges, 0)
	total := float64(D) * float64(D+1) / 2
	acc, a := 0.0, 0
	for k := 1; k < bands && a < D; k++ {
		for a < D && acc < total*float64(k)/bands {
			acc += float64(D - a)
			a++
		}
		if a > edges[len(edges)-1] {
			edges = append(edges, a)
		}
	}
	if edges[len(edges)-1] < D {
		edges = append(edges, D)
	}
	parallel.For(o.workers, len(edges)-1, func(t int) {
		lo, hi := edges[t], edges[t+1]
		for j := range n {
			zj := s.z[j*D : (j+1)*D]
			for a := lo; a < hi; a++ {
				floats.AddScaled(h[a*D+a:(a+1)*D], c[j]*zj[a], zj[a:])
			}
		}
	})
	for a := 0; a < D; a++ {
		for col := 0; col < a; col++ {
			h[a*D+col] = h[col*D+a]
		}
	}
	for k := 0; k < o.d; k++ {
		h[k*D+k] += o.l2
	}
}

// hessVec writes H v into dst, H the full Hessian at the point eval saw
// last, in one pass over the rows.
func (o *logisticObjective) hessVec(dst, v []float64) {
	d := o.d
	stride := d + 2
	blocks := (o.rows + logisticBlock - 1) / logisticBlock
	if len(o.part) != blocks*stride {
		o.part = make([]float64, blocks*stride)
	}
	vk, vi := v[:d], v[d]
	parallel.For(o.workers, blocks, func(blk int) {
		part := o.part[blk*stride : (blk+1)*stride]
		clear(part)
		lo, hi := blk*logisticBlock, min((blk+1)*logisticBlock, o.rows)
		part[d+1] = o.hessVecRows(part[1:d+1], vk, vi, lo, hi)
	})
	clear(dst)
	for blk := range blocks {
		floats.Add(dst, o.part[blk*stride+1:(blk+1)*stride])
	}
	for k := 0; k < d; k++ {
		dst[k] += o.l2 * v[k]
	}
}

// newton minimises the objective from b0 and returns the minimum, its
// loss, the iterations taken and why it stopped (named like
// gonum/optimize's statuses). Each step solves H step = -grad with the
// full Hessian by conjugate gradients, preconditioned by the Cholesky
// factor of the sampled Hessian, to a relative residual that shrinks with
// the gradient, then backtracks until the loss drops enough.
func (o *logisticObjective) newton(b0 []float64, maxIter int, gradTol float64) (b []float64, loss float64, iter int, status string) {
	D := o.d + 1
	b = append([]float64(nil), b0...)
	grad := make([]float64, D)
	loss = o.eval(grad, b)
	s := o.sample()
	h := make([]float64, D*D)
	step := make([]float64, D)
	trial := make([]float64, D)
	tgrad := make([]float64, D)
	cg := newCGState(D)
	var chol mat.Cholesky
	for iter = 0; iter < maxIter; iter++ {
		gnorm := floats.Norm(grad, math.Inf(1))
		if gnorm < gradTol {
			return b, loss, iter, "GradientThreshold"
		}
		o.hessian(h, s, b)
		if !factorRidged(&chol, h, D) {
			copy(step, grad)
			floats.Scale(-1, step)
		} else {
			tol := min(0.1, math.Sqrt(floats.Norm(grad, 2)))
			cg.solve(step, grad, tol, 50, o.hessVec, &chol)
		}
		slope := floats.Dot(grad, step)
		if !(slope < 0) {
			copy(step, grad)
			floats.Scale(-1, step)
			slope = floats.Dot(grad, step)
		}
		t := 1.0
		accepted := false
		var tloss float64
		for range 40 {
			floats.AddScaledTo(trial, b, t, step)
			tloss = o.eval(tgrad, trial)
			if tloss <= loss+1e-4*t*slope {
				accepted = true
				break
			}
			t /= 2
		}
		if !accepted {
			// The curvature weights must match b again.
			loss = o.eval(grad, b)
			return b, loss, iter, "LineSearchStalled"
		}
		drop := loss - tloss
		b, trial = trial, b
		grad, tgrad = tgrad, grad
		loss = tloss
		if drop <= 1e-12*(1+math.Abs(loss)) {
			return b, loss, iter + 1, "FunctionConvergence"
		}
	}
	if floats.Norm(grad, math.Inf(1)) < gradTol {
		return b, loss, iter, "GradientThreshold"
	}
	return b, loss, iter, "IterationLimit"
}

// factorRidged factorises the symmetric h (D x D), adding a growing ridge
// to its diagonal while the factorisation fails. It reports false when no
// ridge makes h factorable.
func factorRidged(chol *mat.Cholesky, h []float64, D int) bool {
	var scale float64
	for a := 0; a < D; a++ {
		scale = max(scale, math.Abs(h[a*D+a]))
	}
	ridge := 0.0
	for range 8 {
		sym := mat.NewSymDense(D, append([]float64(nil), h...))
		for a := 0; a < D && ridge > 0; a++ {
			sym.SetSym(a, a, sym.At(a, a)+ridge)
		}
		if chol.Factorize(sym) {
			return true
		}
		if ridge == 0 {
			ridge = 1e-10 * max(scale, 1)
		} else {
			ridge *= 100
		}
	}
	return false
}

// cgState holds the vectors of a preconditioned conjugate gradient solve.
type cgState struct {
	r, zv, p, hp []float64
	iters        int // of the last solve
}

func newCGState(D int) *cgState {
	return &cgState{r: make([]float64, D), zv: make([]float64, D), p: make([]float64, D), hp: make([]float64, D)}
}

// solve writes an x with ||H x + g|| <= tol ||g|| into x, starting from the
// preconditioned step -M⁻¹ g, in at most maxIter products with H.
func (c *cgState) solve(x, g []float64, tol float64, maxIter int, hv func(dst, v []float64), m *mat.Cholesky) {
	D := len(x)
	precond := func(dst, v []float64) {
		out := mat.NewVecDense(D, dst)
		if err := m.SolveVecTo(out, mat.NewVecDense(D, v)); err != nil {
			copy(dst, v)
		}
	}
	// r = -g - H x with x = 0.
	clear(x)
	for k := range c.r {
		c.r[k] = -g[k]
	}
	gnorm := floats.Norm(g, 2)
	precond(c.zv, c.r)
	copy(c.p, c.zv)
	rz := floats.Dot(c.r, c.zv)
	c.iters = 0
	for c.iters < maxIter {
		hv(c.hp, c.p)
		c.iters++
		php := floats.Dot(c.p, c.hp)
		if !(php > 0) {
			if c.iters == 1 {
				copy(x, c.p)
			}
			return
		}
		alpha := rz / php
		floats.AddScaled(x, alpha, c.p)
		floats.AddScaled(c.r, -alpha, c.hp)
		if floats.Norm(c.r, 2) <= tol*gnorm {
			return
		}
		precond(c.zv, c.r)
		rzNew := floats.Dot(c.r, c.zv)
		floats.AddScaledTo(c.p, c.zv, rzNew/rz, c.p)
		rz = rzNew
	}
}

package gbt

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"churn/model/internal/parallel"
)

// gpair is a gradient and hessian pair, or a sum of them.
type gpair struct{ g, h float64 }

// histWidth is the histogram slots reserved per column: up to 255 bins
// plus the missing-value bin. A fixed width lets the compiler drop bounds
// checks when a uint8 code indexes a *[histWidth]gpair.
const histWidth = 256

// histStride is the gpairs from one column's histogram to the next in a
// node's buffer: histWidth and a cache line more, so that the same bin of
// neighbouring columns does not sit a multiple of 4 KiB apart, where
// loads would wait on unrelated stores.
const histStride = histWidth + 4

// rowMajorShare: a node whose rows are fewer than one in rowMajorShare of
// the training rows builds its histograms from row-major codes. Below
// that density a column's rows lie on distinct cache lines, so a row's
// codes for a whole column group, on one or two lines of its row, cost
// fewer loads from memory; above it the column-major codes stream in
// order.
const rowMajorShare = 20

// histGroup is the number of columns of one histogram task.
const histGroup = 8

// Fit trains a model on train with binary log loss. When valid is not nil
// its log loss is tracked after every round and, with EarlyStopping > 0,
// training stops once it has not improved for that many rounds; the model
// keeps the trees up to the best round. Without valid all Trees rounds run.
//
// Training is deterministic: equal data, Params and Seed give a
// bit-identical model for any Workers value.
func Fit(train Data, valid *Data, p Params) (*Model, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	if err := train.check(); err != nil {
		return nil, fmt.Errorf("training data: %w", err)
	}
	if train.Rows < 2 {
		return nil, fmt.Errorf("training data has %d rows: %w", train.Rows, ErrTooFewRows)
	}
	if valid != nil {
		if err := valid.check(); err != nil {
			return nil, fmt.Errorf("validation data: %w", err)
		}
		if valid.Cols != train.Cols {
			return nil, fmt.Errorf("validation data has %d columns, training %d: %w", valid.Cols, train.Cols, ErrShape)
		}
		if valid.Rows == 0 {
			return nil, fmt.Errorf("validation data has no rows: %w", ErrTooFewRows)
		}
	}
	t := &trainer{p: p, workers: parallel.Workers(p.Workers), y: train.Y}
	t.w = make([]float64, train.Rows)
	var pos, all float64
	for i, y := range train.Y {
		w := train.weight(i)
		if y == 1 {
			w *= p.PosWeight
			pos += w
		}
		t.w[i] = w
		all += w
	}
	if !(pos > 0 && pos < all) {
		return nil, fmt.Errorf("training data: %w", ErrSingleClass)
	}
	t.bins = binMatrix(train, p.MaxBins, t.workers)
	defer t.bins.release() // the model keeps no codes
	for j, nb := range t.bins.nbins {
		// A column splits on its values, or on missingness when it holds
		// one finite value and some missing ones.
		if nb >= 2 || (t.bins.missing[j] > 0 && t.bins.missing[j] < train.Rows) {
			t.usable = append(t.usable, j)
		}
	}
	if len(t.usable) == 0 {
		return nil, fmt.Errorf("training data: %w", ErrNoUsableColumn)
	}
	m := &Model{
		cols:       train.Cols,
		base:       math.Log(pos / (all - pos)),
		importance: make([]float64, train.Cols),
		workers:    p.Workers,
	}
	t.run(m, valid)
	m.prepare()
	return m, nil
}

// trainer holds the state of one Fit call.
type trainer struct {
	p       Params
	workers int
	bins    *binned
	y, w    []float64
	usable  []int
	rng     *rand.Rand

	margin []float64
	grad   []gpair
	// idxIn holds the rows drawn for the current tree, idxOut the others;
	// every node owns a contiguous range of each, kept in increasing row
	// order by stable partitioning.
	idxIn, idxOut []int32
	scratchIn     []int32
	scratchOut    []int32
	feats         []int
	// gathered holds, at each node's idxIn range, the gradients of its
	// rows in that order, for the node whose histogram is being built.
	gathered []gpair
	pool     [][]gpair
	// gains is parallel to Model.nodes: the gain of each split.
	gains []float64
}

// tnode is a node of the tree being grown.
type tnode struct {
	inLo, inHi, outLo, outHi int
	sum                      gpair
	depth                    int
	hist                     []gpair
	best                     splitInfo
	children                 int // index of the left child, 0 for a leaf
}

// splitInfo is the best split found for a node.
type splitInfo struct {
	gain     float64 // 0 when no split improves the loss
	feat     int
	bin      int
	missLeft bool
	left     gpair
}

func (t *trainer) run(m *Model, valid *Data) {
	p := t.p
	n := t.bins.rows
	t.rng = rand.New(rand.NewPCG(p.Seed, 0x9e3779b97f4a7c15))
	t.margin = make([]float64, n)
	for i := range t.margin {
		t.margin[i] = m.base
	}
	t.grad = make([]gpair, n)
	t.idxIn = make([]int32, 0, n)
	t.idxOut = make([]int32, 0, n)
	t.scratchIn = make([]int32, n)
	t.scratchOut = make([]int32, n)
	t.gathered = make([]gpair, n)

	var vmargin []float64
	var vw float64
	if valid != nil {
		vmargin = make([]float64, valid.Rows)
		for i := range vmargin {
			vmargin[i] = m.base
			vw += valid.weight(i)
		}
	}
	bestLoss, bestIter := math.Inf(1), -1
	for iter := 0; iter < p.Trees; iter++ {
		t.sampleRows()
		t.gradients()
		t.sampleCols()
		t.grow(m)
		if valid == nil {
			continue
		}
		t.addLastTree(m, vmargin, valid.X)
		loss := validLoss(vmargin, *valid, vw)
		if loss < bestLoss {
			bestLoss, bestIter = loss, iter
		} else if p.EarlyStopping > 0 && iter-bestIter >= p.EarlyStopping {
			break
		}
	}
	if valid != nil && p.EarlyStopping > 0 && bestIter >= 0 {
		m.truncate(bestIter + 1)
	}
	for i, s := range m.nodes {
		if !m.leaf(int32(i)) {
			m.importance[s.feat] += t.gains[i]
		}
	}
}

// gradients computes the log-loss gradient and hessian, weighted, at the
// current margins, of the rows drawn for the tree (idxIn): the only rows
// whose gradients the tree reads.
func (t *trainer) gradients() {
	const chunk = 1 << 14
	n := len(t.idxIn)
	parallel.For(t.workers, (n+chunk-1)/chunk, func(c int) {
		lo := c * chunk
		for k, i := range t.idxIn[lo:min(lo+chunk, n)] {
			pr := sigmoid(t.margin[i])
			w := t.w[i]
			// The floor keeps hessians positive where the model is sure.
			g := gpair{(pr - t.y[i]) * w, max(pr*(1-pr), 1e-16) * w}
			t.grad[i] = g
			t.gathered[lo+k] = g
		}
	})
}

// sampleRows draws each row into the tree with probability Subsample,
// one draw per row in row order. A row is written to both lists' next
// slots and only the counts move, as in stablePartition: the draws fall
// either way at random.
func (t *trainer) sampleRows() {
	n := t.bins.rows
	in, out := t.idxIn[:n], t.idxOut[:n]
	if t.p.Subsample >= 1 {
		for i := range in {
			in[i] = int32(i)
		}
		t.idxIn, t.idxOut = in, out[:0]
		return
	}
	ni, no := 0, 0
	for i := range n {
		d := 0
		if t.rng.Float64() < t.p.Subsample {
			d = 1
		}
		in[ni] = int32(i)
		out[no] = int32(i)
		ni += d
		no += 1 - d
	}
	t.idxIn, t.idxOut = in[:ni], out[:no]
}

// sampleCols draws round(ColSample x usable) columns, at least one, for
// the tree, in increasing order.
func (t *trainer) sampleCols() {
	t.feats = append(t.feats[:0], t.usable...)
	k := max(1, int(math.Round(t.p.ColSample*float64(len(t.usable)))))
	if k >= len(t.feats) {
		return
	}
	for i := 0; i < k; i++ {
		j := i + t.rng.IntN(len(t.feats)-i)
		t.feats[i], t.feats[j] = t.feats[j], t.feats[i]
	}
	t.feats = t.feats[:k]
	slices.Sort(t.feats)
}

func (t *trainer) getHist() []gpair {
	if k := len(t.pool); k > 0 {
		h := t.pool[k-1]
		t.pool = t.pool[:k-1]
		return h
	}
	// histGroup-1 columns of slack past the last: a row-major task pads
	// its group to histGroup columns.
	return make([]gpair, histStride*(t.bins.cols+histGroup-1))
}

func (t *trainer) putHist(h []gpair) {
	if h != nil {
		t.pool = append(t.pool, h)
	}
}

// grow builds one tree depth by depth and appends it to m.
func (t *trainer) grow(m *Model) {
	p := t.p
	root := tnode{inHi: len(t.idxIn), outHi: len(t.idxOut)}
	for _, r := range t.idxIn {
		root.sum.g += t.grad[r].g
		root.sum.h += t.grad[r].h
	}
	nodes := []tnode{root}
	if p.MaxDepth > 0 {
		t.expand(nodes, []int{0}, nil) // gradients gathered the root's rows
	}
	level := []int{0}
	leaves := 1
	for depth := 0; depth < p.MaxDepth && len(level) > 0; depth++ {
		var cand []int
		for _, i := range level {
			if nodes[i].best.gain > 0 {
				cand = append(cand, i)
			} else {
				t.putHist(nodes[i].hist)
				nodes[i].hist = nil
			}
		}
		if p.MaxLeaves > 0 && leaves+len(cand) > p.MaxLeaves {
			// Keep the best splits; ties go to the earlier node.
			slices.SortStableFunc(cand, func(a, b int) int {
				ga, gb := nodes[a].best.gain, nodes[b].best.gain
				switch {
				case ga > gb:
					return -1
				case ga < gb:
					return 1
				}
				return 0
			})
			for _, i := range cand[p.MaxLeaves-leaves:] {
				t.putHist(nodes[i].hist)
				nodes[i].hist = nil
			}
			cand = cand[:p.MaxLeaves-leaves]
			slices.Sort(cand)
		}
		level = level[:0]
		var small, large []int
		// Nodes own disjoint row ranges, so they partition in parallel.
		mids := make([][2]int, len(cand))
		parallel.For(t.workers, len(cand), func(k int) {
			mids[k][0], mids[k][1] = t.partition(&nodes[cand[k]])
		})
		for k, i := range cand {
			l := t.addChildren(&nodes, i, mids[k][0], mids[k][1])
			leaves++
			level = append(level, l, l+1)
			a, b := l, l+1
			if nodes[a].inHi-nodes[a].inLo > nodes[b].inHi-nodes[b].inLo {
				a, b = b, a
			}
			small = append(small, a)
			large = append(large, b)
		}
		if depth+1 < p.MaxDepth && len(cand) > 0 {
			for k, i := range cand {
				// The larger child takes over its parent's histogram and
				// becomes parent minus smaller child.
				nodes[large[k]].hist = nodes[i].hist
				nodes[i].hist = nil
				nodes[small[k]].hist = t.getHist()
			}
			t.expand(nodes, small, large)
		} else {
			for _, i := range cand {
				t.putHist(nodes[i].hist)
				nodes[i].hist = nil
			}
		}
	}
	for i := range nodes {
		t.putHist(nodes[i].hist)
		nodes[i].hist = nil
	}
	t.emit(m, nodes)
}

// partition orders node nd's rows by its best split, left ones first,
// and returns where the right ones start in idxIn and idxOut.
func (t *trainer) partition(nd *tnode) (inMid, outMid int) {
	s := nd.best
	col := t.bins.codes[s.feat*t.bins.rows : (s.feat+1)*t.bins.rows]
	miss := uint8(t.bins.nbins[s.feat])
	bin := uint8(s.bin)
	// left[c] is 1 for the codes that go left: the values up to the
	// split's bin, and missing ones when they go left.
	var left [histWidth]uint8
	for c := 0; c <= int(bin); c++ {
		left[c] = 1
	}
	if s.missLeft {
		left[miss] = 1
	}
	inMid = nd.inLo + stablePartition(t.idxIn[nd.inLo:nd.inHi], t.scratchIn[nd.inLo:nd.inHi], col, &left)
	outMid = nd.outLo + stablePartition(t.idxOut[nd.outLo:nd.outHi], t.scratchOut[nd.outLo:nd.outHi], col, &left)
	return inMid, outMid
}

// addChildren appends the two children of node i, split at inMid and
// outMid, and returns the index of the left one.
func (t *trainer) addChildren(nodes *[]tnode, i, inMid, outMid int) int {
	nd := &(*nodes)[i]
	s := nd.best
	left := tnode{inLo: nd.inLo, inHi: inMid, outLo: nd.outLo, outHi: outMid, sum: s.left, depth: nd.depth + 1}
	right := tnode{inLo: inMid, inHi: nd.inHi, outLo: outMid, outHi: nd.outHi, depth: nd.depth + 1,
		sum: gpair{nd.sum.g - s.left.g, nd.sum.h - s.left.h}}
	l := len(*nodes)
	nd.children = l
	*nodes = append(*nodes, left, right)
	return l
}

// stablePartition moves the rows r with left[col[r]] = 1 to the front of
// idx, keeping the order within each side, and returns how many went
// left. Every row is written to both sides' next slots and only the
// counts move, so that no branch depends on the row: a split sends rows
// either way about at random.
func stablePartition(idx, scratch []int32, col []uint8, left *[histWidth]uint8) int {
	scratch = scratch[:len(idx)]
	nl, nr := 0, 0
	for _, r := range idx {
		l := int(left[col[r]])
		// nl and nr count rows already read, so neither slot is ahead
		// of the loop.
		idx[nl] = r
		scratch[nr] = r
		nl += l
		nr += 1 - l
	}
	copy(idx[nl:], scratch[:nr])
	return nl
}

// expand finds the best split of the nodes in small and large. The nodes
// in small get their histograms built from their rows; the node large[k],
// when large is not nil, holds its parent's histogram and turns it into its
// own by subtracting small[k]'s (the subtraction trick). The work is spread
// over (node, column) tasks; each task writes its own slot, and the best
// split per node is chosen afterwards in column order.
func (t *trainer) expand(nodes []tnode, small, large []int) {
	// Nodes own disjoint ranges of idxIn, so their gathered gradients
	// share one buffer. The root's (large nil) are in place already.
	gather := small
	if large == nil {
		gather = nil
	}
	parallel.For(t.workers, len(gather), func(k int) {
		nd := &nodes[gather[k]]
		g := t.gathered[nd.inLo:nd.inHi]
		for i, r := range t.idxIn[nd.inLo:nd.inHi] {
			g[i] = t.grad[r]
		}
	})
	if large == nil {
		nodes[small[0]].hist = t.getHist()
	}
	nf := len(t.feats)
	found := make([]splitInfo, 2*len(small)*nf)
	// A task sums up to histGroup columns in one pass over the rows: the
	// gradient is loaded once, and the columns' independent updates
	// overlap where one column would wait on its previous store (addHist).
	groups := (nf + histGroup - 1) / histGroup
	parallel.For(t.workers, len(small)*groups, func(task int) {
		k, grp := task/groups, task%groups
		s0 := grp * histGroup
		fs := t.feats[s0:min(s0+histGroup, nf)]
		sn := &nodes[small[k]]
		// A node's histograms lie in the order of the tree's columns
		// (feats), histStride apart: the group's are one block.
		hb := sn.hist[s0*histStride : (s0+len(fs)-1)*histStride+histWidth]
		var cols [histGroup][]uint8
		for q, f := range fs {
			clear(hb[q*histStride : q*histStride+t.bins.nbins[f]+1])
			cols[q] = t.bins.codes[f*t.bins.rows : (f+1)*t.bins.rows]
		}
		idx := t.idxIn[sn.inLo:sn.inHi]
		g := t.gathered[sn.inLo:sn.inHi]
		if len(idx)*rowMajorShare < t.bins.rows {
			// The group is padded to histGroup columns with copies of its
			// last, whose sums go to the buffer's slack and are not read,
			// so that one pass over the rows serves every column.
			var pad [histGroup]int
			copy(pad[:], fs)
			for q := len(fs); q < histGroup; q++ {
				pad[q] = fs[len(fs)-1]
			}
			hp := sn.hist[s0*histStride : (s0+histGroup-1)*histStride+histWidth]
			for q := len(fs); q < histGroup; q++ {
				clear(colHist(hp, q)[:])
			}
			addHistRows(hp, t.bins.rowCodes, t.bins.cols, pad[:], idx, g)
		} else {
			addHist(hb, cols[:len(fs)], idx, g)
		}
		for q, f := range fs {
			nb := t.bins.nbins[f]
			off := (s0 + q) * histStride
			h := sn.hist[off : off+nb+1]
			slot := 2 * (k*nf + s0 + q)
			found[slot] = t.bestSplit(h, f, sn.sum)
			if large == nil {
				continue
			}
			ln := &nodes[large[k]]
			hl := ln.hist[off : off+nb+1]
			for b := range hl {
				hl[b].g -= h[b].g
				hl[b].h -= h[b].h
			}
			found[slot+1] = t.bestSplit(hl, f, ln.sum)
		}
	})
	for k := range small {
		for side, list := range [][]int{small, large} {
			if list == nil {
				continue
			}
			var best splitInfo
			for s := 0; s < nf; s++ {
				if c := found[2*(k*nf+s)+side]; c.gain > best.gain {
					best = c
				}
			}
			nodes[list[k]].best = best
		}
	}
}

// bestSplit scans the histogram h of column f (its last slot holds the
// missing values) of a node whose gradients sum to sum, trying the missing
// values on either side of every edge. Gain is
// 1/2 [GL²/(HL+λ) + GR²/(HR+λ) - G²/(H+λ)]; each child must hold a hessian
// of at least MinChildWeight.
func (t *trainer) bestSplit(h []gpair, f int, sum gpair) splitInfo {
	lambda := t.p.L2
	minH := max(t.p.MinChildWeight, 1e-10)
	nb := len(h) - 1
	miss := h[nb]
	parent := score(sum, lambda)
	best := splitInfo{feat: f}
	var acc gpair
	// The last edge, b = nb-1, sends every finite value left and the
	// missing ones right: a split on missingness alone.
	for b := 0; b < nb; b++ {
		if h[b].h == 0 && h[b].g == 0 {
			// An empty bin repeats the previous edge's split, which won
			// any tie already.
			continue
		}
		acc.g += h[b].g
		acc.h += h[b].h
		// Missing values to the right.
		l := acc
		r := gpair{sum.g - l.g, sum.h - l.h}
		if l.h >= minH && r.h >= minH {
			if gain := score(l, lambda) + score(r, lambda) - parent; gain > best.gain {
				best.gain, best.bin, best.missLeft, best.left = gain, b, false, l
			}
		}
		if miss.h <= 0 || b == nb-1 {
			continue
		}
		// Missing values to the left.
		l = gpair{acc.g + miss.g, acc.h + miss.h}
		r = gpair{sum.g - l.g, sum.h - l.h}
		if l.h >= minH && r.h >= minH {
			if gain := score(l, lambda) + score(r, lambda) - parent; gain > best.gain {
				best.gain, best.bin, best.missLeft, best.left = gain, b, true, l
			}
		}
	}
	if best.gain > 0 && miss.h <= 0 {
		// No missing value reached this node: send future ones to the
		// heavier child.
		best.missLeft = best.left.h >= sum.h-best.left.h
	}
	best.gain /= 2
	return best
}

func score(s gpair, lambda float64) float64 {
	d := s.h + lambda
	if d <= 0 {
		return 0
	}
	return s.g * s.g / d
}

// leafValue is -G/(H+λ) times the learning rate.
func (t *trainer) leafValue(s gpair) float64 {
	d := s.h + t.p.L2
	if d <= 0 {
		return 0
	}
	return -s.g / d * t.p.LearningRate
}

// emit flattens the grown tree into m and adds its leaf values to the
// margins of the rows in each leaf.
func (t *trainer) emit(m *Model, nodes []tnode) {
	off := int32(len(m.nodes))
	depth := 0
	var leaves []int
	for i := range nodes {
		nd := &nodes[i]
		self := off + int32(i)
		cover := nd.sum.h
		if nd.children == 0 {
			v := t.leafValue(nd.sum)
			m.nodes = append(m.nodes, split{thr: math.Inf(1), left: self})
			m.values = append(m.values, v)
			m.covers = append(m.covers, cover)
			t.gains = append(t.gains, 0)
			depth = max(depth, nd.depth)
			leaves = append(leaves, i)
			continue
		}
		s := nd.best
		mr := int32(1)
		if s.missLeft {
			mr = 0
		}
		thr := math.Inf(1) // the split on missingness alone
		if cuts := t.bins.cuts[s.feat]; s.bin < len(cuts) {
			thr = cuts[s.bin]
		}
		m.nodes = append(m.nodes, split{
			thr:       thr,
			feat:      int32(s.feat),
			left:      off + int32(nd.children),
			missRight: mr,
		})
		m.values = append(m.values, 0)
		m.covers = append(m.covers, cover)
		t.gains = append(t.gains, s.gain)
	}
	m.roots = append(m.roots, off)
	m.depths = append(m.depths, uint8(depth))
	// Leaves own disjoint rows, so their margins update in parallel, one
	// addition per row.
	parallel.For(t.workers, len(leaves), func(k int) {
		nd := &nodes[leaves[k]]
		v := m.values[off+int32(leaves[k])]
		for _, r := range t.idxIn[nd.inLo:nd.inHi] {
			t.margin[r] += v
		}
		for _, r := range t.idxOut[nd.outLo:nd.outHi] {
			t.margin[r] += v
		}
	})
}

// addLastTree adds the newest tree's values to the margins of X's rows.
func (t *trainer) addLastTree(m *Model, margin, X []float64) {
	last := len(m.roots) - 1
	rows := len(margin)
	blocks := (rows + predictBlockRows - 1) / predictBlockRows
	parallel.For(t.workers, blocks, func(b int) {
		lo := b * predictBlockRows
		hi := min(lo+predictBlockRows, rows)
		m.addTrees(margin[lo:hi], X[lo*m.cols:hi*m.cols], last, last+1)
	})
}

// validLoss is the weighted mean log loss of margins against d's labels.
func validLoss(margin []float64, d Data, sumW float64) float64 {
	var s float64
	for i, v := range margin {
		w := d.weight(i)
		if d.Y[i] == 1 {
			s += w * softplus(-v)
		} else {
			s += w * softplus(v)
		}
	}
	if sumW <= 0 {
		return s
	}
	return s / sumW
}

// truncate keeps the first n trees. Trees are stored one after another, so
// the nodes of the kept trees form a prefix.
func (m *Model) truncate(n int) {
	if n >= len(m.roots) {
		return
	}
	end := m.roots[n]
	m.roots, m.depths = m.roots[:n], m.depths[:n]
	m.nodes, m.values, m.covers = m.nodes[:end], m.values[:end], m.covers[:end]
}

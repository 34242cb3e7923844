package gbt

// Contributions writes the exact TreeSHAP margin contributions of the row
// x (Lundberg, Erion and Lee 2018, "Consistent individualized feature
// attribution for tree ensembles", Algorithm 2) to dst: dst[j] for column
// j, and dst[Cols] the bias, the expected margin over the training
// distribution as weighted by node covers (hessian sums). The elements of
// dst sum to the row's margin. len(x) must be Cols and len(dst) Cols+1.
//
// The values are TreeSHAP's, computed from per-leaf tables built on the
// first call (see fastshap.go) in time linear in the depth per leaf.
func (m *Model) Contributions(dst, x []float64) {
	if len(x) != m.cols || len(dst) != m.cols+1 {
		panic("gbt: Contributions: len(x) != Cols or len(dst) != Cols+1")
	}
	if m.shap == nil { // a Model that Fit or UnmarshalBinary did not make
		m.treeShapAll(dst, x)
		return
	}
	m.ContributionsRows(dst, x)
}

// shapBlockRows is the number of rows explained together, tree by tree.
// A block keeps its contributions and keys column-major (one run of
// shapBlockRows values per column) and its node patterns node-major, so
// that the fast path applies one leaf slot to every row of the block in
// one pass over contiguous memory: 256 rows of 170 columns take 348 KB of
// contributions, as much of keys, and 130 KB of patterns at depth 6.
const shapBlockRows = 256

// ContributionsRows writes the contributions of every row of the
// row-major matrix X, which holds len(X)/Cols rows, to dst, Cols+1 values
// per row laid out as Contributions writes them, and equal to its values.
// It runs on the calling goroutine: callers spread rows over workers.
//
// Each value is the same sum, in the same order (tree by tree, leaf by
// leaf), as the row-at-a-time fast path and the recursive TreeSHAP of
// trees off the fast path add it: only the order in which rows and
// columns take their turns differs, so the result is bit-identical.
func (m *Model) ContributionsRows(dst, X []float64) {
	if m.cols == 0 {
		panic("gbt: ContributionsRows: the zero Model has no columns")
	}
	rows := len(X) / m.cols
	w := m.cols + 1
	if len(X) != rows*m.cols || len(dst) != rows*w {
		panic("gbt: ContributionsRows: dst or X length does not match Cols")
	}
	st := m.shapTables()
	if st == nil {
		for r := 0; r < rows; r++ {
			m.treeShapAll(dst[r*w:(r+1)*w], X[r*m.cols:(r+1)*m.cols])
		}
		return
	}
	bn := min(rows, shapBlockRows)
	blk := shapBlock{
		phi: make([]float64, bn*m.cols),
		key: make([]uint64, bn*m.cols),
		pat: make([]uint32, bn*st.maxNodes),
	}
	var path []pathElem
	for lo := 0; lo < rows; lo += shapBlockRows {
		hi := min(lo+shapBlockRows, rows)
		n := hi - lo
		blk.load(X[lo*m.cols:hi*m.cols], m.cols, n)
		for t, root := range m.roots {
			if st.fast[t] {
				st.contributionsBlock(&blk, n, t)
				continue
			}
			// Off the fast path, the recursive TreeSHAP adds to each
			// row's contributions in place.
			if path == nil {
				path = m.pathBuffer()
			}
			blk.store(dst[lo*w:hi*w], m.cols, n)
			for r := lo; r < hi; r++ {
				m.treeShap(dst[r*w:(r+1)*w], X[r*m.cols:(r+1)*m.cols], root, path, 0, 1, 1, -1)
			}
			blk.reload(dst[lo*w:hi*w], m.cols, n)
		}
		blk.store(dst[lo*w:hi*w], m.cols, n)
		for r := lo; r < hi; r++ {
			dst[r*w+m.cols] = st.bias
		}
	}
}

// shapBlock is the scratch of ContributionsRows for one block of n rows:
// phi[j*n+r] and key[j*n+r] are row r's contribution and order key of
// column j; pat[i*n+r] is row r's pattern at node i of the current tree.
type shapBlock struct {
	phi []float64
	key []uint64
	pat []uint32
}

// load starts a block on the n rows of X (row-major, cols per row): their
// keys, and contributions of 0.
func (b *shapBlock) load(X []float64, cols, n int) {
	b.phi, b.key = b.phi[:cols*n], b.key[:cols*n]
	clear(b.phi)
	for r := range n {
		for j, v := range X[r*cols : (r+1)*cols] {
			b.key[j*n+r] = orderKey(v)
		}
	}
}

// store writes the block's contributions to dst (row-major, cols+1 per
// row; the last value of each row is left alone).
func (b *shapBlock) store(dst []float64, cols, n int) {
	for r := range n {
		row := dst[r*(cols+1) : r*(cols+1)+cols]
		for j := range row {
			row[j] = b.phi[j*n+r]
		}
	}
}

// reload is the inverse of store.
func (b *shapBlock) reload(dst []float64, cols, n int) {
	for r := range n {
		for j, v := range dst[r*(cols+1) : r*(cols+1)+cols] {
			b.phi[j*n+r] = v
		}
	}
}

// pathBuffer returns scratch for treeShap: each recursion level copies
// the path of its parent into the next part of one buffer, as in the
// reference implementation.
func (m *Model) pathBuffer() []pathElem {
	maxDepth := 0
	for _, d := range m.depths {
		maxDepth = max(maxDepth, int(d))
	}
	return make([]pathElem, (maxDepth+2)*(maxDepth+3)/2)
}

// treeShapAll writes the contributions of x to dst by the recursive
// TreeSHAP alone, tree after tree: the reference for the fast path.
func (m *Model) treeShapAll(dst, x []float64) {
	clear(dst)
	path := m.pathBuffer()
	bias := m.base
	for _, root := range m.roots {
		bias += m.expected(root)
		m.treeShap(dst, x, root, path, 0, 1, 1, -1)
	}
	dst[m.cols] = bias
}

type pathElem struct {
	feat      int
	zero, one float64
	weight    float64
}

// expected returns the cover-weighted mean leaf value of the subtree at i.
func (m *Model) expected(i int32) float64 {
	if m.leaf(i) {
		return m.values[i]
	}
	l := m.nodes[i].left
	c := m.covers[l] + m.covers[l+1]
	if c <= 0 {
		return (m.expected(l) + m.expected(l+1)) / 2
	}
	return (m.covers[l]*m.expected(l) + m.covers[l+1]*m.expected(l+1)) / c
}

// next returns the child of inner node i that the row x follows.
func (m *Model) next(i int32, x []float64) int32 {
	s := &m.nodes[i]
	v := x[s.feat]
	if missing(v) {
		return s.left + s.missRight
	}
	if v > s.thr {
		return s.left + 1
	}
	return s.left
}

func (m *Model) treeShap(phi, x []float64, i int32, parent []pathElem, depth int, zero, one float64, feat int) {
	path := parent[depth+1:]
	copy(path, parent[:depth+1])
	extendPath(path, depth, zero, one, feat)
	if m.leaf(i) {
		v := m.values[i]
		for k := 1; k <= depth; k++ {
			w := unwoundPathSum(path, depth, k)
			e := path[k]
			phi[e.feat] += w * (e.one - e.zero) * v
		}
		return
	}
	s := &m.nodes[i]
	hot := m.next(i, x)
	cold := s.left + (s.left + 1) - hot
	// A node's cover equals its children's up to rounding; the children's
	// sum keeps the fractions exact.
	cover := m.covers[s.left] + m.covers[s.left+1]
	hotZero, coldZero := 0.5, 0.5
	if cover > 0 {
		hotZero, coldZero = m.covers[hot]/cover, m.covers[cold]/cover
	}
	inZero, inOne := 1.0, 1.0
	f := int(s.feat)
	for k := 0; k <= depth; k++ {
		if path[k].feat == f {
			inZero, inOne = path[k].zero, path[k].one
			unwindPath(path, depth, k)
			depth--
			break
		}
	}
	m.treeShap(phi, x, hot, path, depth+1, hotZero*inZero, inOne, f)
	m.treeShap(phi, x, cold, path, depth+1, coldZero*inZero, 0, f)
}

func extendPath(path []pathElem, depth int, zero, one float64, feat int) {
	path[depth] = pathElem{feat: feat, zero: zero, one: one}
	if depth == 0 {
		path[depth].weight = 1
	}
	d1 := float64(depth + 1)
	for i := depth - 1; i >= 0; i-- {
		path[i+1].weight += one * path[i].weight * float64(i+1) / d1
		path[i].weight = zero * path[i].weight * float64(depth-i) / d1
	}
}

func unwindPath(path []pathElem, depth, k int) {
	one, zero := path[k].one, path[k].zero
	next := path[depth].weight
	d1 := float64(depth + 1)
	for i := depth - 1; i >= 0; i-- {
		if one != 0 {
			tmp := path[i].weight
			path[i].weight = next * d1 / (float64(i+1) * one)
			next = tmp - path[i].weight*zero*float64(depth-i)/d1
		} else {
			path[i].weight = path[i].weight * d1 / (zero * float64(depth-i))
		}
	}
	for i := k; i < depth; i++ {
		path[i].feat, path[i].zero, path[i].one = path[i+1].feat, path[i+1].zero, path[i+1].one
	}
}

func unwoundPathSum(path []pathElem, depth, k int) float64 {
	one, zero := path[k].one, path[k].zero
	next := path[depth].weight
	d1 := float64(depth + 1)
	total := 0.0
	for i := depth - 1; i >= 0; i-- {
		switch {
		case one != 0:
			tmp := next * d1 / (float64(i+1) * one)
			total += tmp
			next = path[i].weight - tmp*zero*float64(depth-i)/d1
		case zero != 0:
			total += path[i].weight / zero / (float64(depth-i) / d1)
		}
	}
	return total
}

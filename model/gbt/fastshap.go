package gbt

import "math"

// Fast exact TreeSHAP, after Yang 2021 ("Fast TreeSHAP: Accelerating SHAP
// value computation for trees", algorithm v2), in the form below.
//
// For one leaf of value v, let F be the d distinct columns on its path,
// z_j the product of the cover fractions of the path's edges on column j
// (the share of training rows that follow them) and o_j = 1 when the row
// follows all of them, else 0. TreeSHAP is the Shapley value of the game
// v(S) = v Π_{j∈S} o_j Π_{j∈F\S} z_j, summed over leaves. With H the
// columns the row follows (o_j = 1) and
//
//	A(H) = Π_{j∈F\H} z_j Σ_{s=0}^{|H|} s!(d-s-1)!/d! e_{|H|-s}(z_H),
//
// e_k the elementary symmetric polynomials, the leaf gives column i
//
//	v (1-z_i)/z_i A(H\{i})   when i ∈ H,
//	-v A(H)                  when i ∉ H.
//
// v A(H) depends on the row only through H, so every leaf keeps a table of
// it for all 2^d subsets, built once per model; a row then costs d steps
// per leaf instead of TreeSHAP's d². A tree whose tables would be too large
// or whose fractions include 0 keeps the recursive TreeSHAP.

// shapMaxTable bounds the table entries of one tree on the fast path:
// 2^16 entries (512 KB) allows every tree of depth 8 or less.
const shapMaxTable = 1 << 16

// shapTablePad is the number of entries a leaf's table may be read as,
// past its own 1<<d, by the kernels that look up tables of depth 6 or
// less in registers.
const shapTablePad = 64

// shapTables holds the per-tree, per-leaf tables of the fast path.
type shapTables struct {
	// bias is the base margin plus every tree's expected value.
	bias float64
	// fast[t] reports whether tree t takes the fast path; maxNodes is the
	// node count of the largest tree.
	fast     []bool
	maxNodes int
	// inner[t] lists tree t's inner nodes, parents before children.
	inner [][]shapNode
	// leaves[t] lists tree t's leaves: node, first slot in slots, first
	// entry in table, and slot count d.
	leaves [][]shapLeaf
	// slots holds, per leaf slot, the column and two factors: -1 for a
	// row that does not follow the slot's edges, (1-z)/z for one that does.
	slots []shapSlot
	// table holds v A(H) for every leaf and subset H of its slots.
	table []float64
}

// shapNode is an inner node as the pattern pass reads it: node and left
// child indexes relative to the tree's root, the split as a key compared
// as in packed (thresholdKey, less one when missing values go right), and
// the bit of its column in the patterns of the leaves below.
type shapNode struct {
	key        uint64
	feat       int32
	self, left int32
	miss, slot uint8
}

type shapSlot struct {
	coef [2]float64
	feat int32
}

type shapLeaf struct {
	node  int32
	slots int32
	table int32
	d     uint8
}

// shapTablesOf builds the tables of m.
func (m *Model) shapTablesOf() *shapTables {
	st := &shapTables{
		bias: m.base,
		fast: make([]bool, len(m.roots)),
	}
	for t, root := range m.roots {
		st.bias += m.expected(root)
		end := int32(len(m.nodes))
		if t+1 < len(m.roots) {
			end = m.roots[t+1]
		}
		st.maxNodes = max(st.maxNodes, int(end-root))
		st.fast[t] = st.addTree(m, t, root)
	}
	// Zeros past the last leaf's table, so that a table of any leaf may be
	// read as 64 entries (see addLeaf).
	st.table = append(st.table, make([]float64, shapTablePad)...)
	return st
}

// addTree adds tree t's tables and reports whether it takes the fast path;
// if not, it leaves no tables behind.
func (st *shapTables) addTree(m *Model, t int, root int32) bool {
	ns, nt := len(st.slots), len(st.table)
	var leaves []shapLeaf
	var inner []shapNode
	ok := true
	var feats [maxDepthLimit]int32
	var zs [maxDepthLimit]float64
	var walk func(i int32, d int)
	walk = func(i int32, d int) {
		if !ok {
			return
		}
		if m.leaf(i) {
			if len(st.table)-nt+1<<d > shapMaxTable {
				ok = false
				return
			}
			l := shapLeaf{node: i - root, slots: int32(len(st.slots)), table: int32(len(st.table)), d: uint8(d)}
			for k := 0; k < d; k++ {
				if !(zs[k] > 1e-300) {
					ok = false
					return
				}
				st.slots = append(st.slots, shapSlot{feat: feats[k], coef: [2]float64{-1, (1 - zs[k]) / zs[k]}})
			}
			st.table = appendLeafTable(st.table, m.values[i], zs[:d])
			leaves = append(leaves, l)
			return
		}
		s := &m.nodes[i]
		k := 0
		for k < d && feats[k] != s.feat {
			k++
		}
		miss := uint8(s.missRight)
		inner = append(inner, shapNode{
			key: thresholdKey(s.thr) - uint64(miss), feat: s.feat,
			self: i - root, left: s.left - root, miss: miss, slot: uint8(k),
		})
		nd := d
		if k == d {
			nd = d + 1
			feats[k], zs[k] = s.feat, 1
		}
		cover := m.covers[s.left] + m.covers[s.left+1]
		for c := s.left; c <= s.left+1; c++ {
			z := 0.5
			if cover > 0 {
				z = m.covers[c] / cover
			}
			old := zs[k]
			zs[k] = old * z
			walk(c, nd)
			zs[k] = old
		}
	}
	walk(root, 0)
	if !ok {
		st.slots, st.table = st.slots[:ns], st.table[:nt]
		st.leaves, st.inner = append(st.leaves, nil), append(st.inner, nil)
		return false
	}
	st.leaves, st.inner = append(st.leaves, leaves), append(st.inner, inner)
	return true
}

// appendLeafTable appends v A(H) for every subset H of the d = len(z)
// slots, H as a bit mask; A(full set) is never read and is 0.
func appendLeafTable(dst []float64, v float64, z []float64) []float64 {
	d := len(z)
	// w[s] = s!(d-s-1)!/d!, the Shapley weight of a coalition of s.
	var w [maxDepthLimit]float64
	for s := 0; s < d; s++ {
		w[s] = 1 / (float64(d) * binomial(d-1, s))
	}
	var e [maxDepthLimit + 1]float64
	for h := 0; h < 1<<d; h++ {
		size := 0
		for k := 0; k < d; k++ {
			if h&(1<<k) != 0 {
				size++
			}
		}
		if size == d {
			dst = append(dst, 0)
			continue
		}
		e[0] = 1
		for j := 1; j <= size; j++ {
			e[j] = 0
		}
		p, n := 1.0, 0
		for k := 0; k < d; k++ {
			if h&(1<<k) == 0 {
				p *= z[k]
				continue
			}
			n++
			for j := n; j >= 1; j-- {
				e[j] += e[j-1] * z[k]
			}
		}
		var sum float64
		for s := 0; s <= size; s++ {
			sum += w[s] * e[size-s]
		}
		dst = append(dst, v*p*sum)
	}
	return dst
}

func binomial(n, k int) float64 {
	r := 1.0
	for i := 1; i <= k; i++ {
		r = r * float64(n-k+i) / float64(i)
	}
	return math.Round(r)
}

// contributionsBlock adds the contributions of tree t to the n rows of b
// by the fast path: first every row's pattern at every node, node after
// node, then leaf after leaf and slot after slot, the slot's term to
// every row. A row's contributions receive the terms in the order of
// leaves and slots whatever n is.
func (st *shapTables) contributionsBlock(b *shapBlock, n, t int) {
	pat := b.pat
	root := pat[:n]
	for r := range root {
		root[r] = ^uint32(0)
	}
	for _, nd := range st.inner[t] {
		splitPatterns(pat[int(nd.left)*n:][:n], pat[int(nd.left+1)*n:][:n], pat[int(nd.self)*n:][:n],
			b.key[int(nd.feat)*n:][:n], uint32(1)<<nd.slot, uint64(nd.miss), nd.key)
	}
	for _, lf := range st.leaves[t] {
		addLeaf(b.phi, pat[int(lf.node)*n:][:n], st.table[lf.table:], st.slots[lf.slots:][:lf.d])
	}
}

// splitPatternsGo gives the children of a node their rows' patterns from
// the node's, p: the child a row takes keeps the pattern, the other loses
// bit. A row takes the right child when its key k, less miss, is above
// key.
func splitPatternsGo(l, rt, p []uint32, k []uint64, bit uint32, miss, key uint64) {
	l, rt, k = l[:len(p)], rt[:len(p)], k[:len(p)]
	for r, pv := range p {
		right := uint32(b2u(k[r]-miss > key))
		l[r] = pv &^ (bit * right)
		rt[r] = pv &^ (bit &^ (bit * right))
	}
}

// addLeafGo adds the terms of one leaf's slots to the contributions of
// their columns, phi[feat*n:][:n] for the n = len(hs) rows whose patterns
// at the leaf hs holds; tab holds the leaf's table from its first entry
// on (at least 1<<len(slots) entries).
func addLeafGo(phi []float64, hs []uint32, tab []float64, slots []shapSlot) {
	n, d := len(hs), uint(len(slots))
	mask := uint32(1)<<d - 1
	tab = tab[: mask+1 : mask+1]
	for j := range slots {
		sl := &slots[j]
		addSlotGo(phi[int(sl.feat)*n:][:n], hs, tab, mask, uint(j), &sl.coef)
	}
}

// addSlotGo adds one leaf slot's term to the contribution of its column,
// phi, of every row, hs holding the rows' patterns at the leaf and tab the
// leaf's table (mask+1 entries). Branch-free: a slot the row follows
// reads A(H without it) times (1-z)/z, one it does not reads A(H) times
// -1; the factor is picked by its bits, so the product is the one
// coef[bit]*tab[...] gives. The product is rounded before the sum (the
// conversion forbids a fused multiply-add), as the kernels round it.
func addSlotGo(phi []float64, hs []uint32, tab []float64, mask uint32, j uint, coef *[2]float64) {
	if len(tab) <= int(mask) {
		panic("gbt: addSlotGo: table shorter than the mask")
	}
	phi = phi[:len(hs)]
	c0, c1 := math.Float64bits(coef[0]), math.Float64bits(coef[1])
	flip := c0 ^ c1
	for r, h := range hs {
		h &= mask
		follow := uint64(h>>j) & 1
		c := math.Float64frombits(c0 ^ flip&-follow)
		phi[r] += float64(c * tab[(h&^(1<<j))&mask])
	}
}

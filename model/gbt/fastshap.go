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

// shapTables holds the per-tree, per-leaf tables of the fast path.
type shapTables struct {
	// bias is the base margin plus every tree's expected value.
	bias float64
	// fast[t] reports whether tree t takes the fast path; maxNodes is the
	// node count of the largest tree.
	fast     []bool
	maxNodes int
	// slot holds, per node of every tree (parallel to Model.nodes), the
	// bit of its column in the path patterns of the leaves below it.
	slot []uint8
	// leaves[t] lists tree t's leaves: node index, first slot in feat (and
	// twice that in coef), first entry in table, and slot count d.
	leaves [][]shapLeaf
	// feat holds, per leaf slot, the column; coef holds two factors per
	// slot: -1 for a row that does not follow the slot's edges, (1-z)/z
	// for one that does.
	feat []int32
	coef []float64
	// table holds v A(H) for every leaf and subset H of its slots.
	table []float64
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
		slot: make([]uint8, len(m.nodes)),
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
	return st
}

// addTree adds tree t's tables and reports whether it takes the fast path;
// if not, it leaves no tables behind.
func (st *shapTables) addTree(m *Model, t int, root int32) bool {
	nf, nt := len(st.feat), len(st.table)
	var leaves []shapLeaf
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
			l := shapLeaf{node: i, slots: int32(len(st.feat)), table: int32(len(st.table)), d: uint8(d)}
			for k := 0; k < d; k++ {
				if !(zs[k] > 1e-300) {
					ok = false
					return
				}
				st.feat = append(st.feat, feats[k])
				st.coef = append(st.coef, -1, (1-zs[k])/zs[k])
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
		st.slot[i] = uint8(k)
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
		st.feat, st.coef, st.table = st.feat[:nf], st.coef[:2*nf], st.table[:nt]
		st.leaves = append(st.leaves, nil)
		return false
	}
	st.leaves = append(st.leaves, leaves)
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

// contributions adds the contributions of tree t to phi for the row x,
// by the fast path; pat is scratch of at least the tree's node count.
func (st *shapTables) contributions(m *Model, phi, x []float64, t int, pat []uint32) {
	root := m.roots[t]
	end := int32(len(m.nodes))
	if t+1 < len(m.roots) {
		end = m.roots[t+1]
	}
	nodes := m.nodes[root:end]
	slot := st.slot[root:end]
	pat = pat[:len(nodes)]
	pat[0] = ^uint32(0)
	for i := range nodes {
		s := &nodes[i]
		l := s.left - root
		if int(l) == i {
			continue
		}
		v := x[s.feat]
		miss := b2u(v-v != 0)
		hot := l + int32(b2u(v > s.thr)&^miss|miss&uint(s.missRight))
		p := pat[i]
		pat[l] = p &^ (1 << slot[i])
		pat[l+1] = pat[l]
		pat[hot] = p
	}
	for _, lf := range st.leaves[t] {
		d := int(lf.d)
		h := pat[lf.node-root] & (1<<d - 1)
		tab := st.table[lf.table : int(lf.table)+1<<d]
		feat := st.feat[lf.slots : int(lf.slots)+d]
		coef := st.coef[2*lf.slots : 2*(int(lf.slots)+d)]
		// Branch-free: a slot the row follows reads A(H without it) times
		// (1-z)/z, one it does not reads A(H) times -1.
		for k, f := range feat {
			bit := uint(h>>k) & 1
			phi[f] += coef[2*k+int(bit)] * tab[h&^(1<<k)]
		}
	}
}

package gbt

import "math"

// packedMaxDepth bounds the depth of trees that are packed as perfect
// trees: a tree of depth d takes 2^d leaves however sparse it is, so a
// model with a deeper tree keeps the node walk of addTrees.
const packedMaxDepth = 10

// packed holds every tree as a perfect binary tree in heap order, for
// prediction without a leaf test or a test for missing values.
//
// Inner node h of a tree (from 1, the root) has children 2h and 2h+1, and
// after depth steps the walk stands on leaf h - 2^depth. A leaf of the
// original tree above the full depth becomes inner nodes that send every
// row left, over copies of its value.
//
// Values and thresholds are compared as keys: orderKey maps every finite
// float64 to a uint64 of at least 1 in the same order, and a missing
// value (NaN, ±Inf) to 0. A node that sends missing values left stores
// key(thr) and sends a row right when key(v) > key(thr); one that sends
// them right stores key(thr)-1 and tests key(v)-1 > key(thr)-1, where a
// missing value wraps around to the largest uint64. Both are one unsigned
// comparison, and each equals v > thr for a finite v.
type packed struct {
	// depth[t] is tree t's depth; inner[t] and leaf[t] are the offsets of
	// its inner nodes (from index 1) in nodes and of its leaves in value.
	depth []uint8
	inner []int32
	leaf  []int32
	nodes []packedNode
	value []float64
}

type packedNode struct {
	key  uint64
	feat uint32
	// miss is 1 when missing values go right, else 0.
	miss uint32
}

// orderKey maps finite values to keys that compare as the values do, from
// 1 up, with -0 equal to +0, and missing values (NaN, ±Inf) to 0.
func orderKey(v float64) uint64 {
	if v-v != 0 {
		return 0
	}
	b := math.Float64bits(v + 0) // v + 0 turns -0 into +0
	if b>>63 != 0 {
		return ^b
	}
	return b | 1<<63
}

// thresholdKey is orderKey extended to thresholds, which may be ±Inf:
// above every finite key for +Inf, below for -Inf.
func thresholdKey(thr float64) uint64 {
	switch {
	case math.IsInf(thr, 1):
		return math.MaxUint64 - 1
	case math.IsInf(thr, -1):
		return 1 // keys of finite values start above it
	}
	return orderKey(thr)
}

// pack lays out m's trees as packed, or returns nil when a tree is deeper
// than packedMaxDepth.
func (m *Model) pack() *packed {
	p := &packed{}
	for t, root := range m.roots {
		d := int(m.depths[t])
		if d > packedMaxDepth {
			return nil
		}
		p.depth = append(p.depth, uint8(d))
		p.inner = append(p.inner, int32(len(p.nodes)))
		p.leaf = append(p.leaf, int32(len(p.value)))
		nodes := make([]packedNode, 1<<d)
		value := make([]float64, 1<<d)
		var place func(i int32, h, level int)
		place = func(i int32, h, level int) {
			if level == d {
				value[h-1<<d] = m.values[i]
				return
			}
			l, r := i, i
			if m.leaf(i) {
				nodes[h] = packedNode{key: math.MaxUint64 - 1}
			} else {
				s := m.nodes[i]
				n := packedNode{key: thresholdKey(s.thr), feat: uint32(s.feat), miss: uint32(s.missRight)}
				n.key -= uint64(n.miss)
				nodes[h] = n
				l, r = s.left, s.left+1
			}
			place(l, 2*h, level+1)
			place(r, 2*h+1, level+1)
		}
		place(root, 1, 0)
		p.nodes = append(p.nodes, nodes...)
		p.value = append(p.value, value...)
	}
	return p
}

// keys writes the orderKey of every value of X to dst.
func keys(dst []uint64, X []float64) {
	dst = dst[:len(X)]
	for i, v := range X {
		dst[i] = orderKey(v)
	}
}

// addTrees adds the leaf values of every tree to dst, tree after tree
// (so each row's sum is formed in the same order as Model.addTrees), for
// the rows of K, which holds the keys of len(dst) rows of cols values.
// Rows go through each tree four at a time, so that the processor
// overlaps four independent walks.
func (p *packed) addTrees(dst []float64, K []uint64, cols int) {
	n := len(dst)
	for t, d := range p.depth {
		nodes := p.nodes[p.inner[t] : p.inner[t]+1<<d]
		value := p.value[p.leaf[t] : p.leaf[t]+1<<d]
		leaf0 := uint(1) << d
		i := 0
		for ; i+8 <= n; i += 8 {
			k0 := K[(i+0)*cols : (i+1)*cols]
			k1 := K[(i+1)*cols : (i+2)*cols]
			k2 := K[(i+2)*cols : (i+3)*cols]
			k3 := K[(i+3)*cols : (i+4)*cols]
			k4 := K[(i+4)*cols : (i+5)*cols]
			k5 := K[(i+5)*cols : (i+6)*cols]
			k6 := K[(i+6)*cols : (i+7)*cols]
			k7 := K[(i+7)*cols : (i+8)*cols]
			h0, h1, h2, h3, h4, h5, h6, h7 := uint(1), uint(1), uint(1), uint(1), uint(1), uint(1), uint(1), uint(1)
			for range d {
				n0 := &nodes[h0]
				h0 = 2*h0 + b2u(k0[n0.feat]-uint64(n0.miss) > n0.key)
				n1 := &nodes[h1]
				h1 = 2*h1 + b2u(k1[n1.feat]-uint64(n1.miss) > n1.key)
				n2 := &nodes[h2]
				h2 = 2*h2 + b2u(k2[n2.feat]-uint64(n2.miss) > n2.key)
				n3 := &nodes[h3]
				h3 = 2*h3 + b2u(k3[n3.feat]-uint64(n3.miss) > n3.key)
				n4 := &nodes[h4]
				h4 = 2*h4 + b2u(k4[n4.feat]-uint64(n4.miss) > n4.key)
				n5 := &nodes[h5]
				h5 = 2*h5 + b2u(k5[n5.feat]-uint64(n5.miss) > n5.key)
				n6 := &nodes[h6]
				h6 = 2*h6 + b2u(k6[n6.feat]-uint64(n6.miss) > n6.key)
				n7 := &nodes[h7]
				h7 = 2*h7 + b2u(k7[n7.feat]-uint64(n7.miss) > n7.key)
			}
			dst[i+0] += value[h0-leaf0]
			dst[i+1] += value[h1-leaf0]
			dst[i+2] += value[h2-leaf0]
			dst[i+3] += value[h3-leaf0]
			dst[i+4] += value[h4-leaf0]
			dst[i+5] += value[h5-leaf0]
			dst[i+6] += value[h6-leaf0]
			dst[i+7] += value[h7-leaf0]
		}
		for ; i < n; i++ {
			k := K[i*cols : (i+1)*cols]
			h := uint(1)
			for range d {
				nd := &nodes[h]
				h = 2*h + b2u(k[nd.feat]-uint64(nd.miss) > nd.key)
			}
			dst[i] += value[h-leaf0]
		}
	}
}

// b2u is 1 for true and 0 for false; the compiler makes it a SETcc.
func b2u(b bool) uint {
	var u uint
	if b {
		u = 1
	}
	return u
}

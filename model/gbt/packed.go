package gbt

import "math"

// packedMaxDepth bounds the depth of trees that are packed as perfect
// trees: a tree of depth d takes 2^d leaves however sparse it is, so a
// model with a deeper tree keeps the node walk of addTrees.
const packedMaxDepth = 10

// packed holds every tree as a perfect binary tree in heap order, for
// prediction without a leaf test: inner node h of a tree has children
// 2h+1 and 2h+2, and after depth steps the walk stands on leaf
// h - (2^depth - 1). A leaf of the original tree above the full depth
// becomes inner nodes with threshold +Inf and missing values sent left,
// which send every row left, over copies of its value.
type packed struct {
	// depth[t] is tree t's depth; inner[t] and leaf[t] are the offsets of
	// its first inner node in thr and feat and of its first leaf in value.
	depth []uint8
	inner []int32
	leaf  []int32
	// thr and feat are parallel, one per inner node; feat holds the column
	// in its low 15 bits and the missing direction (1: right) in its top
	// bit.
	thr   []float64
	feat  []uint16
	value []float64
}

const missRightBit = 1 << 15

// pack lays out m's trees as packed, or returns nil when a tree is deeper
// than packedMaxDepth or the model has more columns than feat can hold.
func (m *Model) pack() *packed {
	if m.cols >= missRightBit {
		return nil
	}
	p := &packed{}
	for t, root := range m.roots {
		d := int(m.depths[t])
		if d > packedMaxDepth {
			return nil
		}
		p.depth = append(p.depth, uint8(d))
		p.inner = append(p.inner, int32(len(p.thr)))
		p.leaf = append(p.leaf, int32(len(p.value)))
		thr := make([]float64, 1<<d-1)
		feat := make([]uint16, 1<<d-1)
		value := make([]float64, 1<<d)
		var place func(i int32, h, level int)
		place = func(i int32, h, level int) {
			if level == d {
				value[h-(1<<d-1)] = m.values[i]
				return
			}
			l, r := i, i
			if m.leaf(i) {
				thr[h] = math.Inf(1)
			} else {
				s := m.nodes[i]
				thr[h], feat[h] = s.thr, uint16(s.feat)
				if s.missRight != 0 {
					feat[h] |= missRightBit
				}
				l, r = s.left, s.left+1
			}
			place(l, 2*h+1, level+1)
			place(r, 2*h+2, level+1)
		}
		place(root, 0, 0)
		p.thr = append(p.thr, thr...)
		p.feat = append(p.feat, feat...)
		p.value = append(p.value, value...)
	}
	return p
}

// b2u is 1 for true and 0 for false; the compiler makes it a SETcc.
func b2u(b bool) uint {
	var u uint
	if b {
		u = 1
	}
	return u
}

// addTrees adds the leaf values of every tree to dst, tree after tree
// (so each row's sum is formed in the same order as Model.addTrees), for
// the rows of X, which holds len(dst) rows of cols values. Rows go through each tree four at a time, so
// that the processor overlaps four independent walks.
func (p *packed) addTrees(dst, X []float64, cols int) {
	n := len(dst)
	for t, d := range p.depth {
		thr := p.thr[p.inner[t]:]
		feat := p.feat[p.inner[t]:]
		value := p.value[p.leaf[t]:]
		first := uint(1)<<d - 1
		thr = thr[:first]
		feat = feat[:first]
		value = value[:first+1]
		i := 0
		for ; i+4 <= n; i += 4 {
			x0 := X[i*cols : (i+1)*cols]
			x1 := X[(i+1)*cols : (i+2)*cols]
			x2 := X[(i+2)*cols : (i+3)*cols]
			x3 := X[(i+3)*cols : (i+4)*cols]
			var h0, h1, h2, h3 uint
			for range d {
				f0, f1, f2, f3 := feat[h0], feat[h1], feat[h2], feat[h3]
				v0, v1, v2, v3 := x0[f0&^missRightBit], x1[f1&^missRightBit], x2[f2&^missRightBit], x3[f3&^missRightBit]
				m0 := b2u(v0-v0 != 0)
				h0 = 2*h0 + 1 + (b2u(v0 > thr[h0])&^m0 | m0&uint(f0>>15))
				m1 := b2u(v1-v1 != 0)
				h1 = 2*h1 + 1 + (b2u(v1 > thr[h1])&^m1 | m1&uint(f1>>15))
				m2 := b2u(v2-v2 != 0)
				h2 = 2*h2 + 1 + (b2u(v2 > thr[h2])&^m2 | m2&uint(f2>>15))
				m3 := b2u(v3-v3 != 0)
				h3 = 2*h3 + 1 + (b2u(v3 > thr[h3])&^m3 | m3&uint(f3>>15))
			}
			dst[i] += value[h0-first]
			dst[i+1] += value[h1-first]
			dst[i+2] += value[h2-first]
			dst[i+3] += value[h3-first]
		}
		for ; i < n; i++ {
			x := X[i*cols : (i+1)*cols]
			var h uint
			for range d {
				f := feat[h]
				v := x[f&^missRightBit]
				m := b2u(v-v != 0)
				h = 2*h + 1 + (b2u(v > thr[h])&^m | m&uint(f>>15))
			}
			dst[i] += value[h-first]
		}
	}
}

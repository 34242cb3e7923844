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
	// its inner nodes (from index 1) in key and off and of its leaves in value.
	depth []uint8
	inner []int32
	leaf  []int32
	// key and off are the fields of the packedNodes as two arrays, so
	// that the walk indexes them with scaled addressing (8 and 4 bytes).
	value []float64
	key   []uint64
	off   []uint32
	// feats lists the columns that some split reads, each once; slot s
	// of a block of keys (see blockKeys) holds column feats[s].
	feats []int32
}

// packedNode is one inner node while pack lays the trees out. off is where the node's column of keys
// starts in a block of keys: (2s+miss)*predictBlockRows for the column in
// slot s, where miss is 1 when missing values go right (the column of
// orderKey-1) and 0 when they go left (the column of orderKey).
type packedNode struct {
	key uint64
	off uint32
	_   uint32
}

// orderKey maps finite values to keys that compare as the values do, from
// 1 up, with -0 equal to +0, and missing values (NaN, ±Inf) to 0.
//
// It has no branches, since the signs of values are unpredictable: a
// negative value has all its bits flipped, a positive one its sign bit,
// and a value whose exponent bits are all ones is missing.
func orderKey(v float64) uint64 {
	b := math.Float64bits(v + 0) // v + 0 turns -0 into +0
	k := b ^ (uint64(int64(b)>>63) | 1<<63)
	finite := (b>>52&0x7ff+1)>>11 ^ 1 // 0 for NaN and ±Inf, else 1
	return k & -finite
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
	var all []packedNode
	slot := make(map[int32]uint32)
	slotOf := func(f int32) uint32 {
		s, ok := slot[f]
		if !ok {
			s = uint32(len(p.feats))
			slot[f] = s
			p.feats = append(p.feats, f)
		}
		return s
	}
	for t, root := range m.roots {
		d := int(m.depths[t])
		if d > packedMaxDepth {
			return nil
		}
		p.depth = append(p.depth, uint8(d))
		p.inner = append(p.inner, int32(len(all)))
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
				// off 0 is the orderKeys of slot 0 (see below), all
				// at most the largest finite key, so the row goes left.
				nodes[h] = packedNode{key: math.MaxUint64 - 1}
			} else {
				s := m.nodes[i]
				miss := uint32(s.missRight)
				nodes[h] = packedNode{
					key: thresholdKey(s.thr) - uint64(miss),
					off: (2*slotOf(s.feat) + miss) * predictBlockRows,
				}
				l, r = s.left, s.left+1
			}
			place(l, 2*h, level+1)
			place(r, 2*h+1, level+1)
		}
		place(root, 1, 0)
		all = append(all, nodes...)
		p.value = append(p.value, value...)
	}
	if len(p.feats) == 0 {
		p.feats = append(p.feats, 0) // slot 0 must exist for the leaves above
	}
	// Padding, so that every tree's nodes and values can be taken as
	// arrays of 1<<packedMaxDepth, indexed without bounds checks.
	p.value = append(p.value, make([]float64, 1<<packedMaxDepth)...)
	p.key = make([]uint64, len(all)+1<<packedMaxDepth)
	p.off = make([]uint32, len(p.key))
	for i, nd := range all {
		p.key[i], p.off[i] = nd.key, nd.off
	}
	return p
}

// blockLen is the length of a block of keys for blockKeys.
func (p *packed) blockLen() int { return 2 * len(p.feats) * predictBlockRows }

// blockKeys writes the keys of the rows of X (at most predictBlockRows of
// them, cols values each) to K column by column: for slot s, the orderKey
// of column feats[s] of row r at K[2s*predictBlockRows+r], and that minus
// one (missing values wrapping around to the largest key) at
// K[(2s+1)*predictBlockRows+r]. Only the columns that splits read are
// converted, and a node finds its row's key at K[off+r].
func (p *packed) blockKeys(K []uint64, X []float64, cols int) {
	rows := len(X) / cols
	for s, f := range p.feats {
		k0 := K[2*s*predictBlockRows : (2*s+1)*predictBlockRows]
		k1 := K[(2*s+1)*predictBlockRows : (2*s+2)*predictBlockRows]
		for r := 0; r < rows && r < predictBlockRows; r++ {
			k := orderKey(X[r*cols+int(f)])
			k0[r] = k
			k1[r] = k - 1
		}
	}
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
// len(dst) rows whose keys blockKeys wrote to K. Rows go through each
// tree eight at a time, so that the processor overlaps eight independent
// walks.
func (p *packed) addTrees(dst []float64, K []uint64) {
	n := len(dst)
	for t, d := range p.depth {
		keys := (*[1 << packedMaxDepth]uint64)(p.key[p.inner[t]:])
		offs := (*[1 << packedMaxDepth]uint32)(p.off[p.inner[t]:])
		value := (*[1 << packedMaxDepth]float64)(p.value[p.leaf[t]:])
		leaf0 := uint(1) << d
		const mask = 1<<packedMaxDepth - 1
		i := 0
		for ; i+8 <= n; i += 8 {
			k := K[i:]
			h0, h1, h2, h3, h4, h5, h6, h7 := uint(1), uint(1), uint(1), uint(1), uint(1), uint(1), uint(1), uint(1)
			for range d {
				h0 = 2*h0 + b2u(k[offs[h0&mask]+0] > keys[h0&mask])
				h1 = 2*h1 + b2u(k[offs[h1&mask]+1] > keys[h1&mask])
				h2 = 2*h2 + b2u(k[offs[h2&mask]+2] > keys[h2&mask])
				h3 = 2*h3 + b2u(k[offs[h3&mask]+3] > keys[h3&mask])
				h4 = 2*h4 + b2u(k[offs[h4&mask]+4] > keys[h4&mask])
				h5 = 2*h5 + b2u(k[offs[h5&mask]+5] > keys[h5&mask])
				h6 = 2*h6 + b2u(k[offs[h6&mask]+6] > keys[h6&mask])
				h7 = 2*h7 + b2u(k[offs[h7&mask]+7] > keys[h7&mask])
			}
			dst[i+0] += value[(h0-leaf0)&mask]
			dst[i+1] += value[(h1-leaf0)&mask]
			dst[i+2] += value[(h2-leaf0)&mask]
			dst[i+3] += value[(h3-leaf0)&mask]
			dst[i+4] += value[(h4-leaf0)&mask]
			dst[i+5] += value[(h5-leaf0)&mask]
			dst[i+6] += value[(h6-leaf0)&mask]
			dst[i+7] += value[(h7-leaf0)&mask]
		}
		for ; i < n; i++ {
			k := K[i:]
			h := uint(1)
			for range d {
				h = 2*h + b2u(k[offs[h&mask]] > keys[h&mask])
			}
			dst[i] += value[(h-leaf0)&mask]
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

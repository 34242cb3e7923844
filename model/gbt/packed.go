package gbt

import (
	"math"
	"math/bits"
	"sync"
)

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
// value (NaN, ±Inf) to 0. A node that sends missing values left compares
// key(v) with key(thr); one that sends them right compares key(v)-1 with
// key(thr)-1, where a missing value wraps around to the largest uint64.
// Either way the row goes right when the row's key k exceeds the node's
// key c, which equals v > thr for a finite v. The node stores ^c, and
// k > c exactly when k + ^c carries out of 64 bits, so that a step is an
// addition whose carry goes straight into h = 2h + carry (see step).
type packed struct {
	// depth[t] is tree t's depth; inner[t] and leaf[t] are the offsets of
	// its inner nodes (from index 1) in notKey and off and of its leaves in
	// value.
	depth []uint8
	inner []int32
	leaf  []int32
	// notKey[i] is ^c for node i; off[i] is where the node's column of
	// keys starts in a block of keys (see blockKeys). A node that sends
	// every row left has notKey 0, which no key carries over.
	notKey []uint64
	off    []uint16
	value  []float64
	// feats lists the columns that some split reads, each once; slot s
	// of a block of keys holds column feats[s].
	feats []int32
	// rows is the number of rows in a block of keys: at most
	// predictBlockRows, fewer when the model reads so many columns that
	// every offset would not fit in a uint16.
	rows int
	// windows holds *[]uint64 buffers of windowLen keys, one per goroutine
	// that predicts at a time.
	windows sync.Pool
}

// keyWindow is a block of keys as the walks index it: off[h] + j for an
// off of 16 bits and a row j < 8 is always inside it, so the compiler
// proves every index in range and checks none.
type keyWindow = [1<<16 + 8]uint64

// windowLen is the length of a buffer of keys: a keyWindow seen from any
// of a block's rows.
const windowLen = len(keyWindow{}) + predictBlockRows

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
// than packedMaxDepth or the splits read more columns than a block of
// keys can address.
func (m *Model) pack() *packed {
	p := &packed{}
	slot := make(map[int32]int)
	for i, s := range m.nodes {
		if _, ok := slot[s.feat]; !ok && !m.leaf(int32(i)) {
			slot[s.feat] = len(p.feats)
			p.feats = append(p.feats, s.feat)
		}
	}
	if len(p.feats) == 0 {
		p.feats = append(p.feats, 0) // a block of keys is never empty
	}
	// Offsets reach (2*len(feats)-1)*rows + rows-1 < 1<<16; fewer rows
	// than 8 would leave the walks nothing to interleave.
	p.rows = predictBlockRows
	for 2*len(p.feats)*p.rows > 1<<16 {
		p.rows /= 2
	}
	if p.rows < 8 {
		return nil
	}
	for t, root := range m.roots {
		d := int(m.depths[t])
		if d > packedMaxDepth {
			return nil
		}
		p.depth = append(p.depth, uint8(d))
		p.inner = append(p.inner, int32(len(p.notKey)))
		p.leaf = append(p.leaf, int32(len(p.value)))
		notKey := make([]uint64, 1<<d)
		off := make([]uint16, 1<<d)
		value := make([]float64, 1<<d)
		var place func(i int32, h, level int)
		place = func(i int32, h, level int) {
			if level == d {
				value[h-1<<d] = m.values[i]
				return
			}
			l, r := i, i
			if !m.leaf(i) { // a leaf above the full depth keeps notKey 0
				s := m.nodes[i]
				miss := s.missRight
				notKey[h] = ^(thresholdKey(s.thr) - uint64(miss))
				off[h] = uint16((2*slot[s.feat] + int(miss)) * p.rows)
				l, r = s.left, s.left+1
			}
			place(l, 2*h, level+1)
			place(r, 2*h+1, level+1)
		}
		place(root, 1, 0)
		p.notKey = append(p.notKey, notKey...)
		p.off = append(p.off, off...)
		p.value = append(p.value, value...)
	}
	// Padding, so that every tree's nodes and values can be taken as
	// arrays of 1<<packedMaxDepth, indexed without bounds checks.
	p.notKey = append(p.notKey, make([]uint64, 1<<packedMaxDepth)...)
	p.off = append(p.off, make([]uint16, 1<<packedMaxDepth)...)
	p.value = append(p.value, make([]float64, 1<<packedMaxDepth)...)
	return p
}

// window returns a buffer of windowLen keys for blockKeys and addTrees;
// putWindow gives it back.
func (p *packed) window() *[]uint64 {
	if w, ok := p.windows.Get().(*[]uint64); ok {
		return w
	}
	w := make([]uint64, windowLen)
	return &w
}

func (p *packed) putWindow(w *[]uint64) { p.windows.Put(w) }

// blockKeys writes the keys of the rows of X (at most p.rows of them, cols
// values each) to K column by column: for slot s, the orderKey of column
// feats[s] of row r at K[2s*p.rows+r], and that minus one (missing values
// wrapping around to the largest key) at K[(2s+1)*p.rows+r]. Only the
// columns that splits read are converted, and a node finds its row's key
// at K[off+r].
func (p *packed) blockKeys(K []uint64, X []float64, cols int) {
	rows := min(len(X)/cols, p.rows)
	// Read the block in order first, a value per cache line, so that the
	// processor streams it in ahead of the reads column by column below,
	// which would otherwise wait on memory line after line (4% of the
	// time of a prediction). The sum only keeps the reads: it goes to the
	// last key of the buffer, which no walk reads.
	var sum uint64
	for i := 0; i < len(X); i += 8 {
		sum += math.Float64bits(X[i])
	}
	K[windowLen-1] = sum
	for s, f := range p.feats {
		k0 := K[2*s*p.rows:][:rows]
		k1 := K[(2*s+1)*p.rows:][:rows]
		j := int(f)
		for r := range k0 {
			k := orderKey(X[j])
			k0[r] = k
			k1[r] = k - 1
			j += cols
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

// step moves row j of the block whose keys K holds from inner node h to
// its child: 2h, or 2h+1 when the row's key exceeds the node's, that is
// when adding the key to the node's complement carries. h is below 256,
// as in trees of depth 7 or less, so uint8(h) indexes the nodes without a
// bounds check.
func step(notKey *[256]uint64, off *[256]uint16, K *keyWindow, h uint64, j uint) uint64 {
	i := uint8(h)
	_, right := bits.Add64(K[uint(off[i])+j], notKey[i], 0)
	h, _ = bits.Add64(h, h, right)
	return h
}

// stepAny is step for trees of any depth up to packedMaxDepth.
func stepAny(notKey *[1 << packedMaxDepth]uint64, off *[1 << packedMaxDepth]uint16, K *keyWindow, h uint64, j uint) uint64 {
	i := h & (1<<packedMaxDepth - 1)
	_, right := bits.Add64(K[uint(off[i])+j], notKey[i], 0)
	h, _ = bits.Add64(h, h, right)
	return h
}

// predictBlockRows must be 32: addTrees writes out the steps of a block's
// rows one by one, and this fails to compile for any other value.
const _ = uint(predictBlockRows-32) + uint(32-predictBlockRows)

// addTrees adds the leaf values of every tree to dst, tree after tree
// (so each row's sum is formed in the same order as Model.addTrees), for
// len(dst) rows whose keys blockKeys wrote to K, a buffer of windowLen.
//
// A full block of 32 rows goes through a tree of depth 7 or less level by
// level, all its rows at each level, so that the processor overlaps 32
// independent walks. Their positions live in an array: the compiler spills
// positions kept in registers around every step anyway. The 32 steps of a
// level are written out rather than looped over, which is faster.
func (p *packed) addTrees(dst []float64, K []uint64) {
	if len(dst) != predictBlockRows {
		p.addTreesAny(dst, K)
		return
	}
	out := (*[predictBlockRows]float64)(dst)
	k0 := (*keyWindow)(K[0:])
	k1 := (*keyWindow)(K[8:])
	k2 := (*keyWindow)(K[16:])
	k3 := (*keyWindow)(K[24:])
	for t, d := range p.depth {
		if d > 7 || d == 0 {
			p.addTree(dst, K, t)
			continue
		}
		nk := (*[256]uint64)(p.notKey[p.inner[t]:])
		off := (*[256]uint16)(p.off[p.inner[t]:])
		value := (*[256]float64)(p.value[p.leaf[t]:])
		// Every row starts at the root, so the first level reads one node.
		var h [predictBlockRows]uint64
		root, notRoot := (*[predictBlockRows]uint64)(K[off[1]:]), nk[1]
		for j, k := range root {
			_, right := bits.Add64(k, notRoot, 0)
			h[j] = 2 + right
		}
		for range d - 1 {
			h[0] = step(nk, off, k0, h[0], 0)
			h[1] = step(nk, off, k0, h[1], 1)
			h[2] = step(nk, off, k0, h[2], 2)
			h[3] = step(nk, off, k0, h[3], 3)
			h[4] = step(nk, off, k0, h[4], 4)
			h[5] = step(nk, off, k0, h[5], 5)
			h[6] = step(nk, off, k0, h[6], 6)
			h[7] = step(nk, off, k0, h[7], 7)
			h[8] = step(nk, off, k1, h[8], 0)
			h[9] = step(nk, off, k1, h[9], 1)
			h[10] = step(nk, off, k1, h[10], 2)
			h[11] = step(nk, off, k1, h[11], 3)
			h[12] = step(nk, off, k1, h[12], 4)
			h[13] = step(nk, off, k1, h[13], 5)
			h[14] = step(nk, off, k1, h[14], 6)
			h[15] = step(nk, off, k1, h[15], 7)
			h[16] = step(nk, off, k2, h[16], 0)
			h[17] = step(nk, off, k2, h[17], 1)
			h[18] = step(nk, off, k2, h[18], 2)
			h[19] = step(nk, off, k2, h[19], 3)
			h[20] = step(nk, off, k2, h[20], 4)
			h[21] = step(nk, off, k2, h[21], 5)
			h[22] = step(nk, off, k2, h[22], 6)
			h[23] = step(nk, off, k2, h[23], 7)
			h[24] = step(nk, off, k3, h[24], 0)
			h[25] = step(nk, off, k3, h[25], 1)
			h[26] = step(nk, off, k3, h[26], 2)
			h[27] = step(nk, off, k3, h[27], 3)
			h[28] = step(nk, off, k3, h[28], 4)
			h[29] = step(nk, off, k3, h[29], 5)
			h[30] = step(nk, off, k3, h[30], 6)
			h[31] = step(nk, off, k3, h[31], 7)
		}
		leaf0 := uint64(1) << d
		for j, x := range h {
			out[j] += value[uint8(x-leaf0)]
		}
	}
}

// addTreesAny is addTrees for any number of rows up to p.rows.
func (p *packed) addTreesAny(dst []float64, K []uint64) {
	for t := range p.depth {
		p.addTree(dst, K, t)
	}
}

// addTree adds the leaf values of tree t to dst, for trees of any depth
// and blocks of any number of rows: like addTrees, level by level, eight
// rows at a time.
func (p *packed) addTree(dst []float64, K []uint64, t int) {
	d := p.depth[t]
	nk := (*[1 << packedMaxDepth]uint64)(p.notKey[p.inner[t]:])
	off := (*[1 << packedMaxDepth]uint16)(p.off[p.inner[t]:])
	value := (*[1 << packedMaxDepth]float64)(p.value[p.leaf[t]:])
	var hs [predictBlockRows]uint64
	h := hs[:len(dst)]
	for j := range h {
		h[j] = 1
	}
	for range d {
		j := 0
		for ; j+8 <= len(h); j += 8 {
			k := (*keyWindow)(K[j:])
			g := (*[8]uint64)(h[j:])
			g[0] = stepAny(nk, off, k, g[0], 0)
			g[1] = stepAny(nk, off, k, g[1], 1)
			g[2] = stepAny(nk, off, k, g[2], 2)
			g[3] = stepAny(nk, off, k, g[3], 3)
			g[4] = stepAny(nk, off, k, g[4], 4)
			g[5] = stepAny(nk, off, k, g[5], 5)
			g[6] = stepAny(nk, off, k, g[6], 6)
			g[7] = stepAny(nk, off, k, g[7], 7)
		}
		for ; j < len(h); j++ {
			h[j] = stepAny(nk, off, (*keyWindow)(K[j:]), h[j], 0)
		}
	}
	leaf0 := uint64(1) << d
	for j, x := range h {
		dst[j] += value[(x-leaf0)&(1<<packedMaxDepth-1)]
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

package gbt

import (
	"encoding/binary"
	"fmt"
	"math"
)

// The encoding, little-endian throughout:
//
//	magic "CGBT", version uint16
//	cols uint32, base float64, trees uint32, nodes uint32
//	per tree: root uint32, depth uint8
//	per node: feat uint32, left uint32, missRight uint8, thr float64,
//	          value float64, cover float64
//	per column: importance float64
//
// Equal models encode to equal bytes.
const (
	codecMagic   = "CGBT"
	codecVersion = 1
	nodeBytes    = 4 + 4 + 1 + 8 + 8 + 8
)

// MarshalBinary encodes the model in a compact, versioned form.
func (m *Model) MarshalBinary() ([]byte, error) {
	size := len(codecMagic) + 2 + 4 + 8 + 4 + 4 + 5*len(m.roots) + nodeBytes*len(m.nodes) + 8*m.cols
	b := make([]byte, 0, size)
	b = append(b, codecMagic...)
	b = binary.LittleEndian.AppendUint16(b, codecVersion)
	b = binary.LittleEndian.AppendUint32(b, uint32(m.cols))
	b = binary.LittleEndian.AppendUint64(b, math.Float64bits(m.base))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(m.roots)))
	b = binary.LittleEndian.AppendUint32(b, uint32(len(m.nodes)))
	for t, r := range m.roots {
		b = binary.LittleEndian.AppendUint32(b, uint32(r))
		b = append(b, m.depths[t])
	}
	for i, s := range m.nodes {
		b = binary.LittleEndian.AppendUint32(b, uint32(s.feat))
		b = binary.LittleEndian.AppendUint32(b, uint32(s.left))
		b = append(b, uint8(s.missRight))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(s.thr))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(m.values[i]))
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(m.covers[i]))
	}
	for _, v := range m.importance {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(v))
	}
	return b, nil
}

// decoder reads little-endian fields and remembers the first shortfall.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) take(n int) []byte {
	if d.err != nil {
		return nil
	}
	if len(d.b) < n {
		d.err = fmt.Errorf("truncated: %w", ErrFormat)
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *decoder) u8() uint8 {
	if v := d.take(1); v != nil {
		return v[0]
	}
	return 0
}

func (d *decoder) u16() uint16 {
	if v := d.take(2); v != nil {
		return binary.LittleEndian.Uint16(v)
	}
	return 0
}

func (d *decoder) u32() uint32 {
	if v := d.take(4); v != nil {
		return binary.LittleEndian.Uint32(v)
	}
	return 0
}

func (d *decoder) f64() float64 {
	if v := d.take(8); v != nil {
		return math.Float64frombits(binary.LittleEndian.Uint64(v))
	}
	return 0
}

// UnmarshalBinary decodes a model written by MarshalBinary, checking every
// index so that a damaged file is an error, never a crash later.
func (m *Model) UnmarshalBinary(b []byte) error {
	d := &decoder{b: b}
	if string(d.take(len(codecMagic))) != codecMagic {
		return fmt.Errorf("magic: %w", ErrFormat)
	}
	if v := d.u16(); v != codecVersion {
		return fmt.Errorf("version %d, want %d: %w", v, codecVersion, ErrFormat)
	}
	cols := int(d.u32())
	base := d.f64()
	trees, nodes := int(d.u32()), int(d.u32())
	if d.err != nil {
		return d.err
	}
	if cols < 1 || math.IsNaN(base) || math.IsInf(base, 0) ||
		len(d.b) != 5*trees+nodeBytes*nodes+8*cols {
		return fmt.Errorf("header: %w", ErrFormat)
	}
	out := Model{
		cols:       cols,
		base:       base,
		roots:      make([]int32, trees),
		depths:     make([]uint8, trees),
		nodes:      make([]split, nodes),
		values:     make([]float64, nodes),
		covers:     make([]float64, nodes),
		importance: make([]float64, cols),
		workers:    m.workers,
	}
	for t := range out.roots {
		out.roots[t] = int32(d.u32())
		out.depths[t] = d.u8()
	}
	for i := range out.nodes {
		s := &out.nodes[i]
		s.feat = int32(d.u32())
		s.left = int32(d.u32())
		s.missRight = int32(d.u8())
		s.thr = d.f64()
		out.values[i] = d.f64()
		out.covers[i] = d.f64()
	}
	for j := range out.importance {
		out.importance[j] = d.f64()
	}
	if d.err != nil {
		return d.err
	}
	if err := out.checkTrees(); err != nil {
		return err
	}
	out.prepare()
	*m = out
	return nil
}

// checkTrees verifies that every tree is laid out as Fit writes it: each
// tree's nodes follow its root, children come after their parent as an
// adjacent pair, and a walk of depths[t] steps reaches a leaf.
func (m *Model) checkTrees() error {
	n := int32(len(m.nodes))
	if len(m.roots) == 0 && n != 0 {
		return fmt.Errorf("nodes without trees: %w", ErrFormat)
	}
	for t, root := range m.roots {
		end := n
		if t+1 < len(m.roots) {
			end = m.roots[t+1]
		}
		if root < 0 || root >= end || end > n || (t == 0 && root != 0) {
			return fmt.Errorf("tree %d root %d: %w", t, root, ErrFormat)
		}
		if m.depths[t] > maxDepthLimit {
			return fmt.Errorf("tree %d depth %d: %w", t, m.depths[t], ErrFormat)
		}
		for i := root; i < end; i++ {
			s := m.nodes[i]
			v := m.values[i]
			if math.IsNaN(v) || math.IsInf(v, 0) || math.IsNaN(m.covers[i]) {
				return fmt.Errorf("node %d value: %w", i, ErrFormat)
			}
			if s.left == i {
				if s.missRight != 0 || !math.IsInf(s.thr, 1) {
					return fmt.Errorf("leaf %d: %w", i, ErrFormat)
				}
				continue
			}
			if s.left <= i || s.left+1 >= end || s.feat < 0 || int(s.feat) >= m.cols ||
				s.missRight > 1 || math.IsNaN(s.thr) {
				return fmt.Errorf("node %d: %w", i, ErrFormat)
			}
		}
		if d := m.leafDepth(root, 0); d < 0 || d > int(m.depths[t]) {
			return fmt.Errorf("tree %d depth: %w", t, ErrFormat)
		}
	}
	return nil
}

// leafDepth returns the depth of the deepest leaf under i, or -1 when a
// path runs deeper than maxDepthLimit.
func (m *Model) leafDepth(i int32, d int) int {
	if d > maxDepthLimit {
		return -1
	}
	if m.leaf(i) {
		return d
	}
	l := m.leafDepth(m.nodes[i].left, d+1)
	r := m.leafDepth(m.nodes[i].left+1, d+1)
	if l < 0 || r < 0 {
		return -1
	}
	return max(l, r)
}

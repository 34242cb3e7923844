package features

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unsafe"

	"churn/internal/offheap"
)

// Partials carry a fork's accumulators between processes, for engines
// that fold files on many machines and merge the results elsewhere (a
// Beam pipeline). EncodePartial writes the accumulators of a range of
// customers; DecodePartial reads them into a fresh fork of a Builder
// frozen from the same customers, catalog, configuration and cutoffs,
// which then merges with Merge like any fork. Decoding gives back exactly
// the accumulators that were encoded, so the features of the merged forks
// are those of one process folding every row.
//
// The encoding is the accumulators' memory as this build lays it out: a
// partial is read by the same binary that wrote it (every worker of one
// pipeline runs one binary). The header records the layout and the
// builder's shape, and DecodePartial refuses a partial of another one.

// ErrPartial is returned by DecodePartial for bytes that are not a partial
// of a Builder shaped like the receiver.
var ErrPartial = errors.New("not a partial of this builder")

const partialMagic = "churnpart1"

// partialShape is what must agree between the encoding and decoding
// builders for the bytes to mean the same accumulators.
func (b *Builder) partialShape() []uint64 {
	return []uint64{
		uint64(unsafe.Sizeof(sessAcc{})), uint64(unsafe.Sizeof(evAcc{})), uint64(unsafe.Sizeof(tickAcc{})),
		uint64(unsafe.Sizeof(npsAcc{})), uint64(unsafe.Sizeof(ordAcc{})),
		uint64(len(b.cust.ids)), uint64(len(b.g.cutoffs)), uint64(b.mixSlots()),
	}
}

// EncodePartial appends to dst the accumulators of the customers with
// index lo <= i < hi that b holds (a fork, or a Builder fed directly),
// with which tables it has seen, the customers' activity flags and b's
// rows per channel name (all customers'), and returns the result. Customers b has no accumulators for take no space,
// so a partial grows with the customers a file holds, not with the
// customer index. b must be frozen and not spent or joined from shards.
func (b *Builder) EncodePartial(dst []byte, lo, hi int) ([]byte, error) {
	if b.cust == nil {
		return dst, ErrNotFrozen
	}
	if b.spent {
		return dst, ErrSpent
	}
	if b.parts != nil {
		return dst, ErrNotFork
	}
	if lo < b.lo || hi < lo || hi > b.hi {
		return dst, fmt.Errorf("customers %d to %d of %d to %d: %w", lo, hi, b.lo, b.hi, ErrCutoffRange)
	}
	dst = append(dst, partialMagic...)
	for _, v := range b.partialShape() {
		dst = binary.AppendUvarint(dst, v)
	}
	dst = binary.AppendUvarint(dst, uint64(lo))
	dst = binary.AppendUvarint(dst, uint64(hi))
	for _, s := range b.seen {
		dst = append(dst, boolByte(s))
	}
	nk := len(b.g.cutoffs)
	dst = append(dst, b.flags[(lo-b.lo)*nk:(hi-b.lo)*nk]...)
	dst = encodeStore(dst, &b.sess, lo, hi)
	dst = encodeStore(dst, &b.ev, lo, hi)
	dst = encodeStore(dst, &b.tick, lo, hi)
	dst = encodeStore(dst, &b.nps, lo, hi)
	dst = encodeStore(dst, &b.ord, lo, hi)
	// The purchase days, per customer with any.
	n := 0
	for i := lo; i < hi && b.ordSet != nil; i++ {
		if b.ordSet[i-b.lo].bits != nil {
			n++
		}
	}
	dst = binary.AppendUvarint(dst, uint64(n))
	for i := lo; i < hi && n > 0; i++ {
		d := &b.ordSet[i-b.lo]
		if d.bits == nil {
			continue
		}
		dst = binary.AppendUvarint(dst, uint64(i-lo))
		dst = binary.AppendVarint(dst, int64(d.base))
		dst = binary.AppendUvarint(dst, uint64(len(d.bits)))
		for _, w := range d.bits {
			dst = binary.LittleEndian.AppendUint64(dst, w)
		}
	}
	// The rows per channel name count every customer's rows, not the
	// range's: merged over every file's partial of one range, they are the
	// whole table's, and each range's build ranks the same channels.
	for t := range b.chanCount {
		st := b.chanCount[t].stats
		dst = binary.AppendUvarint(dst, uint64(len(st)))
		for _, c := range st {
			dst = binary.AppendUvarint(dst, uint64(len(c.name)))
			dst = append(dst, c.name...)
			dst = binary.AppendUvarint(dst, uint64(c.hash))
			dst = binary.AppendVarint(dst, c.n)
			dst = binary.AppendUvarint(dst, c.sumCust)
			dst = binary.AppendUvarint(dst, c.sumTS)
			dst = binary.AppendVarint(dst, c.minTS)
		}
	}
	return dst, nil
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// encodeStore appends whether the store exists, then the customers of
// [lo, hi) it holds, each as its offset from lo, its accumulators' bytes
// and its side row's.
func encodeStore[T any](dst []byte, s *store[T], lo, hi int) []byte {
	if s.idx == nil {
		return append(dst, 0)
	}
	dst = append(dst, 1)
	dst = binary.AppendUvarint(dst, uint64(s.sideW))
	n := 0
	for i := lo; i < hi; i++ {
		if s.idx[i-int(s.base)] != 0 {
			n++
		}
	}
	dst = binary.AppendUvarint(dst, uint64(n))
	for i := lo; i < hi; i++ {
		if s.idx[i-int(s.base)] == 0 {
			continue
		}
		accs, side := s.peekSide(int32(i))
		dst = binary.AppendUvarint(dst, uint64(i-lo))
		dst = append(dst, asBytes(accs)...)
		dst = append(dst, asBytes(side)...)
	}
	return dst
}

// asBytes views a slice of pointer-free values as its bytes.
func asBytes[T any](v []T) []byte {
	if len(v) == 0 {
		return nil
	}
	var zero T
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(v))), len(v)*int(unsafe.Sizeof(zero)))
}

// partialReader reads a partial, remembering the first error.
type partialReader struct {
	p   []byte
	err error
}

func (r *partialReader) fail() {
	if r.err == nil {
		r.err = fmt.Errorf("truncated or corrupt partial: %w", ErrPartial)
	}
	r.p = nil
}

func (r *partialReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.p)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.p = r.p[n:]
	return v
}

func (r *partialReader) varint() int64 {
	v, n := binary.Varint(r.p)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.p = r.p[n:]
	return v
}

func (r *partialReader) bytes(n int) []byte {
	if n < 0 || n > len(r.p) {
		r.fail()
		return nil
	}
	v := r.p[:n]
	r.p = r.p[n:]
	return v
}

// DecodePartial returns a fork of b, which must be frozen, holding the
// accumulators of partial p (from EncodePartial of a Builder with b's
// customers, catalog, configuration and cutoffs). Merge it into another
// fork of b, or Build from it the rows of the customers p covers.
func (b *Builder) DecodePartial(p []byte) (*Builder, error) {
	if b.cust == nil {
		return nil, ErrNotFrozen
	}
	f := b.Fork()
	if err := f.MergePartial(p); err != nil {
		return nil, err
	}
	return f, nil
}

// MergePartial folds partial p (from EncodePartial of a Builder with b's
// customers, catalog, configuration and cutoffs) into b, a fork of that
// Builder: b then holds what Merge of DecodePartial(p) would give, without
// the intermediate fork. It is exact in any grouping and order, as Merge
// is. On an error (ErrPartial) b may hold part of p: it is spent.
func (b *Builder) MergePartial(p []byte) error {
	if b.cust == nil {
		return ErrNotFrozen
	}
	if b.spent {
		return ErrSpent
	}
	if b.parts != nil {
		return ErrNotFork
	}
	if err := b.mergePartial(p); err != nil {
		b.spent = true
		return err
	}
	return nil
}

func (b *Builder) mergePartial(p []byte) error {
	r := &partialReader{p: p}
	if string(r.bytes(len(partialMagic))) != partialMagic {
		return fmt.Errorf("no partial header: %w", ErrPartial)
	}
	for j, want := range b.partialShape() {
		if got := r.uvarint(); got != want && r.err == nil {
			return fmt.Errorf("shape field %d is %d, this builder's %d: %w", j, got, want, ErrPartial)
		}
	}
	lo, hi := int(r.uvarint()), int(r.uvarint())
	if r.err != nil {
		return r.err
	}
	if lo < b.lo || hi < lo || hi > b.hi {
		return fmt.Errorf("customers %d to %d, this builder's %d to %d: %w", lo, hi, b.lo, b.hi, ErrPartial)
	}
	for t := range b.seen {
		v := r.bytes(1)
		b.seen[t] = b.seen[t] || (r.err == nil && v[0] == 1)
	}
	nk := len(b.g.cutoffs)
	flags := r.bytes((hi - lo) * nk)
	for i, v := range flags {
		b.flags[(lo-b.lo)*nk+i] |= v
	}
	mergeStoreBytes(r, &b.sess, b.lo, b.hi, nk, 0, lo, hi, (*sessAcc).merge, nil)
	mergeStoreBytes(r, &b.ev, b.lo, b.hi, nk, nk*3*b.mixSlots(), lo, hi, (*evAcc).merge, b.mergeMix)
	mergeStoreBytes(r, &b.tick, b.lo, b.hi, nk, 0, lo, hi, (*tickAcc).merge, nil)
	mergeStoreBytes(r, &b.nps, b.lo, b.hi, nk, 0, lo, hi, (*npsAcc).merge, nil)
	mergeStoreBytes(r, &b.ord, b.lo, b.hi, nk, 0, lo, hi, (*ordAcc).merge, nil)
	n := int(r.uvarint())
	if b.ord.idx != nil && b.ordSet == nil {
		b.ordSet = make([]dayset, b.hi-b.lo)
	} else if b.ord.idx == nil && n > 0 {
		r.fail()
	}
	for range n {
		if r.err != nil {
			break
		}
		i := lo + int(r.uvarint())
		base := r.varint()
		words := int(r.uvarint())
		raw := r.bytes(8 * words)
		if r.err != nil || i >= hi {
			r.fail()
			break
		}
		d := dayset{base: int32(base), bits: make([]uint64, words)}
		for w := range d.bits {
			d.bits[w] = binary.LittleEndian.Uint64(raw[8*w:])
		}
		if b.ordSet[i-b.lo].bits == nil {
			b.ordSet[i-b.lo] = d
		} else {
			b.ordSet[i-b.lo].merge(&d)
		}
	}
	for t := range b.chanCount {
		n := int(r.uvarint())
		var o chanCounts
		for range n {
			if r.err != nil {
				break
			}
			name := string(r.bytes(int(r.uvarint())))
			c := chanStat{name: name, hash: uint32(r.uvarint()), n: r.varint(), sumCust: r.uvarint(), sumTS: r.uvarint(), minTS: r.varint()}
			o.stats = append(o.stats, c)
		}
		b.chanCount[t].merge(&o)
	}
	if r.err == nil && len(r.p) != 0 {
		r.fail()
	}
	return r.err
}

// mergeStoreBytes folds what encodeStore wrote into s, the store of a
// fork of the customers [bLo, bHi) whose side rows hold sideW values, with
// merge (and mergeSide for the side rows), creating s if it has none yet.
func mergeStoreBytes[T any](r *partialReader, s *store[T], bLo, bHi, nCut, sideW, lo, hi int, merge func(dst, src *T), mergeSide func(dst, src []uint16)) {
	present := r.bytes(1)
	if r.err != nil || present[0] == 0 {
		return
	}
	if got := r.uvarint(); r.err != nil || got != uint64(sideW) {
		r.fail()
		return
	}
	if s.idx == nil {
		*s = newStore[T](bLo, bHi, nCut)
		s.sideW = sideW
	}
	var zero T
	accBytes := nCut * int(unsafe.Sizeof(zero))
	// The bytes of a partial need not be aligned for T: each customer's
	// accumulators are copied into buffers of T first.
	src := make([]T, nCut)
	side := make([]uint16, sideW)
	n := int(r.uvarint())
	for range n {
		i := lo + int(r.uvarint())
		accs := r.bytes(accBytes)
		raw := r.bytes(2 * sideW)
		if r.err != nil || i >= hi {
			r.fail()
			return
		}
		fresh := s.idx[i-int(s.base)] == 0
		dst, dside := s.getSide(int32(i))
		if fresh {
			copy(asBytes(dst), accs)
			copy(asBytes(dside), raw)
			continue
		}
		copy(asBytes(src), accs)
		for k := range dst {
			merge(&dst[k], &src[k])
		}
		if mergeSide != nil {
			copy(asBytes(side), raw)
			mergeSide(dside, side)
		}
	}
}

// MergeRange folds the accumulators of customers [lo, hi) of o, another
// fork of b's frozen Builder, into b, with o's rows per channel name (all
// customers', as EncodePartial carries them): b then holds what
// MergePartial of o's partial of [lo, hi) would give, without encoding it.
// o is left as it was, so that each of its ranges can be merged into
// another Builder.
func (b *Builder) MergeRange(o *Builder, lo, hi int) error {
	if b.cust == nil || o.cust != b.cust || o == b || b.parts != nil || o.parts != nil {
		return ErrNotFork
	}
	if o.spent || b.spent {
		return ErrSpent
	}
	if lo < max(b.lo, o.lo) || hi < lo || hi > min(b.hi, o.hi) {
		return fmt.Errorf("customers %d to %d, the builders' %d to %d and %d to %d: %w", lo, hi, b.lo, b.hi, o.lo, o.hi, ErrCutoffRange)
	}
	nk := len(b.g.cutoffs)
	dst, src := b.flags[(lo-b.lo)*nk:(hi-b.lo)*nk], o.flags[(lo-o.lo)*nk:(hi-o.lo)*nk]
	for i := range dst {
		dst[i] |= src[i]
	}
	for t := range b.seen {
		b.seen[t] = b.seen[t] || o.seen[t]
	}
	mergeStoreRange(&b.sess, &o.sess, b.lo, b.hi, lo, hi, (*sessAcc).merge, nil)
	mergeStoreRange(&b.ev, &o.ev, b.lo, b.hi, lo, hi, (*evAcc).merge, b.mergeMix)
	mergeStoreRange(&b.tick, &o.tick, b.lo, b.hi, lo, hi, (*tickAcc).merge, nil)
	mergeStoreRange(&b.nps, &o.nps, b.lo, b.hi, lo, hi, (*npsAcc).merge, nil)
	mergeStoreRange(&b.ord, &o.ord, b.lo, b.hi, lo, hi, (*ordAcc).merge, nil)
	if o.ordSet != nil {
		if b.ordSet == nil {
			b.ordSet = make([]dayset, b.hi-b.lo)
		}
		for i := lo; i < hi; i++ {
			b.ordSet[i-b.lo].merge(&o.ordSet[i-o.lo])
		}
	}
	for t := range b.chanCount {
		b.chanCount[t].merge(&o.chanCount[t])
	}
	return nil
}

// mergeStoreRange folds o's accumulators of customers [lo, hi) into s, a
// store of the customers [sLo, sHi), with merge (and mergeSide for the
// side rows), creating s if it has none yet.
func mergeStoreRange[T any](s, o *store[T], sLo, sHi, lo, hi int, merge func(dst, src *T), mergeSide func(dst, src []uint16)) {
	if o.idx == nil {
		return
	}
	if s.idx == nil {
		*s = newStore[T](sLo, sHi, o.nCut)
		s.sideW = o.sideW
	}
	for i := lo; i < hi; i++ {
		if o.idx[i-int(o.base)] == 0 {
			continue
		}
		src, sside := o.getSide(int32(i))
		dst, dside := s.getSide(int32(i))
		for k := range src {
			merge(&dst[k], &src[k])
		}
		if mergeSide != nil {
			mergeSide(dside, sside)
		}
	}
}

// Release ends b, a fork or RangeFork whose partials are encoded or whose
// rows are built: the pages of its accumulators, which live off the Go
// heap and would otherwise go back to the system only after a garbage
// collection finds b unreachable, are unmapped at once, and its flags
// and indexes dropped. A process that folds or merges one Builder after
// another (a pipeline's worker) then holds one at a time, whatever the
// collector's pace. Nothing b returned refers to those pages (partials,
// frames and rows are copies), but b itself must not be used again: it
// is spent. Release of a spent Builder drops what it still holds.
func (b *Builder) Release() {
	for _, o := range append([]*Builder{b}, b.parts...) {
		releaseStore(&o.sess)
		releaseStore(&o.ev)
		releaseStore(&o.tick)
		releaseStore(&o.nps)
		releaseStore(&o.ord)
		o.flags, o.ordSet = nil, nil
		o.spent = true
	}
	b.parts = nil
}

// releaseStore unmaps the pages s owns off the heap and empties s. The
// arena's cleanup then finds nothing left to unmap.
func releaseStore[T any](s *store[T]) {
	if s.mem != nil {
		for _, m := range s.mem.maps.m {
			offheap.Unmap(m)
		}
		s.mem.maps.m, s.mem.free = nil, nil
	}
	*s = store[T]{}
}

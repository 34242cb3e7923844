package features

// pageCustomers is how many customers' accumulators one page of a store
// holds. Pages are allocated on first use, so a fork that sees a few
// customers allocates a few pages, and a store never holds the growth slack
// of an appended slice.
const pageCustomers = 1024

// store holds nCut accumulators of type T per customer, allocated on the
// first row of that customer. Memory grows with the customers seen, never
// with the rows.
type store[T any] struct {
	nCut  int
	base  int32   // the index of the first customer idx covers
	idx   []int32 // per customer from base: slot number + 1, 0 when none
	pages [][]T
	used  int32
	mem   *arena // owner of pages mapped off the heap (offheap.go)
	// side holds sideW uint16 per customer beside its accumulators, in
	// pages of the same slots (the event mix): one index lookup finds
	// both.
	sideW int
	side  [][]uint16
}

// newStore returns an empty store of the customers [lo, hi).
func newStore[T any](lo, hi, nCut int) store[T] {
	return store[T]{nCut: nCut, base: int32(lo), idx: make([]int32, hi-lo)}
}

// get returns the nCut accumulators of customer i, allocating them.
func (s *store[T]) get(i int32) []T {
	a, _ := s.getSide(i)
	return a
}

// getSide returns the nCut accumulators of customer i and its side row
// (nil when sideW is 0), allocating them.
func (s *store[T]) getSide(i int32) ([]T, []uint16) {
	slot := s.idx[i-s.base] - 1
	if slot < 0 {
		slot = s.used
		s.used++
		s.idx[i-s.base] = slot + 1
		if int(slot)/pageCustomers >= len(s.pages) {
			s.pages = append(s.pages, newPage[T](&s.mem, pageCustomers*s.nCut))
			if s.sideW > 0 {
				s.side = append(s.side, newPage[uint16](&s.mem, pageCustomers*s.sideW))
			}
		}
	}
	pg, in := int(slot)/pageCustomers, int(slot)%pageCustomers
	p := s.pages[pg]
	off := in * s.nCut
	var side []uint16
	if s.sideW > 0 {
		so := in * s.sideW
		side = s.side[pg][so : so+s.sideW : so+s.sideW]
	}
	return p[off : off+s.nCut : off+s.nCut], side
}

// peekSide is getSide for a customer with accumulators; nil, nil when it
// has none.
func (s *store[T]) peekSide(i int32) ([]T, []uint16) {
	if s.idx == nil || s.idx[i-s.base] == 0 {
		return nil, nil
	}
	return s.getSide(i)
}

// peek returns the accumulators of customer i, or nil when it has none.
func (s *store[T]) peek(i int32) []T {
	if s.idx == nil || s.idx[i-s.base] == 0 {
		return nil
	}
	return s.get(i)
}

// at returns customer i's accumulator at cutoff k, or zero when s holds
// none for i.
func (s *store[T]) at(i int32, k int, zero *T) *T {
	if a := s.peek(i); a != nil {
		return &a[k]
	}
	return zero
}

// mergeOrMove merges o into s with merge when s has accumulators, and
// moves them from o to s otherwise, leaving o empty; it reports whether it
// moved them.
func mergeOrMove[T any](s, o *store[T], merge func(dst, src *T)) (moved bool) {
	if o.idx == nil {
		return false
	}
	if s.idx == nil {
		*s, *o = *o, store[T]{}
		return true
	}
	mergeStore(s, o, merge)
	return false
}

// mergeStore folds every accumulator of o into s, customer by customer in
// index order, with merge.
func mergeStore[T any](s, o *store[T], merge func(dst, src *T)) {
	for j, v := range o.idx {
		if v == 0 {
			continue
		}
		i := o.base + int32(j)
		src := o.get(i)
		dst := s.get(i)
		for k := range src {
			merge(&dst[k], &src[k])
		}
	}
}

package knn

import "slices"

// Neighbor is one search result: a distance and the row it belongs to. Row is
// whatever the caller passed in, normally a Lance row address
// (fragment id << 32 | offset in fragment) or a stable row id.
type Neighbor struct {
	Distance float32
	Row      uint64
}

// before reports whether a ranks ahead of b: smaller distance, then smaller
// row. It is false whenever a.Distance is NaN.
func before(a, b Neighbor) bool {
	return a.Distance < b.Distance || (a.Distance == b.Distance && a.Row < b.Row)
}

// TopK keeps the k best neighbours offered to it. The zero value keeps
// nothing; use [NewTopK]. A TopK is not safe for concurrent use: give each
// goroutine its own and [TopK.Merge] them.
type TopK struct {
	k int
	// heap is a max-heap under before: heap[0] is the worst neighbour kept,
	// the one a newcomer has to beat once the heap is full.
	heap []Neighbor
}

// NewTopK returns a collector of the k nearest neighbours; k < 1 keeps none.
func NewTopK(k int) *TopK {
	k = max(k, 0)
	return &TopK{k: k, heap: make([]Neighbor, 0, min(k, 1024))}
}

// K returns the number of neighbours t keeps at most.
func (t *TopK) K() int { return t.k }

// Len returns the number of neighbours kept so far.
func (t *TopK) Len() int { return len(t.heap) }

// Push offers a neighbour. NaN distances are dropped. Equal distances keep
// the smaller rows.
func (t *TopK) Push(distance float32, row uint64) {
	n := Neighbor{Distance: distance, Row: row}
	if len(t.heap) < t.k {
		if distance != distance {
			return
		}
		t.heap = append(t.heap, n)
		t.up(len(t.heap) - 1)
		return
	}
	// Full (or k == 0): most rows fail here; NaN always does.
	if t.k == 0 || !before(n, t.heap[0]) {
		return
	}
	t.heap[0] = n
	t.down(0)
}

// Merge offers every neighbour kept by o to t; o is unchanged.
func (t *TopK) Merge(o *TopK) {
	for _, n := range o.heap {
		t.Push(n.Distance, n.Row)
	}
}

// Results returns the kept neighbours, best first, in a new slice.
func (t *TopK) Results() []Neighbor {
	out := slices.Clone(t.heap)
	slices.SortFunc(out, func(a, b Neighbor) int {
		switch {
		case before(a, b):
			return -1
		case before(b, a):
			return 1
		}
		return 0
	})
	return out
}

// Reset empties t, keeping k and its storage.
func (t *TopK) Reset() { t.heap = t.heap[:0] }

func (t *TopK) up(i int) {
	h := t.heap
	for i > 0 {
		p := (i - 1) / 2
		if !before(h[p], h[i]) {
			return
		}
		h[p], h[i] = h[i], h[p]
		i = p
	}
}

func (t *TopK) down(i int) {
	h := t.heap
	for {
		worst := i
		if l := 2*i + 1; l < len(h) && before(h[worst], h[l]) {
			worst = l
		}
		if r := 2*i + 2; r < len(h) && before(h[worst], h[r]) {
			worst = r
		}
		if worst == i {
			return
		}
		h[i], h[worst] = h[worst], h[i]
		i = worst
	}
}

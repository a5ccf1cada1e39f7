package knn

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// bruteTopK is the reference: sort everything finite, take k.
func bruteTopK(all []Neighbor, k int) []Neighbor {
	var finite []Neighbor
	for _, n := range all {
		if !math.IsNaN(float64(n.Distance)) {
			finite = append(finite, n)
		}
	}
	slices.SortFunc(finite, func(a, b Neighbor) int {
		if a.Distance != b.Distance {
			if a.Distance < b.Distance {
				return -1
			}
			return 1
		}
		switch {
		case a.Row < b.Row:
			return -1
		case a.Row > b.Row:
			return 1
		}
		return 0
	})
	if len(finite) > k {
		finite = finite[:k]
	}
	return finite
}

// randomNeighbors draws distances from a small set so that ties are common,
// with some NaN and infinities among them.
func randomNeighbors(r *rand.Rand, n int) []Neighbor {
	vals := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), -1, 0, 0.5, 1, 2, 3}
	out := make([]Neighbor, n)
	for i := range out {
		out[i] = Neighbor{Distance: vals[r.IntN(len(vals))], Row: uint64(r.IntN(4 * n))}
	}
	// Rows are unique in a real search.
	seen := map[uint64]bool{}
	for i := range out {
		for seen[out[i].Row] {
			out[i].Row++
		}
		seen[out[i].Row] = true
	}
	return out
}

func TestTopKMatchesSort(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 500 {
		all := randomNeighbors(r, r.IntN(200))
		k := r.IntN(20)
		if trial%50 == 0 {
			k = 1000
		}
		top := NewTopK(k)
		for _, n := range all {
			top.Push(n.Distance, n.Row)
		}
		got, want := top.Results(), bruteTopK(all, k)
		if !slices.Equal(got, want) {
			t.Fatalf("trial %d k=%d:\n got %v\nwant %v", trial, k, got, want)
		}
		if top.Len() != len(want) {
			t.Fatalf("Len = %d, want %d", top.Len(), len(want))
		}
	}
}

func TestTopKMergeIsOrderIndependent(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		all := randomNeighbors(r, 1+r.IntN(300))
		k := 1 + r.IntN(15)
		parts := 1 + r.IntN(5)
		tops := make([]*TopK, parts)
		for i := range tops {
			tops[i] = NewTopK(k)
		}
		for _, n := range all {
			tops[r.IntN(parts)].Push(n.Distance, n.Row)
		}
		merged := NewTopK(k)
		for _, i := range r.Perm(parts) {
			merged.Merge(tops[i])
		}
		if got, want := merged.Results(), bruteTopK(all, k); !slices.Equal(got, want) {
			t.Fatalf("merged %v, want %v", got, want)
		}
	}
}

func TestTopKEdgeCases(t *testing.T) {
	zero := NewTopK(0)
	zero.Push(1, 1)
	if zero.Len() != 0 || len(zero.Results()) != 0 {
		t.Errorf("k=0 kept something")
	}
	var z TopK
	z.Push(1, 1)
	if z.Len() != 0 {
		t.Errorf("zero TopK kept something")
	}
	neg := NewTopK(-3)
	neg.Push(1, 1)
	if neg.Len() != 0 || neg.K() != 0 {
		t.Errorf("negative k kept something")
	}

	top := NewTopK(2)
	top.Push(float32(math.NaN()), 0)
	top.Push(5, 9)
	top.Push(5, 3)
	top.Push(5, 7) // ties with the worst but has a larger row: rejected
	top.Push(float32(math.NaN()), 1)
	want := []Neighbor{{5, 3}, {5, 7}}
	if got := top.Results(); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
	top.Reset()
	if top.Len() != 0 || top.K() != 2 {
		t.Errorf("Reset: Len %d K %d", top.Len(), top.K())
	}
}

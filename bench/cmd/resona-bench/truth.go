package main

import (
	"runtime"
	"sort"
	"strconv"
	"sync"
)

// groundTruth returns, per query, the ids of the k rows among the first rows
// vectors with the largest dot product (cosine on L2-normalised vectors),
// computed by brute force independently of the engine. Dot products are
// accumulated in float64 so that near ties are ordered by the exact value.
func groundTruth(vecs, queries []float32, dim, rows, nq, k int) [][]string {
	out := make([][]string, nq)
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	next := make(chan int)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for qi := range next {
				out[qi] = topDot(vecs, queries[qi*dim:(qi+1)*dim], dim, rows, k)
			}
		}()
	}
	for qi := range nq {
		next <- qi
	}
	close(next)
	wg.Wait()
	return out
}

type scored struct {
	s   float64
	row int
}

func topDot(vecs, q []float32, dim, rows, k int) []string {
	best := make([]scored, 0, k+1)
	for i := range rows {
		v := vecs[i*dim : (i+1)*dim]
		var s float64
		for j, x := range q {
			s += float64(x) * float64(v[j])
		}
		if len(best) == k && s <= best[k-1].s {
			continue
		}
		best = append(best, scored{s, i})
		sort.Slice(best, func(a, b int) bool { return best[a].s > best[b].s })
		if len(best) > k {
			best = best[:k]
		}
	}
	ids := make([]string, len(best))
	for i, b := range best {
		ids[i] = "node_" + strconv.Itoa(b.row)
	}
	return ids
}

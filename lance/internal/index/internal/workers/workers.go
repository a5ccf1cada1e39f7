// Package workers runs data-parallel loops of the vector index builders on a
// bounded number of goroutines.
package workers

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// Count returns the number of goroutines to use for a request of w: w itself
// when positive, otherwise GOMAXPROCS.
func Count(w int) int {
	if w > 0 {
		return w
	}
	return runtime.GOMAXPROCS(0)
}

// Range calls fn on consecutive chunks [lo, hi) covering [0, n), at most
// grain items each, from at most w goroutines (w as for [Count]). Chunks are
// handed out in order from a shared counter, so uneven chunks balance out.
// The context is checked before every chunk; once it is done no new chunk
// starts and its error is returned after the running chunks finish. fn must
// be safe to call concurrently on disjoint chunks.
func Range(ctx context.Context, n, grain, w int, fn func(lo, hi int)) error {
	if n <= 0 {
		return ctx.Err()
	}
	grain = max(grain, 1)
	chunks := (n + grain - 1) / grain
	w = min(Count(w), chunks)
	var next atomic.Int64
	run := func() {
		for ctx.Err() == nil {
			c := int(next.Add(1) - 1)
			if c >= chunks {
				return
			}
			lo := c * grain
			fn(lo, min(lo+grain, n))
		}
	}
	if w == 1 {
		run()
		return ctx.Err()
	}
	var wg sync.WaitGroup
	for range w {
		wg.Go(run)
	}
	wg.Wait()
	return ctx.Err()
}

// Grain returns a chunk size that gives each of w workers several chunks of
// [0, n), so that the last chunk does not leave the other workers idle for
// long, but no fewer than minGrain items.
func Grain(n, w, minGrain int) int {
	g := n / (Count(w) * 8)
	return max(g, minGrain, 1)
}

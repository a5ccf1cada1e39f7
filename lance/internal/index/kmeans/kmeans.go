// Package kmeans trains k-means centroids for the vector index: the IVF
// partition centroids (long vectors, few hundred clusters) and the PQ
// sub-vector codebooks (short vectors, 16 or 256 clusters).
//
// Training follows Lance (rust/lance-index/src/vector/kmeans.rs): Lloyd
// iterations from randomly chosen rows (k-means++ is available), stopping
// after MaxIters or when the loss changes by less than Tolerance relative to
// the previous loss, and refilling empty clusters by splitting a populated
// one. Callers train on a sample; [Sample] draws one.
//
// Results depend only on the data, k and the options, Seed included: not on
// the number of workers, because every row is assigned independently and
// every centroid sums its rows in row order.
package kmeans

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/resona-go/resona/lance/internal/index/internal/workers"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/linalg"
)

// Init selects how the first centroids are chosen.
type Init int

const (
	// InitRandom picks k distinct rows uniformly, as Lance does.
	InitRandom Init = iota
	// InitPlusPlus picks rows by k-means++ (D² sampling).
	InitPlusPlus
)

// Options tune [Train]. The zero value is Lance's defaults: 50 iterations,
// tolerance 1e-4, random init, L2, seed 0, all cores.
type Options struct {
	Metric    linalg.Metric // L2 (default) or dot
	MaxIters  int           // ≤ 0 means 50
	Tolerance float64       // ≤ 0 means 1e-4; relative loss change that stops training
	Init      Init
	Seed      uint64 // seeds the PCG generator used for init and empty-cluster splits
	Workers   int    // ≤ 0 means GOMAXPROCS
	// Progress, if set, is called after every iteration with its number
	// (from 1) and the loss: the summed distance of every row to its centroid.
	Progress func(iter int, loss float64)
}

// Result is a trained model.
type Result struct {
	Centroids []float32 // k × dim, row-major
	Loss      float64   // loss after the last assignment
	Iters     int       // iterations run
	Sizes     []int     // rows per cluster at the last assignment
}

// Train clusters the n = len(data)/dim rows of data into k clusters. It
// needs n ≥ k. Cancelling ctx stops it between chunks of work with ctx's
// error.
func Train(ctx context.Context, data []float32, dim, k int, opts Options) (*Result, error) {
	if dim <= 0 || len(data)%dim != 0 {
		return nil, fmt.Errorf("%w: %d floats do not make vectors of dimension %d",
			lanceerr.ErrDimensionMismatch, len(data), dim)
	}
	n := len(data) / dim
	if k <= 0 || n < k {
		return nil, fmt.Errorf("%w: k-means needs 1 ≤ k ≤ rows, got k=%d for %d rows",
			lanceerr.ErrInvalidArgument, k, n)
	}
	maxIters := opts.MaxIters
	if maxIters <= 0 {
		maxIters = 50
	}
	tol := opts.Tolerance
	if tol <= 0 {
		tol = 1e-4
	}
	rng := rand.New(rand.NewPCG(opts.Seed, 0x9e3779b97f4a7c15))

	var centroids []float32
	var err error
	if opts.Init == InitPlusPlus {
		centroids, err = initPlusPlus(ctx, data, dim, k, opts, rng)
		if err != nil {
			return nil, err
		}
	} else {
		centroids = initRandom(data, dim, k, rng)
	}

	labels := make([]uint32, n)
	dists := make([]float32, n)
	res := &Result{}
	last := math.Inf(1)
	for it := 1; it <= maxIters; it++ {
		a, err := NewAssigner(opts.Metric, centroids, dim)
		if err != nil {
			return nil, err
		}
		if err := a.assignInto(ctx, data, opts.Workers, labels, dists); err != nil {
			return nil, err
		}
		loss := 0.0
		for _, d := range dists {
			loss += float64(d)
		}
		res.Iters, res.Loss = it, loss
		if opts.Progress != nil {
			opts.Progress(it, loss)
		}
		// The centroids that produced this loss are kept when training stops.
		if it == maxIters || (!math.IsInf(last, 1) && math.Abs(last-loss) <= tol*math.Abs(last)) {
			res.Sizes = sizes(labels, k)
			break
		}
		last = loss
		next, counts, err := update(ctx, data, dim, k, labels, opts.Workers)
		if err != nil {
			return nil, err
		}
		splitEmpty(next, counts, dim, rng)
		centroids = next
	}
	res.Centroids = centroids
	return res, nil
}

func sizes(labels []uint32, k int) []int {
	s := make([]int, k)
	for _, l := range labels {
		s[l]++
	}
	return s
}

// initRandom copies k distinct rows chosen uniformly at random.
func initRandom(data []float32, dim, k int, rng *rand.Rand) []float32 {
	n := len(data) / dim
	out := make([]float32, 0, k*dim)
	for _, i := range chooseDistinct(n, k, rng) {
		out = append(out, data[i*dim:(i+1)*dim]...)
	}
	return out
}

// chooseDistinct returns k distinct indices of [0, n) (a partial
// Fisher–Yates shuffle over a sparse map, so it costs O(k)).
func chooseDistinct(n, k int, rng *rand.Rand) []int {
	swapped := make(map[int]int, k)
	get := func(i int) int {
		if v, ok := swapped[i]; ok {
			return v
		}
		return i
	}
	out := make([]int, k)
	for i := range k {
		j := i + rng.IntN(n-i)
		out[i] = get(j)
		swapped[j] = get(i)
	}
	return out
}

// initPlusPlus seeds by D² sampling: each next centroid is a row drawn with
// probability proportional to its distance to the nearest centroid so far.
func initPlusPlus(ctx context.Context, data []float32, dim, k int, opts Options, rng *rand.Rand) ([]float32, error) {
	n := len(data) / dim
	out := make([]float32, 0, k*dim)
	first := rng.IntN(n)
	out = append(out, data[first*dim:(first+1)*dim]...)
	minD := make([]float32, n)
	for i := range minD {
		minD[i] = float32(math.Inf(1))
	}
	for c := 1; c <= k; c++ {
		cent := out[(c-1)*dim : c*dim]
		err := workers.Range(ctx, n, workers.Grain(n, opts.Workers, 256), opts.Workers, func(lo, hi int) {
			for i := lo; i < hi; i++ {
				d := distance(opts.Metric, data[i*dim:(i+1)*dim], cent)
				minD[i] = min(minD[i], d)
			}
		})
		if err != nil {
			return nil, err
		}
		if c == k {
			break
		}
		total := 0.0
		for _, d := range minD {
			total += float64(max(d, 0))
		}
		pick := rng.IntN(n)
		if total > 0 {
			r := rng.Float64() * total
			for i, d := range minD {
				r -= float64(max(d, 0))
				if r < 0 {
					pick = i
					break
				}
			}
		}
		out = append(out, data[pick*dim:(pick+1)*dim]...)
	}
	return out, nil
}

func distance(m linalg.Metric, a, b []float32) float32 {
	if m == linalg.MetricDot {
		return 1 - linalg.Dot(a, b)
	}
	return linalg.L2Squared(a, b)
}

// update returns the mean of each cluster's rows (zero for empty clusters)
// and the cluster sizes. Each worker owns a range of clusters and scans all
// rows, so sums are taken in row order whatever the number of workers.
func update(ctx context.Context, data []float32, dim, k int, labels []uint32, w int) ([]float32, []int, error) {
	next := make([]float32, k*dim)
	counts := sizes(labels, k)
	grain := max(1, k/(workers.Count(w)*4))
	err := workers.Range(ctx, k, grain, w, func(lo, hi int) {
		sums := make([]float64, (hi-lo)*dim)
		for i, l := range labels {
			c := int(l)
			if c < lo || c >= hi {
				continue
			}
			s := sums[(c-lo)*dim : (c-lo+1)*dim]
			for d, v := range data[i*dim : (i+1)*dim] {
				s[d] += float64(v)
			}
		}
		for c := lo; c < hi; c++ {
			if counts[c] == 0 {
				continue
			}
			inv := 1 / float64(counts[c])
			s := sums[(c-lo)*dim : (c-lo+1)*dim]
			dst := next[c*dim : (c+1)*dim]
			for d := range dst {
				dst[d] = float32(s[d] * inv)
			}
		}
	})
	return next, counts, err
}

// splitEmpty gives every empty cluster half of a populated one, as Lance
// does: the donor is drawn with probability growing with its size, and the
// two centroids are nudged apart by ±1/1024 in alternating coordinates so the
// next assignment separates them.
func splitEmpty(cents []float32, counts []int, dim int, rng *rand.Rand) {
	const eps = 1.0 / 1024
	for i := range counts {
		if counts[i] != 0 {
			continue
		}
		j := pickDonor(counts, rng)
		if j < 0 {
			continue
		}
		counts[i] = counts[j] / 2
		counts[j] -= counts[i]
		ci := cents[i*dim : (i+1)*dim]
		cj := cents[j*dim : (j+1)*dim]
		for d := range ci {
			if d%2 == 0 {
				ci[d] = cj[d] * (1 + eps)
				cj[d] *= 1 - eps
			} else {
				ci[d] = cj[d] * (1 - eps)
				cj[d] *= 1 + eps
			}
		}
	}
}

// pickDonor draws a cluster with at least two rows, with probability
// proportional to its size minus one; -1 if there is none.
func pickDonor(counts []int, rng *rand.Rand) int {
	total := 0
	for _, c := range counts {
		if c > 1 {
			total += c - 1
		}
	}
	if total == 0 {
		return -1
	}
	r := rng.IntN(total)
	for j, c := range counts {
		if c > 1 {
			r -= c - 1
			if r < 0 {
				return j
			}
		}
	}
	return -1
}

// Sample returns up to m rows of data (n × dim floats) drawn without
// replacement, in their original order, or data itself when it has at most
// m rows.
func Sample(data []float32, dim, m int, seed uint64) []float32 {
	n := len(data) / dim
	if n <= m {
		return data
	}
	rng := rand.New(rand.NewPCG(seed, 0x2545f4914f6cdd1d))
	idx := chooseDistinct(n, m, rng)
	slices.Sort(idx)
	out := make([]float32, 0, m*dim)
	for _, i := range idx {
		out = append(out, data[i*dim:(i+1)*dim]...)
	}
	return out
}

package kmeans

import (
	"context"
	"fmt"
	"math"

	"github.com/resona-go/resona/lance/internal/index/internal/workers"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/linalg"
)

// smallDim is the widest vector scored against all centroids at once with
// the centroids stored column-wise (dotsCols); wider ones go one centroid
// at a time to the kernels of package linalg, whose per-call cost only pays
// off on longer vectors. PQ sub-vectors sit on the first side.
const smallDim = 64

// Assigner finds the nearest of k centroids. It is read-only after
// construction and safe for concurrent use.
type Assigner struct {
	metric    linalg.Metric
	dim, k    int
	centroids []float32
	cols      []float32 // centroids column-wise, for the small-dimension path
	norms     []float32 // ‖c‖² per centroid, for the small-dimension L2 path
	bias      []float32 // −‖c‖²/2 for L2, 0 for dot: maximise r·c + bias
}

// NewAssigner prepares centroids (k × dim floats, row-major) for nearest-
// centroid queries under metric, which must be L2 or dot: cosine is served by
// normalising the vectors and using L2, as Lance does. The slice is retained.
func NewAssigner(metric linalg.Metric, centroids []float32, dim int) (*Assigner, error) {
	if metric != linalg.MetricL2 && metric != linalg.MetricDot {
		return nil, fmt.Errorf("%w: k-means assigns by l2 or dot, not %v (normalise for cosine)",
			lanceerr.ErrInvalidArgument, metric)
	}
	if dim <= 0 || len(centroids) == 0 || len(centroids)%dim != 0 {
		return nil, fmt.Errorf("%w: %d centroid floats do not make vectors of dimension %d",
			lanceerr.ErrInvalidArgument, len(centroids), dim)
	}
	a := &Assigner{metric: metric, dim: dim, k: len(centroids) / dim, centroids: centroids}
	if dim <= smallDim {
		a.cols = columns(centroids, dim)
		a.norms = make([]float32, a.k)
		a.bias = make([]float32, a.k)
		for c := range a.norms {
			a.norms[c] = dotSmall(centroids[c*dim:(c+1)*dim], centroids[c*dim:(c+1)*dim])
			if metric == linalg.MetricL2 {
				a.bias[c] = -a.norms[c] / 2
			}
		}
	}
	return a, nil
}

// K returns the number of centroids.
func (a *Assigner) K() int { return a.k }

// Dim returns the centroid dimension.
func (a *Assigner) Dim() int { return a.dim }

// Nearest returns the index of the centroid closest to row and its distance
// (squared L2, or 1 − dot). scratch must hold at least K floats; it is
// overwritten. Ties go to the lower index. row must have Dim floats.
func (a *Assigner) Nearest(row, scratch []float32) (int, float32) {
	d := scratch[:a.k]
	if a.cols != nil {
		return a.nearestSmall(row, d)
	}
	a.Distances(row, d)
	best, bestD := 0, d[0]
	for c, v := range d[1:] {
		if v < bestD {
			best, bestD = c+1, v
		}
	}
	return best, bestD
}

// nearestSmall is Nearest for short vectors: the winner maximises
// s = r·c − ‖c‖²/2 (L2; ‖r − c‖² = ‖r‖² − 2s) or r·c (dot), found with the
// scores in one pass.
func (a *Assigner) nearestSmall(row, d []float32) (int, float32) {
	best := bestCols(row, a.cols, a.bias, d)
	s := d[best]
	if a.metric == linalg.MetricL2 {
		return best, max(dotSmall(row, row)-2*s, 0)
	}
	return best, 1 - s
}

// Distances sets out[c] to the distance from row to centroid c; out must hold
// at least K floats.
func (a *Assigner) Distances(row, out []float32) {
	out = out[:a.k]
	if a.norms == nil {
		if a.metric == linalg.MetricL2 {
			linalg.L2SquaredBatch(row, a.centroids, a.dim, out)
			return
		}
		linalg.DotBatch(row, a.centroids, a.dim, out)
		for i, v := range out {
			out[i] = 1 - v
		}
		return
	}
	dotsCols(row, a.cols, out)
	if a.metric == linalg.MetricL2 {
		rr := dotSmall(row, row)
		for i, v := range out {
			// ‖r−c‖² = ‖r‖² + ‖c‖² − 2r·c; rounding can dip below zero.
			out[i] = max(rr+a.norms[i]-2*v, 0)
		}
		return
	}
	for i, v := range out {
		out[i] = 1 - v
	}
}

// Dots sets out[c] to the dot product of row and centroid c; out must hold
// at least K floats.
func (a *Assigner) Dots(row, out []float32) {
	out = out[:a.k]
	if a.cols != nil {
		dotsCols(row, a.cols, out)
		return
	}
	linalg.DotBatch(row, a.centroids, a.dim, out)
}

// Assign labels every row of data (n × Dim floats) with its nearest
// centroid, on up to w goroutines, and returns the labels and distances.
func (a *Assigner) Assign(ctx context.Context, data []float32, w int) ([]uint32, []float32, error) {
	if len(data)%a.dim != 0 {
		return nil, nil, fmt.Errorf("%w: %d floats do not make vectors of dimension %d",
			lanceerr.ErrDimensionMismatch, len(data), a.dim)
	}
	n := len(data) / a.dim
	labels := make([]uint32, n)
	dists := make([]float32, n)
	err := a.assignInto(ctx, data, w, labels, dists)
	return labels, dists, err
}

func (a *Assigner) assignInto(ctx context.Context, data []float32, w int, labels []uint32, dists []float32) error {
	n := len(labels)
	if a.cols != nil {
		return workers.Range(ctx, n, workers.Grain(n, w, 64), w, func(lo, hi int) {
			scratch := make([]float32, a.k)
			for i := lo; i < hi; i++ {
				c, d := a.Nearest(data[i*a.dim:(i+1)*a.dim], scratch)
				labels[i], dists[i] = uint32(c), d
			}
		})
	}
	return workers.Range(ctx, n, workers.Grain(n, w, rowTile), w, func(lo, hi int) {
		for t := lo; t < hi; t += rowTile {
			a.assignTile(data, t, min(t+rowTile, hi), labels, dists)
		}
	})
}

// Tiles of the long-vector assignment: a tile of centroids (about 256 KiB)
// stays in the core's L2 cache while a tile of rows is scored against it,
// instead of every row streaming all centroids from L3 or memory.
const (
	rowTile         = 32
	centroidTileKiB = 256
)

func (a *Assigner) assignTile(data []float32, lo, hi int, labels []uint32, dists []float32) {
	ct := max(1, centroidTileKiB*1024/(4*a.dim))
	out := make([]float32, ct)
	for i := lo; i < hi; i++ {
		dists[i] = float32(math.Inf(1))
		labels[i] = 0
	}
	first := true
	for c0 := 0; c0 < a.k; c0 += ct {
		c1 := min(c0+ct, a.k)
		block := a.centroids[c0*a.dim : c1*a.dim]
		o := out[:c1-c0]
		for i := lo; i < hi; i++ {
			row := data[i*a.dim : (i+1)*a.dim]
			if a.metric == linalg.MetricL2 {
				linalg.L2SquaredBatch(row, block, a.dim, o)
			} else {
				linalg.DotBatch(row, block, a.dim, o)
				for j, v := range o {
					o[j] = 1 - v
				}
			}
			best, bestD := labels[i], dists[i]
			for j, v := range o {
				// Strictly smaller keeps the lower index on ties, as Nearest
				// does; the first tile also replaces the +Inf placeholder
				// when every distance is NaN or +Inf.
				if v < bestD || (first && j == 0) {
					best, bestD = uint32(c0+j), v
				}
			}
			labels[i], dists[i] = best, bestD
		}
		first = false
	}
}

func dotSmall(a, b []float32) float32 {
	b = b[:len(a)]
	var s float32
	for i, x := range a {
		s += x * b[i]
	}
	return s
}

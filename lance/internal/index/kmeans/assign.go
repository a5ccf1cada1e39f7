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
// the centroids stored column-wise (dotsCols, bestCols). Wider vectors are
// scored one centroid at a time by the kernels of package linalg, whose
// per-call cost only pays off on longer vectors, or, when assigning many
// rows, two rows by four centroids at a time (dots2x4). PQ sub-vectors sit
// on the first side, IVF vectors on the second.
const smallDim = 64

// Assigner finds the nearest of k centroids. It is read-only after
// construction and safe for concurrent use.
type Assigner struct {
	metric    linalg.Metric
	dim, k    int
	centroids []float32
	cols      []float32 // centroids column-wise, for the small-dimension path
	norms     []float32 // ‖c‖² per centroid
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
	a.norms = make([]float32, a.k)
	for c := range a.norms {
		a.norms[c] = linalg.NormSquared(centroids[c*dim : (c+1)*dim])
	}
	if dim <= smallDim {
		a.cols = columns(centroids, dim)
		a.bias = make([]float32, a.k)
		if metric == linalg.MetricL2 {
			for c, n := range a.norms {
				a.bias[c] = -n / 2
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
	if a.cols == nil {
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

// assignTile labels rows [lo, hi), at most rowTile of them.
func (a *Assigner) assignTile(data []float32, lo, hi int, labels []uint32, dists []float32) {
	for i := lo; i < hi; i++ {
		labels[i], dists[i] = 0, float32(math.Inf(1))
	}
	if !blockedDims(a.dim) {
		a.assignTileBatch(data, lo, hi, labels, dists)
		return
	}
	dim := a.dim
	l2 := a.metric == linalg.MetricL2
	var rn [rowTile]float32
	if l2 {
		for i := lo; i < hi; i++ {
			rn[i-lo] = linalg.NormSquared(data[i*dim : (i+1)*dim])
		}
	}
	// consider offers centroid c, at dot product dot, to row i.
	consider := func(i, c int, dot float32) {
		d := 1 - dot
		if l2 {
			// ‖r − c‖² = ‖r‖² + ‖c‖² − 2r·c; rounding can dip below zero.
			d = max(rn[i-lo]+a.norms[c]-2*dot, 0)
		}
		if d < dists[i] {
			labels[i], dists[i] = uint32(c), d
		}
	}
	ct := max(4, centroidTileKiB*1024/(4*dim)/4*4)
	var blk [8]float32
	for c0 := 0; c0 < a.k; c0 += ct {
		c1 := min(c0+ct, a.k)
		for i := lo; i < hi; i += 2 {
			x0 := data[i*dim : (i+1)*dim]
			x1, pair := x0, i+1 < hi
			if pair {
				x1 = data[(i+1)*dim : (i+2)*dim]
			}
			c := c0
			for ; c+4 <= c1; c += 4 {
				dots2x4(x0, x1, a.centroids[c*dim:(c+4)*dim], &blk)
				for j := range 4 {
					consider(i, c+j, blk[j])
					if pair {
						consider(i+1, c+j, blk[4+j])
					}
				}
			}
			// The last k mod 4 centroids: the same for every row, so a row's
			// result does not depend on how rows were paired or split.
			for ; c < c1; c++ {
				cent := a.centroids[c*dim : (c+1)*dim]
				consider(i, c, linalg.Dot(x0, cent))
				if pair {
					consider(i+1, c, linalg.Dot(x1, cent))
				}
			}
		}
	}
}

// assignTileBatch is assignTile through the one-pair kernels of linalg, for
// dimensions the blocked kernel does not take.
func (a *Assigner) assignTileBatch(data []float32, lo, hi int, labels []uint32, dists []float32) {
	ct := max(1, centroidTileKiB*1024/(4*a.dim))
	out := make([]float32, ct)
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
				if v < bestD { // strictly: ties keep the lower index
					best, bestD = uint32(c0+j), v
				}
			}
			labels[i], dists[i] = best, bestD
		}
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

// Package ivf holds the inverted-file stage of the vector index: assigning
// vectors to the partition of their nearest centroid, choosing the partitions
// a query probes, and residuals (vector − centroid).
//
// Cosine is served as Lance serves it (rust/lance-index/src/vector/ivf.rs and
// rust/lance/src/io/exec/knn.rs): vectors and queries are normalised by the
// caller and then handled with L2. Functions here therefore take cosine to
// mean L2 on vectors that are already unit length.
package ivf

import (
	"context"

	"github.com/resona-go/resona/lance/internal/index/kmeans"
	"github.com/resona-go/resona/lance/internal/knn"
	"github.com/resona-go/resona/lance/internal/linalg"
)

// SearchMetric returns the metric partitions and PQ codes are scored with
// for an index of metric m: dot stays dot, L2 and cosine become L2.
func SearchMetric(m linalg.Metric) linalg.Metric {
	if m == linalg.MetricDot {
		return linalg.MetricDot
	}
	return linalg.MetricL2
}

// UsesResidual reports whether PQ encodes vector − centroid under m: yes for
// L2 and cosine, no for dot (PQBuildParams::use_residual).
func UsesResidual(m linalg.Metric) bool { return m != linalg.MetricDot }

// Assign returns the partition of every row of data (n × dim floats): the
// nearest of the centroids (k × dim) under m, on up to w goroutines.
func Assign(ctx context.Context, m linalg.Metric, centroids []float32, dim int, data []float32, w int) ([]uint32, error) {
	a, err := kmeans.NewAssigner(SearchMetric(m), centroids, dim)
	if err != nil {
		return nil, err
	}
	parts, _, err := a.Assign(ctx, data, w)
	return parts, err
}

// Prober picks the partitions a query visits. It is read-only and safe for
// concurrent use.
type Prober struct {
	a *kmeans.Assigner
}

// NewProber prepares the centroids (k × dim floats) of an index of metric m.
func NewProber(m linalg.Metric, centroids []float32, dim int) (*Prober, error) {
	a, err := kmeans.NewAssigner(SearchMetric(m), centroids, dim)
	if err != nil {
		return nil, err
	}
	return &Prober{a: a}, nil
}

// Partitions returns the number of partitions.
func (p *Prober) Partitions() int { return p.a.K() }

// Probe returns the nprobes partitions nearest to q, nearest first; each
// Neighbor's Row is a partition number and Distance the distance from q to
// its centroid (squared L2, or 1 − dot). scratch needs Partitions floats.
func (p *Prober) Probe(q []float32, nprobes int, scratch []float32) []knn.Neighbor {
	d := scratch[:p.a.K()]
	p.a.Distances(q, d)
	t := knn.NewTopK(min(nprobes, len(d)))
	for i, v := range d {
		t.Push(v, uint64(i))
	}
	return t.Results()
}

// Residual sets dst to v − c.
func Residual(dst, v, c []float32) {
	c = c[:len(v)]
	dst = dst[:len(v)]
	for i, x := range v {
		dst[i] = x - c[i]
	}
}

// Normalize scales v in place to unit length; a zero vector is left as is.
func Normalize(v []float32) {
	n := linalg.Norm(v)
	if n == 0 {
		return
	}
	inv := 1 / n
	for i := range v {
		v[i] *= inv
	}
}

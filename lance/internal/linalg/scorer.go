package linalg

import (
	"fmt"

	"github.com/resona-go/resona/lance/internal/lanceerr"
)

// Scorer computes the Lance distance of one query vector, under one metric,
// to other vectors of the same dimension. It is a small value that is safe
// to copy and to share between goroutines.
type Scorer struct {
	metric Metric
	query  []float32
	norm   float32 // ‖query‖, used by cosine only
}

// NewScorer prepares query for metric m. The query is retained, not copied;
// it must not change while the Scorer is in use. An empty query or an
// unknown metric is an ErrInvalidArgument.
func NewScorer(m Metric, query []float32) (Scorer, error) {
	if !m.valid() {
		return Scorer{}, fmt.Errorf("%w: unknown metric %d", lanceerr.ErrInvalidArgument, int(m))
	}
	if len(query) == 0 {
		return Scorer{}, fmt.Errorf("%w: empty query vector", lanceerr.ErrInvalidArgument)
	}
	s := Scorer{metric: m, query: query}
	if m == MetricCosine {
		s.norm = Norm(query)
	}
	return s, nil
}

// Metric returns the metric s scores with.
func (s Scorer) Metric() Metric { return s.metric }

// Dim returns the query's dimension.
func (s Scorer) Dim() int { return len(s.query) }

// Distance returns the distance from the query to v. It panics if len(v)
// differs from Dim.
func (s Scorer) Distance(v []float32) float32 {
	checkSameLen(s.query, v)
	switch s.metric {
	case MetricL2:
		return active.l2(s.query, v)
	case MetricCosine:
		ab, bb := active.dotNorm(s.query, v)
		return cosineFromParts(ab, s.norm, bb)
	default:
		return 1 - active.dot(s.query, v)
	}
}

// DistanceBatch sets out[i] to the distance from the query to the i-th of
// the len(vecs)/Dim vectors stored back to back in vecs. It panics if
// len(vecs) is not a multiple of Dim or out is too short.
func (s Scorer) DistanceBatch(vecs, out []float32) {
	dim := len(s.query)
	switch s.metric {
	case MetricL2:
		L2SquaredBatch(s.query, vecs, dim, out)
	case MetricCosine:
		CosineDistanceBatch(s.query, s.norm, vecs, dim, out)
	default:
		DotBatch(s.query, vecs, dim, out)
		for i := range out[:len(vecs)/dim] {
			out[i] = 1 - out[i]
		}
	}
}

package resona

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/resona-go/resona/lance"
	"github.com/resona-go/resona/provider"
)

// DefaultK is the number of results when k is 0.
const DefaultK = 10

// candidateFactor is how many rows a search first asks for per result:
// several chunks of one item may be among the nearest rows.
const candidateFactor = 5

// SearchResult is one item found by a search.
//
// Similarity is NOT a cosine similarity: it is 1 − Distance, the figure
// TypeScript Resona reports, kept so that both rank and threshold results
// alike. Under the default MetricL2, Distance is the squared euclidean
// distance, so for unit-length vectors Similarity = 2·cos(θ) − 1: 1 for
// the same direction, 0 at cos(θ) = ½, −1 for orthogonal (unrelated)
// vectors and −3 for opposite ones. Negative values are normal; show it
// under a name that says what it is (the resona CLI prints "1 − L2²").
type SearchResult struct {
	// ID is the item's id; hits on chunks "<id>#n" are reported as <id>.
	ID string
	// Distance is the engine's distance of the best-matching row (for
	// MetricL2 the squared euclidean distance, as LanceDB reports it; for
	// MetricCosine 1 − cos(θ)).
	Distance float64
	// Similarity is 1 − Distance, as TypeScript Resona reports it; higher
	// is more similar. See the type's documentation: under MetricL2 it is
	// 2·cos(θ) − 1 for unit vectors, in [−3, 1]; under MetricCosine it is
	// cos(θ).
	Similarity float64
	// ContextText is the embedded text of the best-matching row (for a
	// chunked item, that chunk).
	ContextText string
	// Metadata is the item's decoded metadata (nil when none).
	Metadata map[string]any
}

// Search embeds query (with the provider's query embedding when it has
// one) and returns the k items nearest to it, best first.
func (s *EmbeddingService) Search(ctx context.Context, query string, k int) ([]SearchResult, error) {
	if strings.TrimSpace(query) == "" {
		return nil, fmt.Errorf("%w: empty search query", ErrInvalidItem)
	}
	var vecs [][]float32
	var err error
	if qe, ok := s.p.(provider.QueryEmbedder); ok {
		vecs, err = qe.EmbedQuery(ctx, []string{query})
	} else {
		vecs, err = s.p.Embed(ctx, []string{query})
	}
	if err != nil {
		return nil, fmt.Errorf("resona: embed query: %w", err)
	}
	if len(vecs) != 1 {
		return nil, fmt.Errorf("%w: provider %s returned %d vectors for one query", ErrInvalidVector, s.p.Name(), len(vecs))
	}
	return s.SearchVector(ctx, vecs[0], k)
}

// SearchVector returns the k items nearest to vec, best first. Chunk hits
// collapse to their item, keeping the best chunk; more rows are fetched
// until k distinct items are found or the table is exhausted. Once
// Maintain has built a vector index the engine searches through it
// (approximately, with the candidates re-ranked by exact distance; rows
// added since are scanned exactly), so a near neighbour may on rare
// occasions be missed; without one every row is scanned.
func (s *EmbeddingService) SearchVector(ctx context.Context, vec []float32, k int) ([]SearchResult, error) {
	if k <= 0 {
		k = DefaultK
	}
	if err := checkVector(vec, s.p.Dimensions()); err != nil {
		return nil, fmt.Errorf("resona: search: %w", err)
	}
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	if s.ds == nil {
		return nil, nil
	}
	total, err := s.ds.CountRows(ctx)
	if err != nil {
		return nil, fmt.Errorf("resona: search: %w", err)
	}
	limit := k * candidateFactor
	for {
		rec, err := s.ds.Search(ctx, lance.SearchOptions{
			Column: colVector, Query: vec, K: limit, Metric: s.opts.Metric,
			Columns: []string{colID, colContextText, colMetadata},
		})
		if err != nil {
			return nil, fmt.Errorf("resona: search: %w", err)
		}
		results, err := collapse(rec)
		rows := int(rec.NumRows())
		rec.Release()
		if err != nil {
			return nil, err
		}
		if len(results) >= k || rows < limit || int64(limit) >= total {
			if len(results) > k {
				results = results[:k]
			}
			return results, nil
		}
		limit *= 2
	}
}

// collapse keeps the best row per base id, best first (ties by id).
func collapse(rec arrow.RecordBatch) ([]SearchResult, error) {
	c := columns{rec}
	dist, ok := c.col("_distance").(*array.Float32)
	if !ok {
		return nil, fmt.Errorf("resona: search result has no float32 _distance column")
	}
	best := map[string]int{}
	var out []SearchResult
	for i := range int(rec.NumRows()) {
		if !dist.IsValid(i) {
			continue
		}
		d := float64(dist.Value(i))
		id := BaseID(c.str(colID, i))
		if j, ok := best[id]; ok {
			if d < out[j].Distance {
				out[j].Distance, out[j].Similarity = d, 1-d
				out[j].ContextText = c.str(colContextText, i)
				out[j].Metadata = decodeMetadata(c.str(colMetadata, i))
			}
			continue
		}
		best[id] = len(out)
		out = append(out, SearchResult{
			ID: id, Distance: d, Similarity: 1 - d,
			ContextText: c.str(colContextText, i), Metadata: decodeMetadata(c.str(colMetadata, i)),
		})
	}
	sort.SliceStable(out, func(a, b int) bool {
		if out[a].Distance != out[b].Distance {
			return out[a].Distance < out[b].Distance
		}
		return out[a].ID < out[b].ID
	})
	return out, nil
}

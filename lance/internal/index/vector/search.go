package vector

import (
	"context"
	"fmt"
	"slices"

	"github.com/resona-go/resona/lance/internal/index/ivf"
	"github.com/resona-go/resona/lance/internal/knn"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/linalg"
)

// SearchParams tune one query.
type SearchParams struct {
	K int // results wanted; must be positive
	// NProbes is the number of partitions scanned; 0 means DefaultNProbes.
	NProbes int
	// RefineFactor > 0 keeps K·RefineFactor PQ candidates and re-ranks them
	// by exact distance over vectors from the fetch callback; 0 returns the
	// PQ distances. Negative means DefaultRefineFactor.
	RefineFactor int
}

// FetchFunc returns the original vectors of rows, back to back in the order
// asked (len(rows) × Dim floats).
type FetchFunc func(ctx context.Context, rows []uint64) ([]float32, error)

// Search returns the K nearest rows to q, nearest first.
//
// Distances are exact Lance distances of the index's metric when refining
// (squared L2, 1 − cos, 1 − dot, as in flat search). Without refining they
// are the PQ approximations LanceDB reports for a v3 index (checked against
// 0.39): squared L2 for L2, squared L2 between the normalised query and the
// reconstruction for cosine, 1 − dot for dot.
func (ix *Index) Search(ctx context.Context, q []float32, p SearchParams, fetch FetchFunc) ([]knn.Neighbor, error) {
	if err := ix.prepare(); err != nil {
		return nil, err
	}
	if len(q) != ix.Dim {
		return nil, fmt.Errorf("%w: query has %d dimensions, index %d",
			lanceerr.ErrDimensionMismatch, len(q), ix.Dim)
	}
	if p.K <= 0 {
		return nil, fmt.Errorf("%w: k must be positive, got %d", lanceerr.ErrInvalidArgument, p.K)
	}
	nprobes := p.NProbes
	if nprobes <= 0 {
		nprobes = DefaultNProbes
	}
	refine := p.RefineFactor
	if refine < 0 {
		refine = DefaultRefineFactor
	}
	if refine > 0 && fetch == nil {
		return nil, fmt.Errorf("%w: refining needs a fetch function", lanceerr.ErrInvalidArgument)
	}

	qs := q
	if ix.Metric == linalg.MetricCosine {
		qs = slices.Clone(q)
		ivf.Normalize(qs)
	}
	sc := ix.scratch.Get().(*searchScratch)
	defer ix.scratch.Put(sc)
	sc.probe = slices.Grow(sc.probe[:0], ix.prober.Partitions())[:ix.prober.Partitions()]
	probes := ix.prober.Probe(qs, nprobes, sc.probe)

	cb := ix.Codebook
	sc.table = slices.Grow(sc.table[:0], cb.M*cb.NumCentroids())[:cb.M*cb.NumCentroids()]
	table := sc.table
	residual := ivf.UsesResidual(ix.Metric)
	var err error
	if residual {
		err = cb.TableInner(qs, -2, table)
	} else {
		err = cb.TableDot(qs, table)
	}
	if err != nil {
		return nil, err
	}
	cands := knn.NewTopK(p.K * max(refine, 1))
	dist := sc.dist
	defer func() { sc.dist = dist }()
	for _, pr := range probes {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		part, err := ix.partition(ctx, int(pr.Row))
		if err != nil {
			return nil, err
		}
		dist = slices.Grow(dist[:0], len(part.RowIDs))[:len(part.RowIDs)]
		if residual {
			// ‖q − c − y‖² = ‖q − c‖² + (‖y‖² + 2c·y) − 2q·y
			sc.terms = slices.Grow(sc.terms[:0], len(table))[:len(table)]
			terms, err := ix.partitionRowTerms(int(pr.Row), part, sc.terms)
			if err != nil {
				return nil, err
			}
			for i, t := range terms {
				dist[i] = pr.Distance + t
			}
		} else {
			corr := -cb.DotCorrection()
			for i := range dist {
				dist[i] = corr
			}
		}
		cb.ScanTransposed(table, part.Codes, dist)
		for i, d := range dist {
			cands.Push(d, part.RowIDs[i])
		}
	}
	res := cands.Results()
	if refine == 0 || len(res) == 0 {
		return res, nil
	}
	return rerank(ctx, ix.Metric, q, res, p.K, fetch)
}

// searchScratch is the per-query working memory, pooled because the PQ
// table alone is M × 256 floats (128 KiB for 128 sub-vectors).
type searchScratch struct {
	probe, table, dist, terms []float32
}

// rerank scores candidates by exact distance and keeps the best k.
func rerank(ctx context.Context, m linalg.Metric, q []float32, cands []knn.Neighbor, k int, fetch FetchFunc) ([]knn.Neighbor, error) {
	rows := make([]uint64, len(cands))
	for i, c := range cands {
		rows[i] = c.Row
	}
	vecs, err := fetch(ctx, rows)
	if err != nil {
		return nil, err
	}
	if len(vecs) != len(rows)*len(q) {
		return nil, fmt.Errorf("%w: fetch returned %d floats for %d rows of dimension %d",
			lanceerr.ErrDimensionMismatch, len(vecs), len(rows), len(q))
	}
	s, err := linalg.NewScorer(m, q)
	if err != nil {
		return nil, err
	}
	d := make([]float32, len(rows))
	s.DistanceBatch(vecs, d)
	top := knn.NewTopK(k)
	for i, v := range d {
		top.Push(v, rows[i])
	}
	return top.Results(), nil
}

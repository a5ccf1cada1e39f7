package vector

import (
	"fmt"
	"sync"

	"github.com/resona-go/resona/lance/internal/index/ivf"
	"github.com/resona-go/resona/lance/internal/index/pq"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/linalg"
)

// Index is an IVF_PQ index in memory, independent of any file layout: what
// Lance's index.idx (centroids) and auxiliary.idx (codebook, row ids, codes)
// hold between them.
type Index struct {
	Metric    linalg.Metric // metric the index was built for and reports
	Dim       int
	Centroids []float32    // partitions × Dim, row-major (normalised space for cosine)
	Codebook  *pq.Codebook // trained on residuals for L2 and cosine, on vectors for dot
	// Partitions hold the rows of each centroid, in order.
	Partitions []Partition
	// Loss is the summed distance of every row to its centroid, which
	// Lance records in the IVF message; informational only.
	Loss float64

	once    sync.Once
	prepErr error
	prober  *ivf.Prober
	// normTerms[j·k+c] is ‖yⱼ꜀‖² of sub-vector centroid c of sub-space j.
	normTerms []float32
	// rowTerms hold per partition and row ‖y‖² + 2 c·y of its decoded
	// residual y, computed when the partition is first probed: a fresh
	// process answers its first query without a pass over every row.
	rowTerms []partitionTerms
	scratch  sync.Pool // of *searchScratch
}

type partitionTerms struct {
	once  sync.Once
	terms []float32
	err   error
}

// Partition is the content of one IVF partition.
type Partition struct {
	RowIDs []uint64 // row addresses (or stable row ids) of the partition's rows
	// Codes are the rows' PQ codes, transposed as Lance stores them:
	// Codebook.M blocks of len(RowIDs) bytes, block j holding sub-vector j.
	Codes []byte
}

// Len returns the number of rows indexed.
func (ix *Index) Len() int {
	n := 0
	for _, p := range ix.Partitions {
		n += len(p.RowIDs)
	}
	return n
}

// Validate checks that the model's parts agree, so that a model assembled
// from files can be searched without out-of-range accesses.
func (ix *Index) Validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: ivf_pq: "+format, append([]any{lanceerr.ErrInvalidArgument}, args...)...)
	}
	switch ix.Metric {
	case linalg.MetricL2, linalg.MetricCosine, linalg.MetricDot:
	default:
		return bad("unknown metric %v", ix.Metric)
	}
	if ix.Dim <= 0 {
		return bad("dimension %d", ix.Dim)
	}
	if len(ix.Partitions) == 0 || len(ix.Centroids) != len(ix.Partitions)*ix.Dim {
		return bad("%d centroid floats for %d partitions of dimension %d",
			len(ix.Centroids), len(ix.Partitions), ix.Dim)
	}
	if ix.Codebook == nil {
		return bad("no codebook")
	}
	if err := ix.Codebook.Validate(); err != nil {
		return err
	}
	if ix.Codebook.Dim != ix.Dim {
		return bad("codebook dimension %d, index dimension %d", ix.Codebook.Dim, ix.Dim)
	}
	limit := ix.Codebook.NumCentroids()
	for i, p := range ix.Partitions {
		if len(p.Codes) != len(p.RowIDs)*ix.Codebook.M {
			return bad("partition %d: %d code bytes for %d rows of %d sub-vectors",
				i, len(p.Codes), len(p.RowIDs), ix.Codebook.M)
		}
		if limit < 256 {
			for _, c := range p.Codes {
				if int(c) >= limit {
					return bad("partition %d: code %d out of range for %d-bit PQ", i, c, ix.Codebook.NBits)
				}
			}
		}
	}
	return nil
}

// prepare validates the model and derives what searching needs. It runs
// once; a model must not change after its first search.
func (ix *Index) prepare() error {
	ix.once.Do(func() {
		ix.scratch.New = func() any { return new(searchScratch) }
		if ix.prepErr = ix.Validate(); ix.prepErr != nil {
			return
		}
		ix.prober, ix.prepErr = ivf.NewProber(ix.Metric, ix.Centroids, ix.Dim)
		if ix.prepErr != nil || !ivf.UsesResidual(ix.Metric) {
			return
		}
		ix.normTerms = centroidNorms(ix.Codebook)
		ix.rowTerms = make([]partitionTerms, len(ix.Partitions))
	})
	return ix.prepErr
}

// centroidNorms returns ‖y‖² of every sub-vector centroid, sub-space by
// sub-space.
func centroidNorms(cb *pq.Codebook) []float32 {
	k := cb.NumCentroids()
	norms := make([]float32, cb.M*k)
	sub := cb.SubDim()
	for j := range cb.M {
		cents := cb.Sub(j)
		for c := range k {
			norms[j*k+c] = linalg.NormSquared(cents[c*sub : (c+1)*sub])
		}
	}
	return norms
}

// partitionRowTerms returns, for every row of partition p, Σⱼ ‖yⱼ‖² + 2 cₚⱼ·yⱼ
// over the row's sub-vector centroids yⱼ. With it the residual distance
// ‖q − cₚ − y‖² = ‖q − cₚ‖² + term − 2 q·y needs only one query table for all
// probed partitions instead of one per partition. table is scratch space of
// M × 256 floats. Safe for concurrent use after prepare.
func (ix *Index) partitionRowTerms(p int, table []float32) ([]float32, error) {
	pt := &ix.rowTerms[p]
	pt.once.Do(func() {
		cb := ix.Codebook
		if pt.err = cb.TableInner(ix.Centroids[p*ix.Dim:(p+1)*ix.Dim], 2, table); pt.err != nil {
			return
		}
		for i, v := range ix.normTerms {
			table[i] += v
		}
		pt.terms = make([]float32, len(ix.Partitions[p].RowIDs))
		cb.ScanTransposed(table, ix.Partitions[p].Codes, pt.terms)
	})
	return pt.terms, pt.err
}

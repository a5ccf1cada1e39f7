package vector

import (
	"context"
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

	// load, set by NewLazy, reads a partition's rows when a search first
	// probes it; Partitions is then nil and partLens holds the partitions'
	// row counts.
	load     PartitionLoader
	partLens []int
	loaded   []lazyPartition
}

// PartitionLoader reads the rows of partition p.
type PartitionLoader func(ctx context.Context, p int) (Partition, error)

type lazyPartition struct {
	mu   sync.Mutex
	part *Partition
}

// NewLazy returns an index whose partitions are read by load the first
// time a search probes them, so that a process answering one query reads
// a few partitions instead of every row. partLens are the partitions' row
// counts. Only Search, Len and NumPartitions may be used on it: its
// Partitions field is nil.
func NewLazy(metric linalg.Metric, dim int, centroids []float32, cb *pq.Codebook, partLens []int, loss float64, load PartitionLoader) (*Index, error) {
	ix := &Index{Metric: metric, Dim: dim, Centroids: centroids, Codebook: cb, Loss: loss,
		load: load, partLens: partLens, loaded: make([]lazyPartition, len(partLens))}
	if err := ix.Validate(); err != nil {
		return nil, err
	}
	return ix, nil
}

// NumPartitions is the number of IVF partitions.
func (ix *Index) NumPartitions() int {
	if ix.load != nil {
		return len(ix.partLens)
	}
	return len(ix.Partitions)
}

// partition returns partition p, reading it first for a lazy index. A
// failed read is retried by the next caller.
func (ix *Index) partition(ctx context.Context, p int) (Partition, error) {
	if ix.load == nil {
		return ix.Partitions[p], nil
	}
	lp := &ix.loaded[p]
	lp.mu.Lock()
	defer lp.mu.Unlock()
	if lp.part != nil {
		return *lp.part, nil
	}
	part, err := ix.load(ctx, p)
	if err != nil {
		return Partition{}, err
	}
	if err := ix.validatePartition(p, part, ix.partLens[p]); err != nil {
		return Partition{}, err
	}
	lp.part = &part
	return part, nil
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
	if ix.load != nil {
		for _, l := range ix.partLens {
			n += l
		}
		return n
	}
	for _, p := range ix.Partitions {
		n += len(p.RowIDs)
	}
	return n
}

// Validate checks that the model's parts agree, so that a model assembled
// from files can be searched without out-of-range accesses.
func (ix *Index) Validate() error {
	switch ix.Metric {
	case linalg.MetricL2, linalg.MetricCosine, linalg.MetricDot:
	default:
		return invalid("unknown metric %v", ix.Metric)
	}
	if ix.Dim <= 0 {
		return invalid("dimension %d", ix.Dim)
	}
	parts := ix.NumPartitions()
	if parts == 0 || len(ix.Centroids) != parts*ix.Dim {
		return invalid("%d centroid floats for %d partitions of dimension %d",
			len(ix.Centroids), parts, ix.Dim)
	}
	if ix.Codebook == nil {
		return invalid("no codebook")
	}
	if err := ix.Codebook.Validate(); err != nil {
		return err
	}
	if ix.Codebook.Dim != ix.Dim {
		return invalid("codebook dimension %d, index dimension %d", ix.Codebook.Dim, ix.Dim)
	}
	if ix.load != nil {
		for i, l := range ix.partLens {
			if l < 0 {
				return invalid("partition %d of %d rows", i, l)
			}
		}
		return nil // partitions are checked as they are read
	}
	for i, p := range ix.Partitions {
		if err := ix.validatePartition(i, p, len(p.RowIDs)); err != nil {
			return err
		}
	}
	return nil
}

// validatePartition checks that partition i holds rows rows with a code
// per sub-vector each, every code within the codebook.
func (ix *Index) validatePartition(i int, p Partition, rows int) error {
	if len(p.RowIDs) != rows || len(p.Codes) != len(p.RowIDs)*ix.Codebook.M {
		return invalid("partition %d: %d row ids and %d code bytes for %d rows of %d sub-vectors",
			i, len(p.RowIDs), len(p.Codes), rows, ix.Codebook.M)
	}
	if limit := ix.Codebook.NumCentroids(); limit < 256 {
		for _, c := range p.Codes {
			if int(c) >= limit {
				return invalid("partition %d: code %d out of range for %d-bit PQ", i, c, ix.Codebook.NBits)
			}
		}
	}
	return nil
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: ivf_pq: "+format, append([]any{lanceerr.ErrInvalidArgument}, args...)...)
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
		ix.rowTerms = make([]partitionTerms, ix.NumPartitions())
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
func (ix *Index) partitionRowTerms(p int, part Partition, table []float32) ([]float32, error) {
	pt := &ix.rowTerms[p]
	pt.once.Do(func() {
		cb := ix.Codebook
		if pt.err = cb.TableInner(ix.Centroids[p*ix.Dim:(p+1)*ix.Dim], 2, table); pt.err != nil {
			return
		}
		for i, v := range ix.normTerms {
			table[i] += v
		}
		pt.terms = make([]float32, len(part.RowIDs))
		cb.ScanTransposed(table, part.Codes, pt.terms)
	})
	return pt.terms, pt.err
}

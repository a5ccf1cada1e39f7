package knn

import (
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/linalg"
)

// Block is a run of vectors stored back to back, as one page of a Lance
// vector column decodes, with the rows they belong to.
type Block struct {
	// Vectors holds n vectors of the scorer's dimension.
	Vectors []float32
	// Rows[i] is the row of vector i. When Rows is nil, vector i belongs to
	// row FirstRow+i, which suits a page of consecutive row addresses.
	Rows     []uint64
	FirstRow uint64
	// Skip, when set, is asked about each vector by its index in the block
	// before it is scored; true leaves it out (a deleted or filtered-out
	// row). ScanParallel calls it from several goroutines at once.
	Skip func(i int) bool
}

// chunkFloats is how many float32 values a scan scores per batch call and a
// parallel worker claims at a time: 64 KiB of vectors, big enough to amortise
// the hand-off and small enough to balance two busy cores.
const chunkFloats = 16 << 10

// Scan scores every vector of b against the scorer's query and offers it to
// t. Vectors whose length is not a multiple of the dimension are an
// ErrDimensionMismatch; Rows of the wrong length an ErrInvalidArgument.
func Scan(t *TopK, s linalg.Scorer, b Block) error {
	n, err := rowsIn(s, b)
	if err != nil {
		return err
	}
	scanRange(t, s, b, 0, n, make([]float32, chunkRows(s.Dim())))
	return nil
}

// ScanParallel is [Scan] spread over up to workers goroutines
// (runtime.GOMAXPROCS when workers < 1). Each keeps its own TopK; they are
// merged into t at the end, so the result equals that of Scan.
func ScanParallel(t *TopK, s linalg.Scorer, b Block, workers int) error {
	n, err := rowsIn(s, b)
	if err != nil {
		return err
	}
	if workers < 1 {
		workers = runtime.GOMAXPROCS(0)
	}
	per := chunkRows(s.Dim())
	chunks := (n + per - 1) / per
	workers = min(workers, chunks)
	if workers <= 1 {
		scanRange(t, s, b, 0, n, make([]float32, per))
		return nil
	}
	var next atomic.Int64
	local := make([]*TopK, workers)
	var wg sync.WaitGroup
	for w := range local {
		local[w] = NewTopK(t.k)
		wg.Go(func() {
			buf := make([]float32, per)
			for {
				c := int(next.Add(1) - 1)
				if c >= chunks {
					return
				}
				scanRange(local[w], s, b, c*per, min((c+1)*per, n), buf)
			}
		})
	}
	wg.Wait()
	for _, l := range local {
		t.Merge(l)
	}
	return nil
}

func rowsIn(s linalg.Scorer, b Block) (int, error) {
	dim := s.Dim()
	if dim == 0 {
		return 0, fmt.Errorf("%w: knn: scorer has no query", lanceerr.ErrInvalidArgument)
	}
	if len(b.Vectors)%dim != 0 {
		return 0, fmt.Errorf("%w: knn: %d values do not split into vectors of %d",
			lanceerr.ErrDimensionMismatch, len(b.Vectors), dim)
	}
	n := len(b.Vectors) / dim
	if b.Rows != nil && len(b.Rows) != n {
		return 0, fmt.Errorf("%w: knn: %d row addresses for %d vectors",
			lanceerr.ErrInvalidArgument, len(b.Rows), n)
	}
	return n, nil
}

func chunkRows(dim int) int { return max(1, chunkFloats/dim) }

// scanRange offers vectors lo..hi-1 of a validated block to t, scoring up
// to len(buf) of them per batch call.
func scanRange(t *TopK, s linalg.Scorer, b Block, lo, hi int, buf []float32) {
	dim := s.Dim()
	row := func(i int) uint64 {
		if b.Rows != nil {
			return b.Rows[i]
		}
		return b.FirstRow + uint64(i)
	}
	if b.Skip != nil {
		for i := lo; i < hi; i++ {
			if !b.Skip(i) {
				t.Push(s.Distance(b.Vectors[i*dim:(i+1)*dim]), row(i))
			}
		}
		return
	}
	for start := lo; start < hi; start += len(buf) {
		end := min(start+len(buf), hi)
		d := buf[:end-start]
		s.DistanceBatch(b.Vectors[start*dim:end*dim], d)
		for j, v := range d {
			t.Push(v, row(start+j))
		}
	}
}

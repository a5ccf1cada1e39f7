package vector

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/resona-go/resona/lance/internal/index/internal/workers"
	"github.com/resona-go/resona/lance/internal/index/ivf"
	"github.com/resona-go/resona/lance/internal/index/kmeans"
	"github.com/resona-go/resona/lance/internal/index/pq"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/linalg"
)

// Batch is a run of rows handed to the builder.
type Batch struct {
	RowIDs  []uint64
	Vectors []float32 // len(RowIDs) × Dim, row-major
}

// Source yields the vectors to index. Build reads it twice: once to collect
// the training sample and once to encode every row; both passes must yield
// the same rows in the same order. Batches may be reused by the source after
// the callback returns.
type Source interface {
	Len() int
	Dim() int
	Scan(ctx context.Context, fn func(Batch) error) error
}

// SliceSource serves vectors held in memory (n × dim floats) in batches of
// batchRows (0 means 8192). rowIDs may be nil for row ids 0..n-1.
func SliceSource(vectors []float32, dim int, rowIDs []uint64, batchRows int) Source {
	return &sliceSource{vectors: vectors, dim: dim, ids: rowIDs, batch: batchRows}
}

type sliceSource struct {
	vectors []float32
	dim     int
	ids     []uint64
	batch   int
}

func (s *sliceSource) Len() int { return len(s.vectors) / max(s.dim, 1) }
func (s *sliceSource) Dim() int { return s.dim }

func (s *sliceSource) Scan(ctx context.Context, fn func(Batch) error) error {
	n, step := s.Len(), s.batch
	if step <= 0 {
		step = 8192
	}
	ids := make([]uint64, 0, step)
	for lo := 0; lo < n; lo += step {
		if err := ctx.Err(); err != nil {
			return err
		}
		hi := min(lo+step, n)
		b := Batch{Vectors: s.vectors[lo*s.dim : hi*s.dim]}
		if s.ids != nil {
			b.RowIDs = s.ids[lo:hi]
		} else {
			ids = ids[:0]
			for i := lo; i < hi; i++ {
				ids = append(ids, uint64(i))
			}
			b.RowIDs = ids
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	return nil
}

// Stage names a step of Build for progress reports.
type Stage string

const (
	StageSample Stage = "sample" // reading the training sample
	StageIVF    Stage = "ivf"    // k-means of the partition centroids; Step is the iteration
	StagePQ     Stage = "pq"     // codebook training; Step is sub-vectors done
	StageEncode Stage = "encode" // assigning and encoding rows; Step is rows done
)

// Event is one progress report.
type Event struct {
	Stage       Stage
	Step, Total int
	Loss        float64 // k-means loss, for StageIVF
}

// BuildOptions tune Build. Zero fields take the defaults documented on each.
type BuildOptions struct {
	Metric linalg.Metric
	// Partitions is the number of IVF partitions; 0 means DefaultPartitions.
	Partitions int
	// SubVectors is the number of PQ sub-vectors; 0 means DefaultSubVectors.
	SubVectors int
	// NBits is 8 (default) or 4.
	NBits int
	// IVFSampleRate is training rows per partition; 0 means 256 (Lance's).
	IVFSampleRate int
	// IVFMaxIters caps the IVF k-means iterations; 0 means DefaultIVFMaxIters.
	IVFMaxIters int
	// IVFTolerance stops IVF k-means early; 0 means 1e-4.
	IVFTolerance float64
	// IVFInit chooses the IVF k-means seeding.
	IVFInit kmeans.Init
	// PQSampleSize is rows for codebook training; 0 means DefaultPQSampleSize.
	PQSampleSize int
	// PQMaxIters caps each sub-vector k-means; 0 means DefaultPQMaxIters.
	PQMaxIters int
	Seed       uint64
	Workers    int // ≤ 0 means GOMAXPROCS
	Progress   func(Event)
}

// BuildStats reports where Build spent its time.
type BuildStats struct {
	Sample, IVF, PQ, Encode time.Duration
	IVFIters                int
	IVFLoss                 float64
}

// Build trains and fills an IVF_PQ index over every row of src.
func Build(ctx context.Context, src Source, opts BuildOptions) (*Index, *BuildStats, error) {
	n, dim := src.Len(), src.Dim()
	o, err := resolve(opts, n, dim)
	if err != nil {
		return nil, nil, err
	}
	stats := &BuildStats{}
	report := func(e Event) {
		if o.Progress != nil {
			o.Progress(e)
		}
	}

	// Pass 1: one random sample serves both trainings.
	t0 := time.Now()
	ivfRows := min(n, o.Partitions*o.IVFSampleRate)
	sampleRows := min(n, max(ivfRows, o.PQSampleSize))
	sample, err := sampleRowsOf(ctx, src, sampleRows, o.Seed)
	if err != nil {
		return nil, nil, err
	}
	if o.Metric == linalg.MetricCosine {
		normalizeRows(sample, dim)
	}
	report(Event{Stage: StageSample, Step: sampleRows, Total: sampleRows})
	stats.Sample = time.Since(t0)

	t0 = time.Now()
	km, err := kmeans.Train(ctx, kmeans.Sample(sample, dim, ivfRows, o.Seed+1), dim, o.Partitions, kmeans.Options{
		Metric:    ivf.SearchMetric(o.Metric),
		MaxIters:  o.IVFMaxIters,
		Tolerance: o.IVFTolerance,
		Init:      o.IVFInit,
		Seed:      o.Seed + 2,
		Workers:   o.Workers,
		Progress: func(it int, loss float64) {
			report(Event{Stage: StageIVF, Step: it, Total: o.IVFMaxIters, Loss: loss})
		},
	})
	if err != nil {
		return nil, nil, err
	}
	stats.IVF, stats.IVFIters, stats.IVFLoss = time.Since(t0), km.Iters, km.Loss

	t0 = time.Now()
	pqData := kmeans.Sample(sample, dim, o.PQSampleSize, o.Seed+3)
	if ivf.UsesResidual(o.Metric) {
		pqData, err = residuals(ctx, o.Metric, km.Centroids, dim, slices.Clone(pqData), o.Workers)
		if err != nil {
			return nil, nil, err
		}
	}
	cb, err := pq.Train(ctx, pqData, dim, pq.Params{
		M: o.SubVectors, NBits: o.NBits, SampleSize: o.PQSampleSize,
		MaxIters: o.PQMaxIters, Seed: o.Seed + 4, Workers: o.Workers,
		Progress: func(done, total int) {
			report(Event{Stage: StagePQ, Step: done, Total: total})
		},
	})
	if err != nil {
		return nil, nil, err
	}
	stats.PQ = time.Since(t0)

	// Pass 2: assign and encode every row.
	t0 = time.Now()
	ix := &Index{Metric: o.Metric, Dim: dim, Centroids: km.Centroids, Codebook: cb,
		Partitions: make([]Partition, o.Partitions)}
	rowCodes := make([][]byte, o.Partitions) // row-major until transposed
	assigner, err := kmeans.NewAssigner(ivf.SearchMetric(o.Metric), km.Centroids, dim)
	if err != nil {
		return nil, nil, err
	}
	done := 0
	var buf []float32
	err = src.Scan(ctx, func(b Batch) error {
		rows := len(b.RowIDs)
		if len(b.Vectors) != rows*dim {
			return fmt.Errorf("%w: ivf_pq: batch of %d rows has %d floats (dimension %d)",
				lanceerr.ErrDimensionMismatch, rows, len(b.Vectors), dim)
		}
		buf = append(buf[:0], b.Vectors...)
		if o.Metric == linalg.MetricCosine {
			normalizeRows(buf, dim)
		}
		parts, dists, err := assigner.Assign(ctx, buf, o.Workers)
		if err != nil {
			return err
		}
		for _, d := range dists {
			ix.Loss += float64(d)
		}
		if ivf.UsesResidual(o.Metric) {
			for i, p := range parts {
				row := buf[i*dim : (i+1)*dim]
				ivf.Residual(row, row, km.Centroids[int(p)*dim:(int(p)+1)*dim])
			}
		}
		codes, err := cb.Encode(ctx, buf, o.Workers)
		if err != nil {
			return err
		}
		m := cb.M
		for i, p := range parts {
			ix.Partitions[p].RowIDs = append(ix.Partitions[p].RowIDs, b.RowIDs[i])
			rowCodes[p] = append(rowCodes[p], codes[i*m:(i+1)*m]...)
		}
		done += rows
		report(Event{Stage: StageEncode, Step: done, Total: n})
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	for p := range ix.Partitions {
		ix.Partitions[p].Codes = pq.Transpose(rowCodes[p], cb.M)
		rowCodes[p] = nil
	}
	stats.Encode = time.Since(t0)
	if err := ix.prepare(); err != nil {
		return nil, nil, err
	}
	return ix, stats, nil
}

// resolve fills defaults and checks the options against the data.
func resolve(o BuildOptions, n, dim int) (BuildOptions, error) {
	bad := func(format string, args ...any) (BuildOptions, error) {
		return o, fmt.Errorf("%w: ivf_pq: "+format, append([]any{lanceerr.ErrInvalidArgument}, args...)...)
	}
	if dim <= 0 {
		return bad("dimension %d", dim)
	}
	if o.Partitions == 0 {
		o.Partitions = DefaultPartitions(n)
	}
	if o.SubVectors == 0 {
		o.SubVectors = DefaultSubVectors(dim)
	}
	if o.NBits == 0 {
		o.NBits = 8
	}
	if o.IVFSampleRate <= 0 {
		o.IVFSampleRate = 256
	}
	if o.IVFMaxIters <= 0 {
		o.IVFMaxIters = DefaultIVFMaxIters
	}
	if o.PQSampleSize <= 0 {
		o.PQSampleSize = DefaultPQSampleSize
	}
	if o.PQMaxIters <= 0 {
		o.PQMaxIters = DefaultPQMaxIters
	}
	if o.Partitions < 1 || o.Partitions > n {
		return bad("%d partitions for %d rows", o.Partitions, n)
	}
	if o.SubVectors < 1 || dim%o.SubVectors != 0 {
		return bad("%d sub-vectors do not divide dimension %d", o.SubVectors, dim)
	}
	if o.NBits != 4 && o.NBits != 8 {
		return bad("nbits %d (want 4 or 8)", o.NBits)
	}
	if n < 1<<o.NBits {
		return bad("%d rows cannot train %d PQ centroids", n, 1<<o.NBits)
	}
	return o, nil
}

// DefaultPartitions returns the number of IVF partitions used when none is
// given: about √n, at least 1. Rows scanned per query then grow as
// nprobes·√n; on the 150k benchmark √n = 387 partitions gave the best
// recall for the time of the sizes tried (64, 128, 256, 387).
func DefaultPartitions(n int) int {
	return max(1, int(math.Round(math.Sqrt(float64(n)))))
}

// DefaultSubVectors returns the number of PQ sub-vectors used when none is
// given: dim/8 when 8 divides dim, else the largest divisor of dim not above
// dim/8, at least 1. Sub-vectors of 8 floats gave the best recall before
// refining of the sizes tried short of 4 floats, which doubles code size and
// scan time for little gain (TUNING.md).
func DefaultSubVectors(dim int) int {
	for m := max(dim/8, 1); m > 1; m-- {
		if dim%m == 0 {
			return m
		}
	}
	return 1
}

// sampleRowsOf reads m random rows of src, in row order.
func sampleRowsOf(ctx context.Context, src Source, m int, seed uint64) ([]float32, error) {
	n, dim := src.Len(), src.Dim()
	rng := rand.New(rand.NewPCG(seed, 0x5851f42d4c957f2d))
	idx := rng.Perm(n)[:m]
	slices.Sort(idx)
	out := make([]float32, 0, m*dim)
	base, next := 0, 0
	err := src.Scan(ctx, func(b Batch) error {
		rows := len(b.Vectors) / dim
		for next < len(idx) && idx[next] < base+rows {
			r := idx[next] - base
			out = append(out, b.Vectors[r*dim:(r+1)*dim]...)
			next++
		}
		base += rows
		return nil
	})
	if err != nil {
		return nil, err
	}
	if next != len(idx) {
		return nil, fmt.Errorf("%w: ivf_pq: source yielded %d rows, announced %d",
			lanceerr.ErrInvalidArgument, base, n)
	}
	return out, nil
}

func normalizeRows(data []float32, dim int) {
	for i := 0; i+dim <= len(data); i += dim {
		ivf.Normalize(data[i : i+dim])
	}
}

// residuals replaces every row of data by row − its nearest centroid.
func residuals(ctx context.Context, m linalg.Metric, cents []float32, dim int, data []float32, w int) ([]float32, error) {
	parts, err := ivf.Assign(ctx, m, cents, dim, data, w)
	if err != nil {
		return nil, err
	}
	err = workers.Range(ctx, len(parts), 1024, w, func(lo, hi int) {
		for i := lo; i < hi; i++ {
			row := data[i*dim : (i+1)*dim]
			ivf.Residual(row, row, cents[int(parts[i])*dim:(int(parts[i])+1)*dim])
		}
	})
	return data, err
}

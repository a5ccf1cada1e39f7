// Package pq implements product quantisation as Lance's IVF_PQ index uses
// it (rust/lance-index/src/vector/pq/): a vector of dim floats is cut into M
// sub-vectors of dim/M floats, each replaced by the index of its nearest
// centroid among 2^NBits trained for that sub-vector, and distances to a
// query are approximated from an M × 2^NBits table (asymmetric distance
// computation, ADC).
//
// # Layouts shared with Lance
//
//   - The codebook is M blocks of 2^NBits centroids of dim/M floats:
//     centroid c of sub-vector j starts at float (j·2^NBits + c)·dim/M
//     (get_sub_vector_centroids in pq/utils.rs).
//   - Codes of a partition are stored transposed: the codes of sub-vector 0
//     for every row, then sub-vector 1, and so on (pq/storage.rs). [Transpose]
//     turns row-major codes into that order.
//   - Distance tables are M rows of 2^NBits floats. For L2 an entry is the
//     squared distance between the query's sub-vector and a centroid; for dot
//     it is 1 − their dot product, and the summed table is corrected by
//     subtracting M − 1 so that the result is 1 − q·v.
//
// Codes are one byte each, also for NBits = 4; packing two 4-bit codes per
// byte is left to the file layer.
package pq

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/resona-go/resona/lance/internal/index/internal/workers"
	"github.com/resona-go/resona/lance/internal/index/kmeans"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/linalg"
)

// Codebook is a trained product quantiser.
type Codebook struct {
	Dim       int       // vector dimension
	M         int       // number of sub-vectors; divides Dim
	NBits     int       // bits per code: 8 (256 centroids) or 4 (16)
	Centroids []float32 // M × 2^NBits × Dim/M, as Lance lays it out

	// subs caches one nearest-centroid finder per sub-vector, built on first
	// use; the fields above must not change after that.
	subs atomic.Pointer[[]*kmeans.Assigner]
}

// NumCentroids returns 2^NBits.
func (cb *Codebook) NumCentroids() int { return 1 << cb.NBits }

// SubDim returns Dim/M, the length of one sub-vector.
func (cb *Codebook) SubDim() int { return cb.Dim / cb.M }

// Sub returns the centroids of sub-vector j: 2^NBits × SubDim floats.
func (cb *Codebook) Sub(j int) []float32 {
	size := cb.NumCentroids() * cb.SubDim()
	return cb.Centroids[j*size : (j+1)*size]
}

// Validate checks that the fields agree with each other.
func (cb *Codebook) Validate() error {
	if cb.NBits != 4 && cb.NBits != 8 {
		return fmt.Errorf("%w: pq: nbits %d (want 4 or 8)", lanceerr.ErrInvalidArgument, cb.NBits)
	}
	if cb.M <= 0 || cb.Dim <= 0 || cb.Dim%cb.M != 0 {
		return fmt.Errorf("%w: pq: %d sub-vectors do not divide dimension %d",
			lanceerr.ErrInvalidArgument, cb.M, cb.Dim)
	}
	if len(cb.Centroids) != cb.NumCentroids()*cb.Dim {
		return fmt.Errorf("%w: pq: codebook has %d floats, want %d",
			lanceerr.ErrInvalidArgument, len(cb.Centroids), cb.NumCentroids()*cb.Dim)
	}
	return nil
}

// Params tune [Train].
type Params struct {
	M     int // sub-vectors; must divide the dimension
	NBits int // 8 (default when 0) or 4
	// SampleSize caps the rows trained on; 0 means Lance's 256 × 2^NBits.
	SampleSize int
	// MaxIters and Tolerance are per sub-vector k-means; 0 means 50 and 1e-4.
	MaxIters  int
	Tolerance float64
	Init      kmeans.Init
	Seed      uint64
	Workers   int // ≤ 0 means GOMAXPROCS
	// Progress, if set, is called once per trained sub-vector with the
	// number of sub-vectors done so far; calls may come from any goroutine
	// but never concurrently.
	Progress func(done, total int)
}

// Train learns a codebook from the rows of data (n × dim floats; residuals
// for L2 and cosine, raw vectors for dot). Sub-vectors are clustered by L2
// whatever the index metric, as Lance trains its PQ codebooks, in parallel,
// each k-means on one goroutine.
func Train(ctx context.Context, data []float32, dim int, p Params) (*Codebook, error) {
	nbits := p.NBits
	if nbits == 0 {
		nbits = 8
	}
	cb := &Codebook{Dim: dim, M: p.M, NBits: nbits}
	cb.Centroids = make([]float32, (1<<nbits)*max(dim, 0))
	if err := cb.Validate(); err != nil {
		return nil, err
	}
	if len(data)%dim != 0 {
		return nil, fmt.Errorf("%w: pq: %d floats do not make vectors of dimension %d",
			lanceerr.ErrDimensionMismatch, len(data), dim)
	}
	k := cb.NumCentroids()
	sampleSize := p.SampleSize
	if sampleSize <= 0 {
		sampleSize = 256 * k
	}
	sample := kmeans.Sample(data, dim, sampleSize, p.Seed)
	n := len(sample) / dim
	if n < k {
		return nil, fmt.Errorf("%w: pq: %d rows cannot train %d centroids",
			lanceerr.ErrInvalidArgument, n, k)
	}
	sub := cb.SubDim()
	errs := make([]error, cb.M)
	var done chan struct{}
	if p.Progress != nil {
		done = make(chan struct{}, cb.M)
		finished := make(chan struct{})
		defer func() { <-finished }()
		go func() {
			defer close(finished)
			for i := range cb.M {
				if _, ok := <-done; !ok {
					return
				}
				p.Progress(i+1, cb.M)
			}
		}()
		defer close(done)
	}
	err := workers.Range(ctx, cb.M, 1, p.Workers, func(lo, hi int) {
		for j := lo; j < hi; j++ {
			part := make([]float32, n*sub)
			for i := range n {
				copy(part[i*sub:(i+1)*sub], sample[i*dim+j*sub:i*dim+(j+1)*sub])
			}
			res, err := kmeans.Train(ctx, part, sub, k, kmeans.Options{
				MaxIters:  p.MaxIters,
				Tolerance: p.Tolerance,
				Init:      p.Init,
				Seed:      p.Seed + uint64(j)*0x9e3779b9,
				Workers:   1,
			})
			if err != nil {
				errs[j] = err
				continue
			}
			copy(cb.Sub(j), res.Centroids)
			if done != nil {
				done <- struct{}{}
			}
		}
	})
	if err != nil {
		return nil, err
	}
	for _, e := range errs {
		if e != nil {
			return nil, e
		}
	}
	return cb, nil
}

// assigners returns one L2 nearest-centroid finder per sub-vector.
func (cb *Codebook) assigners() ([]*kmeans.Assigner, error) {
	if p := cb.subs.Load(); p != nil {
		return *p, nil
	}
	if err := cb.Validate(); err != nil {
		return nil, err
	}
	out := make([]*kmeans.Assigner, cb.M)
	for j := range out {
		a, err := kmeans.NewAssigner(linalg.MetricL2, cb.Sub(j), cb.SubDim())
		if err != nil {
			return nil, err
		}
		out[j] = a
	}
	cb.subs.Store(&out)
	return out, nil
}

// Encode returns the row-major codes (n × M bytes) of the rows of data, each
// sub-vector replaced by its nearest centroid by L2, on up to w goroutines.
func (cb *Codebook) Encode(ctx context.Context, data []float32, w int) ([]byte, error) {
	if err := cb.Validate(); err != nil {
		return nil, err
	}
	if len(data)%cb.Dim != 0 {
		return nil, fmt.Errorf("%w: pq: %d floats do not make vectors of dimension %d",
			lanceerr.ErrDimensionMismatch, len(data), cb.Dim)
	}
	n := len(data) / cb.Dim
	codes := make([]byte, n*cb.M)
	as, err := cb.assigners()
	if err != nil {
		return nil, err
	}
	sub := cb.SubDim()
	err = workers.Range(ctx, n, workers.Grain(n, w, 32), w, func(lo, hi int) {
		scratch := make([]float32, cb.NumCentroids())
		for i := lo; i < hi; i++ {
			row := data[i*cb.Dim : (i+1)*cb.Dim]
			out := codes[i*cb.M : (i+1)*cb.M]
			for j, a := range as {
				c, _ := a.Nearest(row[j*sub:(j+1)*sub], scratch)
				out[j] = byte(c)
			}
		}
	})
	if err != nil {
		return nil, err
	}
	return codes, nil
}

// Decode writes the vector that code (M bytes) stands for into out (Dim
// floats).
func (cb *Codebook) Decode(code []byte, out []float32) {
	sub := cb.SubDim()
	for j, c := range code[:cb.M] {
		copy(out[j*sub:(j+1)*sub], cb.Sub(j)[int(c)*sub:(int(c)+1)*sub])
	}
}

// Transpose turns n row-major codes of m bytes each into Lance's transposed
// order: out[j·n + i] = codes[i·m + j].
func Transpose(codes []byte, m int) []byte {
	n := len(codes) / m
	out := make([]byte, len(codes))
	for i := range n {
		row := codes[i*m : (i+1)*m]
		for j, c := range row {
			out[j*n+i] = c
		}
	}
	return out
}

// Untranspose is the inverse of [Transpose].
func Untranspose(codes []byte, m int) []byte {
	n := len(codes) / m
	out := make([]byte, len(codes))
	for j := range m {
		col := codes[j*n : (j+1)*n]
		for i, c := range col {
			out[i*m+j] = c
		}
	}
	return out
}

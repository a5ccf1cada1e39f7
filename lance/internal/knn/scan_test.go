package knn

import (
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/linalg"
)

func randBlock(r *rand.Rand, n, dim int) []float32 {
	v := make([]float32, n*dim)
	for i := range v {
		// Few distinct values make equal distances, and so ties, common.
		v[i] = float32(r.IntN(3) - 1)
	}
	return v
}

// bruteScan scores each row on its own, independently of the batch path.
func bruteScan(s linalg.Scorer, b Block, k int) []Neighbor {
	dim := s.Dim()
	var all []Neighbor
	for i := 0; i*dim < len(b.Vectors); i++ {
		if b.Skip != nil && b.Skip(i) {
			continue
		}
		row := b.FirstRow + uint64(i)
		if b.Rows != nil {
			row = b.Rows[i]
		}
		all = append(all, Neighbor{s.Distance(b.Vectors[i*dim : (i+1)*dim]), row})
	}
	return bruteTopK(all, k)
}

func TestScanMatchesBruteForce(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for _, dim := range []int{1, 4, 37, 1024} {
		for _, n := range []int{0, 1, 10, 500, 3000} {
			vecs := randBlock(r, n, dim)
			q := make([]float32, dim)
			for i := range q {
				q[i] = float32(r.NormFloat64())
			}
			rows := make([]uint64, n)
			for i := range rows {
				rows[i] = uint64(n - i) // descending, so row order differs from index order
			}
			blocks := map[string]Block{
				"first row": {Vectors: vecs, FirstRow: 7 << 32},
				"rows":      {Vectors: vecs, Rows: rows},
				"skip odd":  {Vectors: vecs, Skip: func(i int) bool { return i%2 == 1 }},
			}
			for _, m := range []linalg.Metric{linalg.MetricL2, linalg.MetricCosine, linalg.MetricDot} {
				s, err := linalg.NewScorer(m, q)
				if err != nil {
					t.Fatal(err)
				}
				for name, b := range blocks {
					for _, k := range []int{1, 10} {
						want := bruteScan(s, b, k)
						top := NewTopK(k)
						if err := Scan(top, s, b); err != nil {
							t.Fatal(err)
						}
						if got := top.Results(); !slices.Equal(got, want) {
							t.Fatalf("Scan %v dim=%d n=%d %s k=%d:\n got %v\nwant %v", m, dim, n, name, k, got, want)
						}
						for _, w := range []int{0, 1, 2, 3, 7} {
							top := NewTopK(k)
							if err := ScanParallel(top, s, b, w); err != nil {
								t.Fatal(err)
							}
							if got := top.Results(); !slices.Equal(got, want) {
								t.Fatalf("ScanParallel(%d) %v dim=%d n=%d %s k=%d:\n got %v\nwant %v", w, m, dim, n, name, k, got, want)
							}
						}
					}
				}
			}
		}
	}
}

// TestScanDropsNaN mirrors what LanceDB 0.39.0 returned for a cosine search
// with query [1,0,0,0] over these rows: ids 0,3,6 at 0, then 2 at 1, then 5
// at 2; the zero vector (1) and the NaN vector (4) were left out.
func TestScanDropsNaN(t *testing.T) {
	nan := float32(math.NaN())
	vecs := []float32{
		1, 0, 0, 0,
		0, 0, 0, 0,
		0, 1, 0, 0,
		1, 0, 0, 0,
		nan, 1, 0, 0,
		-1, 0, 0, 0,
		1, 0, 0, 0,
	}
	s, err := linalg.NewScorer(linalg.MetricCosine, []float32{1, 0, 0, 0})
	if err != nil {
		t.Fatal(err)
	}
	top := NewTopK(10)
	if err := ScanParallel(top, s, Block{Vectors: vecs}, 2); err != nil {
		t.Fatal(err)
	}
	want := []Neighbor{{0, 0}, {0, 3}, {0, 6}, {1, 2}, {2, 5}}
	if got := top.Results(); !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}

func TestScanRejectsBadBlocks(t *testing.T) {
	s, err := linalg.NewScorer(linalg.MetricL2, []float32{1, 2, 3})
	if err != nil {
		t.Fatal(err)
	}
	top := NewTopK(3)
	if err := Scan(top, s, Block{Vectors: make([]float32, 7)}); !errors.Is(err, lanceerr.ErrDimensionMismatch) {
		t.Errorf("ragged block: %v", err)
	}
	if err := ScanParallel(top, s, Block{Vectors: make([]float32, 6), Rows: []uint64{1}}, 2); !errors.Is(err, lanceerr.ErrInvalidArgument) {
		t.Errorf("short rows: %v", err)
	}
	if err := Scan(top, linalg.Scorer{}, Block{}); !errors.Is(err, lanceerr.ErrInvalidArgument) {
		t.Errorf("zero scorer: %v", err)
	}
}

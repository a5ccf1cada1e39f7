package knn

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/resona-go/resona/lance/internal/linalg"
)

// The Resona workload: top-10 over 150,000 vectors of 1024 float32 (614 MB),
// far beyond the caches, so the figure to watch is GB/s against the
// machine's memory bandwidth.
const benchRows, benchDim = 150_000, 1024

var benchData = sync.OnceValue(func() []float32 {
	r := rand.New(rand.NewPCG(1, 2))
	v := make([]float32, benchRows*benchDim)
	for i := range v {
		v[i] = r.Float32()*2 - 1
	}
	return v
})

func BenchmarkTop10(b *testing.B) {
	vecs := benchData()
	q := vecs[:benchDim:benchDim]
	for _, m := range []linalg.Metric{linalg.MetricL2, linalg.MetricCosine, linalg.MetricDot} {
		s, err := linalg.NewScorer(m, q)
		if err != nil {
			b.Fatal(err)
		}
		for _, workers := range []int{1, 0} {
			name := fmt.Sprintf("%v/workers=%d/%s", m, workers, linalg.Impl())
			b.Run(name, func(b *testing.B) {
				b.SetBytes(int64(len(vecs)) * 4)
				top := NewTopK(10)
				for b.Loop() {
					top.Reset()
					if err := ScanParallel(top, s, Block{Vectors: vecs}, workers); err != nil {
						b.Fatal(err)
					}
				}
			})
		}
	}
	b.Run(fmt.Sprintf("l2/skip-half/workers=0/%s", linalg.Impl()), func(b *testing.B) {
		s, _ := linalg.NewScorer(linalg.MetricL2, q)
		b.SetBytes(int64(len(vecs)) * 4)
		top := NewTopK(10)
		skip := func(i int) bool { return i&1 == 1 }
		for b.Loop() {
			top.Reset()
			if err := ScanParallel(top, s, Block{Vectors: vecs, Skip: skip}, 0); err != nil {
				b.Fatal(err)
			}
		}
	})
}

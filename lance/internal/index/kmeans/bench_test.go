package kmeans

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/resona-go/resona/lance/internal/linalg"
)

func BenchmarkDistances(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, dim := range []int{8, 16, 32, 64, 128} {
		cents := make([]float32, 256*dim)
		for i := range cents {
			cents[i] = float32(rng.NormFloat64())
		}
		row := cents[:dim]
		out := make([]float32, 256)
		a, _ := NewAssigner(linalg.MetricL2, cents, dim)
		b.Run(fmt.Sprintf("columns/dim=%d", dim), func(b *testing.B) {
			for b.Loop() {
				if a.cols != nil {
					dotsCols(row, a.cols, out)
				}
			}
		})
		b.Run(fmt.Sprintf("linalg/dim=%d", dim), func(b *testing.B) {
			for b.Loop() {
				linalg.L2SquaredBatch(row, cents, dim, out)
			}
		})
	}
}

func BenchmarkAssignLong(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	const dim, k, n = 1024, 387, 512
	cents := make([]float32, k*dim)
	for i := range cents {
		cents[i] = float32(rng.NormFloat64())
	}
	data := make([]float32, n*dim)
	for i := range data {
		data[i] = float32(rng.NormFloat64())
	}
	a, _ := NewAssigner(linalg.MetricL2, cents, dim)
	labels, dists := make([]uint32, n), make([]float32, n)
	b.Run("tiled", func(b *testing.B) {
		for b.Loop() {
			for lo := 0; lo < n; lo += rowTile {
				a.assignTile(data, lo, min(lo+rowTile, n), labels, dists)
			}
		}
	})
	b.Run("rowwise", func(b *testing.B) {
		s := make([]float32, k)
		for b.Loop() {
			for i := range n {
				a.Nearest(data[i*dim:(i+1)*dim], s)
			}
		}
	})
}

func BenchmarkNearestSmall(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, dim := range []int{8, 16} {
		cents := make([]float32, 256*dim)
		for i := range cents {
			cents[i] = float32(rng.NormFloat64())
		}
		a, _ := NewAssigner(linalg.MetricL2, cents, dim)
		row := cents[3*dim : 4*dim]
		s := make([]float32, 256)
		b.Run(fmt.Sprintf("dim=%d", dim), func(b *testing.B) {
			for b.Loop() {
				a.Nearest(row, s)
			}
		})
	}
}

package linalg

import (
	"math/rand/v2"
	"testing"
)

// The benchmarks run every kernel once per implementation so that the
// SIMD speed-up reads off one report. SetBytes counts the float32 data
// streamed: both vectors for a pair, the stored vectors (not the cached
// query) for a batch.

func BenchmarkDot1024(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	x, y := randVec(r, 1024), randVec(r, 1024)
	for _, im := range benchImpls() {
		b.Run(im.name, func(b *testing.B) {
			b.SetBytes(2 * 4 * 1024)
			var sink float32
			for b.Loop() {
				sink += im.k.dot(x, y)
			}
			_ = sink
		})
	}
}

func BenchmarkL2Squared1024(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 2))
	x, y := randVec(r, 1024), randVec(r, 1024)
	for _, im := range benchImpls() {
		b.Run(im.name, func(b *testing.B) {
			b.SetBytes(2 * 4 * 1024)
			var sink float32
			for b.Loop() {
				sink += im.k.l2(x, y)
			}
			_ = sink
		})
	}
}

// BenchmarkBatch10k scores one 1024-dim query against 10,000 vectors (40 MB,
// more than the caches hold), so it measures memory bandwidth.
func BenchmarkBatch10k(b *testing.B) {
	const dim, n = 1024, 10_000
	r := rand.New(rand.NewPCG(1, 3))
	q, vecs := randVec(r, dim), randVec(r, n*dim)
	out := make([]float32, n)
	qn := Norm(q)
	for _, im := range benchImpls() {
		b.Run("dot/"+im.name, func(b *testing.B) {
			b.SetBytes(4 * dim * n)
			for b.Loop() {
				im.k.dotBatch(q, vecs, out)
			}
		})
		b.Run("l2/"+im.name, func(b *testing.B) {
			b.SetBytes(4 * dim * n)
			for b.Loop() {
				im.k.l2Batch(q, vecs, out)
			}
		})
		b.Run("cosine/"+im.name, func(b *testing.B) {
			b.SetBytes(4 * dim * n)
			for b.Loop() {
				im.k.cosineBatch(q, qn, vecs, out)
			}
		})
	}
}

func benchImpls() []impl {
	if active == genericKernels {
		return []impl{{"purego", genericKernels}}
	}
	return []impl{{active.name, active}, {"purego", genericKernels}}
}

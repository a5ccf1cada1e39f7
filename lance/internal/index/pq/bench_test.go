package pq

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkScanTransposed is the ADC hot loop on one partition-sized block.
func BenchmarkScanTransposed(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 1))
	for _, m := range []int{16, 64, 128} {
		const n = 4096
		cb := randomCodebook(rng, 1024, m, 8)
		codes := make([]byte, n*m)
		for i := range codes {
			codes[i] = byte(rng.IntN(256))
		}
		table := make([]float32, m*256)
		for i := range table {
			table[i] = rng.Float32()
		}
		out := make([]float32, n)
		b.Run(fmt.Sprintf("m=%d", m), func(b *testing.B) {
			b.SetBytes(int64(len(codes)))
			for b.Loop() {
				cb.ScanTransposed(table, codes, out)
			}
		})
	}
}

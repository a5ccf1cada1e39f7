package lance

import (
	"math/rand/v2"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func BenchmarkTakeRowsPermutation(b *testing.B) {
	const n, dim = 20000, 128
	sb := array.NewStringBuilder(memory.DefaultAllocator)
	vb := array.NewFixedSizeListBuilder(memory.DefaultAllocator, dim, arrow.PrimitiveTypes.Float32)
	fb := vb.ValueBuilder().(*array.Float32Builder)
	for i := 0; i < n; i++ {
		sb.Append("doc")
		vb.Append(true)
		for d := 0; d < dim; d++ {
			fb.Append(float32(d))
		}
	}
	strs, vecs := sb.NewArray(), vb.NewArray()
	idx := rand.New(rand.NewPCG(1, 2)).Perm(n)[:5000]
	b.ResetTimer()
	for b.Loop() {
		for _, a := range []arrow.Array{strs, vecs} {
			out, err := takeRows(a, idx)
			if err != nil {
				b.Fatal(err)
			}
			out.Release()
		}
	}
}

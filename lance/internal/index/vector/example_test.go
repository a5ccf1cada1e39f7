package vector_test

import (
	"context"
	"fmt"

	"github.com/resona-go/resona/lance/internal/index/vector"
	"github.com/resona-go/resona/lance/internal/linalg"
)

func Example() {
	// 512 two-dimensional points on a grid; row id = 1000 + position.
	const dim = 2
	var vecs []float32
	var ids []uint64
	for i := range 512 {
		vecs = append(vecs, float32(i%32), float32(i/32))
		ids = append(ids, uint64(1000+i))
	}
	ctx := context.Background()
	ix, _, err := vector.Build(ctx, vector.SliceSource(vecs, dim, ids, 0), vector.BuildOptions{
		Metric: linalg.MetricL2, Partitions: 4, SubVectors: 2, NBits: 4, Seed: 1})
	if err != nil {
		panic(err)
	}
	// The refine step fetches the original vectors by row id.
	fetch := func(_ context.Context, rows []uint64) ([]float32, error) {
		out := make([]float32, 0, len(rows)*dim)
		for _, r := range rows {
			i := int(r - 1000)
			out = append(out, vecs[i*dim:(i+1)*dim]...)
		}
		return out, nil
	}
	res, err := ix.Search(ctx, []float32{5, 3}, vector.SearchParams{K: 3, NProbes: 4, RefineFactor: 20}, fetch)
	if err != nil {
		panic(err)
	}
	for _, r := range res {
		fmt.Printf("row %d distance %g\n", r.Row, r.Distance)
	}
	// Output:
	// row 1101 distance 0
	// row 1069 distance 1
	// row 1100 distance 1
}

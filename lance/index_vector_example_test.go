package lance_test

import (
	"context"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/resona-go/resona/lance"
)

// An IVF_PQ index is built over the vectors, new rows are appended (and
// found by search before the index covers them), then a delta segment
// brings the index up to date.
func ExampleDataset_CreateIndex_ivfpq() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "ivfpq")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	const dim = 8
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.PrimitiveTypes.Int64},
		{Name: "vector", Type: arrow.FixedSizeListOf(dim, arrow.PrimitiveTypes.Float32)},
	}, nil)
	r := rand.New(rand.NewPCG(1, 2))
	batch := func(from, n int) arrow.RecordBatch {
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		defer b.Release()
		for i := from; i < from+n; i++ {
			b.Field(0).(*array.Int64Builder).Append(int64(i))
			lb := b.Field(1).(*array.FixedSizeListBuilder)
			lb.Append(true)
			for range dim {
				lb.ValueBuilder().(*array.Float32Builder).Append(float32(i%10) + r.Float32())
			}
		}
		return b.NewRecordBatch()
	}
	ds, err := lance.Create(ctx, filepath.Join(dir, "t.lance"), schema, []arrow.RecordBatch{batch(0, 1000)}, lance.CreateOptions{})
	if err != nil {
		log.Fatal(err)
	}
	ds, err = ds.CreateIndex(ctx, "vector", lance.IndexOptions{Type: lance.IndexIVFPQ, Metric: lance.MetricL2, NumPartitions: 4, NumSubVectors: 2})
	if err != nil {
		log.Fatal(err)
	}
	ds, err = ds.Append(ctx, []arrow.RecordBatch{batch(1000, 100)})
	if err != nil {
		log.Fatal(err)
	}
	st, _ := ds.IndexStatistics(ctx, "vector_idx")
	fmt.Println(st.Type, st.IndexedRows, st.UnindexedRows, st.Metric)

	// The query is row 1042's vector: the exact scan of the new fragment
	// finds it at distance 0.
	q, err := ds.Take(ctx, []uint64{1<<32 | 42}, []string{"vector"})
	if err != nil {
		log.Fatal(err)
	}
	vec := q.Column(0).(*array.FixedSizeList).ListValues().(*array.Float32).Float32Values()[:dim]
	res, err := ds.Search(ctx, lance.SearchOptions{Query: vec, K: 3, Columns: []string{"id"}})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(res.Column(0).(*array.Int64).Value(0), res.Column(1).(*array.Float32).Value(0))

	ds, err = ds.UpdateIndex(ctx, "vector_idx", lance.UpdateIndexOptions{})
	if err != nil {
		log.Fatal(err)
	}
	st, _ = ds.IndexStatistics(ctx, "vector_idx")
	fmt.Println(st.IndexedRows, st.UnindexedRows, st.Segments)
	// Output:
	// IVF_PQ 1000 100 l2
	// 1042 0
	// 1100 0 2
}

package lance_test

import (
	"context"
	"fmt"
	"log"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/resona-go/resona/lance"
	"github.com/resona-go/resona/lance/expr"
)

// The table in testdata/v13 was written by LanceDB 0.13.
const exampleTable = "testdata/v13/t.lance"

func ExampleOpen() {
	ctx := context.Background()
	ds, err := lance.Open(ctx, exampleTable)
	if err != nil {
		log.Fatal(err)
	}
	defer ds.Close()
	n, err := ds.CountRows(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("version", ds.Version(), "format", ds.DataStorageVersion())
	fmt.Println("rows", n, "fragments", len(ds.Fragments()))
	for _, f := range ds.Schema().Fields() {
		fmt.Printf("%s: %s\n", f.Name, f.Type)
	}
	// Output:
	// version 8 format 2.0
	// rows 281 fragments 3
	// id: utf8
	// category: utf8
	// n: int64
	// score: float64
	// flag: bool
	// vector: fixed_size_list<item: float32, nullable>[8]
	// n2: int64
}

func ExampleDataset_Search() {
	ctx := context.Background()
	ds, err := lance.Open(ctx, exampleTable)
	if err != nil {
		log.Fatal(err)
	}
	defer ds.Close()
	query := []float32{0.83, -0.82, -0.10, -0.04, 0.65, -0.42, 0.36, 0.52}
	res, err := ds.Search(ctx, lance.SearchOptions{
		Query:   query,
		K:       3,
		Metric:  lance.MetricL2,
		Columns: []string{"id"},
		Filter:  expr.Col("category").Ne("beta"),
	})
	if err != nil {
		log.Fatal(err)
	}
	ids := res.Column(0).(*array.String)
	dist := res.Column(1).(*array.Float32)
	for i := 0; i < int(res.NumRows()); i++ {
		fmt.Printf("%s %.3f\n", ids.Value(i), dist.Value(i))
	}
	// Output:
	// r084 0.807
	// r140 0.999
	// r306 1.303
}

func ExampleDataset_Scan() {
	ctx := context.Background()
	ds, err := lance.Open(ctx, exampleTable)
	if err != nil {
		log.Fatal(err)
	}
	defer ds.Close()
	opts := lance.ScanOptions{
		Columns:        []string{"id", "n2"},
		Filter:         expr.And(expr.Col("n").Ge(148), expr.Col("n").Lt(153)),
		WithRowAddress: true,
	}
	// Row r150 was deleted (n % 7 = 3); deleted rows keep their offsets.
	for rec, err := range ds.Scan(ctx, opts) {
		if err != nil {
			log.Fatal(err)
		}
		ids := rec.Column(0).(*array.String)
		n2 := rec.Column(1).(*array.Int64)
		addr := rec.Column(2).(*array.Uint64)
		for i := 0; i < int(rec.NumRows()); i++ {
			a := addr.Value(i)
			fmt.Printf("%s n2=%d fragment %d offset %d\n", ids.Value(i), n2.Value(i), a>>32, uint32(a))
		}
	}
	// Output:
	// r148 n2=296 fragment 0 offset 148
	// r149 n2=298 fragment 0 offset 149
	// r151 n2=302 fragment 1 offset 1
	// r152 n2=304 fragment 1 offset 2
}

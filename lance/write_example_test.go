package lance_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/resona-go/resona/lance"
	"github.com/resona-go/resona/lance/expr"
)

var docSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "text", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "vector", Type: arrow.FixedSizeListOf(2, arrow.PrimitiveTypes.Float32), Nullable: true},
}, nil)

// docs builds a record batch of (id, text, vector) rows.
func docs(rows ...[3]any) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, docSchema)
	defer b.Release()
	for _, r := range rows {
		b.Field(0).(*array.StringBuilder).Append(r[0].(string))
		b.Field(1).(*array.StringBuilder).Append(r[1].(string))
		vb := b.Field(2).(*array.FixedSizeListBuilder)
		vb.Append(true)
		vb.ValueBuilder().(*array.Float32Builder).AppendValues(r[2].([]float32), nil)
	}
	return b.NewRecordBatch()
}

func printTable(ctx context.Context, ds *lance.Dataset) {
	for rec, err := range ds.Scan(ctx, lance.ScanOptions{Columns: []string{"id", "text"}}) {
		if err != nil {
			log.Fatal(err)
		}
		ids, texts := rec.Column(0).(*array.String), rec.Column(1).(*array.String)
		for i := 0; i < ids.Len(); i++ {
			fmt.Printf("  %s: %s\n", ids.Value(i), texts.Value(i))
		}
	}
}

func ExampleCreate() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)

	ds, err := lance.Create(ctx, filepath.Join(dir, "docs.lance"), docSchema, []arrow.RecordBatch{
		docs([3]any{"a", "apples", []float32{1, 0}}, [3]any{"b", "bananas", []float32{0, 1}}),
	}, lance.CreateOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer ds.Close()
	ds2, err := ds.Append(ctx, []arrow.RecordBatch{docs([3]any{"c", "cherries", []float32{1, 1}})})
	if err != nil {
		log.Fatal(err)
	}
	defer ds2.Close()
	ds3, n, err := ds2.Delete(ctx, expr.Col("id").Eq("b"))
	if err != nil {
		log.Fatal(err)
	}
	defer ds3.Close()
	fmt.Println("deleted", n, "version", ds3.Version())
	printTable(ctx, ds3)
	// Output:
	// deleted 1 version 3
	//   a: apples
	//   c: cherries
}

func ExampleDataset_MergeInsert() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	ds, err := lance.Create(ctx, filepath.Join(dir, "docs.lance"), docSchema, []arrow.RecordBatch{
		docs([3]any{"a", "apples", []float32{1, 0}}, [3]any{"b", "bananas", []float32{0, 1}}),
	}, lance.CreateOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer ds.Close()

	// Upsert by id: "b" is replaced, "c" is new.
	ds2, res, err := ds.MergeInsert(ctx, []arrow.RecordBatch{
		docs([3]any{"b", "blueberries", []float32{0, 2}}, [3]any{"c", "cherries", []float32{1, 1}}),
	}, lance.MergeInsertOptions{On: "id", WhenMatchedUpdateAll: true, WhenNotMatchedInsertAll: true})
	if err != nil {
		log.Fatal(err)
	}
	defer ds2.Close()
	fmt.Printf("updated %d, inserted %d\n", res.Updated, res.Inserted)
	printTable(ctx, ds2)
	// Output:
	// updated 1, inserted 1
	//   a: apples
	//   b: blueberries
	//   c: cherries
}

func ExampleDataset_Compact() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	ds, err := lance.Create(ctx, filepath.Join(dir, "docs.lance"), docSchema, []arrow.RecordBatch{
		docs([3]any{"a", "apples", []float32{1, 0}}),
	}, lance.CreateOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer ds.Close()
	// Small appends, one commit each, leave one small fragment per batch.
	for _, id := range []string{"b", "c", "d"} {
		next, err := ds.Append(ctx, []arrow.RecordBatch{docs([3]any{id, "more " + id, []float32{0, 1}})})
		if err != nil {
			log.Fatal(err)
		}
		ds.Close()
		ds = next
	}
	compacted, m, err := ds.Compact(ctx, lance.CompactionOptions{})
	if err != nil {
		log.Fatal(err)
	}
	defer compacted.Close()
	fmt.Printf("fragments %d -> %d, rows rewritten %d\n", len(ds.Fragments()), len(compacted.Fragments()), m.RowsRewritten)

	cs, err := compacted.CleanupOldVersions(ctx, lance.CleanupOptions{RetainVersions: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("versions removed", cs.VersionsRemoved)
	// Output:
	// fragments 4 -> 1, rows rewritten 4
	// versions removed [1 2 3 4]
}

package expr_test

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/resona-go/resona/lance/expr"
)

func Example() {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "createdAt", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(memory.NewGoAllocator(), schema)
	defer b.Release()
	b.Field(0).(*array.StringBuilder).AppendValues([]string{"a#0", "a#1", "b#0"}, nil)
	b.Field(1).(*array.Float64Builder).AppendValues([]float64{10, 20, 0}, []bool{true, true, false})
	rec := b.NewRecordBatch()
	defer rec.Release()

	f := expr.And(
		expr.Col("id").In("a#0", "a#1", "b#0"),
		expr.Not(expr.Col("createdAt").Lt(15)),
	)
	sel, err := f.Eval(rec)
	if err != nil {
		panic(err)
	}
	fmt.Println(f)
	fmt.Println(f.Columns())
	// The null createdAt makes the comparison unknown, and NOT unknown is
	// still unknown: row 2 is not selected.
	fmt.Println(sel)
	// Output:
	// (id IN ('a#0', 'a#1', 'b#0') AND NOT (`createdAt` < 15))
	// [id createdAt]
	// [false true false]
}

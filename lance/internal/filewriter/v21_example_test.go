package filewriter_test

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/resona-go/resona/lance/internal/filewriter"
	"github.com/resona-go/resona/lance/internal/format"
)

// A 2.2 data file, for tables LanceDB 0.39 created: only leaf fields have
// columns, so the struct "meta" (field 1) is not listed.
func ExampleNew_version22() {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "meta", Type: arrow.StructOf(
			arrow.Field{Name: "score", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		), Nullable: true},
		{Name: "vector", Type: arrow.FixedSizeListOf(2, arrow.PrimitiveTypes.Float32), Nullable: true},
	}, nil)
	ls, err := format.SchemaFromArrow(schema, 0)
	if err != nil {
		panic(err)
	}
	rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, schema, strings.NewReader(
		`[{"id": "a", "meta": {"score": 1.5}, "vector": [1, 2]}, {"id": null, "meta": null, "vector": null}]`))
	if err != nil {
		panic(err)
	}
	defer rec.Release()

	var file bytes.Buffer
	opts := filewriter.Options{Version: filewriter.Version2_2}
	w, err := filewriter.New(&file, schema, ls.PBFields(), opts)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	if err := w.Write(ctx, rec); err != nil {
		panic(err)
	}
	res, err := w.Finish(ctx)
	if err != nil {
		panic(err)
	}
	major, minor := opts.Version.FileVersion()
	fmt.Println("rows:", res.Rows, "columns:", res.NumColumns)
	fmt.Println("fields:", res.Fields, "column_indices:", res.ColumnIndices)
	fmt.Println("DataFile version:", major, minor, "data_format:", opts.Version)
	// Output:
	// rows: 2 columns: 3
	// fields: [0 2 3] column_indices: [0 1 2]
	// DataFile version: 2 2 data_format: 2.2
}

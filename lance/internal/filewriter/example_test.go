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

// A data file for a new table: field ids come from the table schema, and
// the Result fills the manifest's DataFile.
func ExampleNew() {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "vector", Type: arrow.FixedSizeListOf(2, arrow.PrimitiveTypes.Float32), Nullable: true},
	}, nil)
	ls, err := format.SchemaFromArrow(schema, 0)
	if err != nil {
		panic(err)
	}
	rec, _, err := array.RecordFromJSON(memory.DefaultAllocator, schema,
		strings.NewReader(`[{"id": "a", "vector": [1, 2]}, {"id": "b", "vector": [3, 4]}]`))
	if err != nil {
		panic(err)
	}
	defer rec.Release()

	var file bytes.Buffer // an *os.File in practice; the caller syncs it
	w, err := filewriter.New(&file, schema, ls.PBFields(), filewriter.Options{})
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
	fmt.Println("rows:", res.Rows, "bytes:", res.Bytes == uint64(file.Len()))
	fmt.Println("fields:", res.Fields, "column_indices:", res.ColumnIndices)
	fmt.Println("DataFile version:", filewriter.FileMajorVersion, filewriter.FileMinorVersion)
	// Output:
	// rows: 2 bytes: true
	// fields: [0 1] column_indices: [0 1]
	// DataFile version: 2 0
}

package file_test

import (
	"context"
	"fmt"
	"os"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/resona-go/resona/lance/internal/file"
)

// Open a data file written by LanceDB 0.13 and read rows of its vector
// column (top-level field 1, which starts at column 1).
func Example() {
	f, err := os.Open("testdata/vec1024.lance")
	if err != nil {
		panic(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	r, err := file.Open(ctx, f, st.Size(), f.Name())
	if err != nil {
		panic(err)
	}
	major, minor := r.Version()
	fmt.Printf("format %d.%d, %d rows, %d columns\n", major, minor, r.NumRows(), r.NumColumns())

	vector := arrow.Field{Name: "vector", Nullable: true,
		Type: arrow.FixedSizeListOfField(1024, arrow.Field{Name: "item", Type: arrow.PrimitiveTypes.Float32, Nullable: true})}
	arr, err := r.Take(ctx, vector, 1, []uint64{1, 2})
	if err != nil {
		panic(err)
	}
	defer arr.Release()
	fmt.Println(arr.Len(), "vectors, nulls:", arr.NullN())
	// Output:
	// format 2.0, 4 rows, 2 columns
	// 2 vectors, nulls: 1
}

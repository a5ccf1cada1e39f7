package v21_test

import (
	"bytes"
	"context"
	"os"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/resona-go/resona/lance/internal/encoding/v21"
	"github.com/resona-go/resona/lance/internal/file"
)

// The file reader dispatches 2.2 files to this package.
func TestThroughFileReader(t *testing.T) {
	data, err := os.ReadFile("testdata/nested.lance")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	rd, err := file.Open(ctx, bytes.NewReader(data), int64(len(data)), "nested.lance")
	if err != nil {
		t.Fatal(err)
	}
	if maj, min := rd.Version(); maj != 2 || min != 2 {
		t.Fatalf("version %d.%d", maj, min)
	}
	st := arrow.Field{Name: "st", Type: arrow.StructOf(
		arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		arrow.Field{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true}), Nullable: true}
	// Columns: li_none, li_some, ls_some, then st.a and st.b.
	a, err := rd.Take(ctx, st, 3, []uint64{0, 1, 2, 250})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	want, err := v21.Take(ctx, rd, st, rd.Columns()[3:5], []uint64{0, 1, 2, 250})
	if err != nil {
		t.Fatal(err)
	}
	defer want.Release()
	if a.Len() != 4 || a.(*array.Struct).NumField() != 2 || !array.Equal(a, want) {
		t.Fatalf("got %v, want %v", a, want)
	}
}

package filewriter_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/resona-go/resona/lance/internal/file"
	"github.com/resona-go/resona/lance/internal/filewriter"
	"github.com/resona-go/resona/lance/internal/format"
)

// writeFile writes recs into an in-memory 2.0 file.
func writeFile(t testing.TB, schema *arrow.Schema, recs []arrow.RecordBatch, opts filewriter.Options) ([]byte, filewriter.Result) {
	t.Helper()
	ls, err := format.SchemaFromArrow(schema, 0)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	w, err := filewriter.New(&buf, schema, ls.PBFields(), opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs {
		if err := w.Write(context.Background(), r); err != nil {
			t.Fatal(err)
		}
	}
	res, err := w.Finish(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), res
}

// TestRoundTripThroughReader reads the written file back with the 2.0
// reader of package file and compares every column with the input.
func TestRoundTripThroughReader(t *testing.T) {
	schema := filewriter.TypesSchema()
	var recs []arrow.RecordBatch
	for _, r := range [][2]int{{0, 7}, {7, 150}, {150, 151}, {151, 300}} {
		recs = append(recs, filewriter.TypesRecord(memory.DefaultAllocator, r[0], r[1]))
	}
	whole := filewriter.TypesRecord(memory.DefaultAllocator, 0, 300)
	for _, opts := range []filewriter.Options{{}, {PageBytes: 256}} {
		data, res := writeFile(t, schema, recs, opts)
		ctx := context.Background()
		rd, err := file.Open(ctx, bytes.NewReader(data), int64(len(data)), "mem.lance")
		if err != nil {
			t.Fatal(err)
		}
		if maj, min := rd.Version(); maj != 2 || min != 0 || rd.NumRows() != 300 || rd.NumColumns() != res.NumColumns {
			t.Fatalf("reader sees version %d.%d, %d rows, %d columns", maj, min, rd.NumRows(), rd.NumColumns())
		}
		col := 0
		for i, f := range schema.Fields() {
			got, err := rd.ReadRange(ctx, f, col, 0, 300)
			if err != nil {
				t.Fatalf("page bytes %d, field %s: %v", opts.PageBytes, f.Name, err)
			}
			if !array.Equal(got, whole.Column(i)) {
				t.Errorf("page bytes %d, field %s:\n got %v\nwant %v", opts.PageBytes, f.Name, got, whole.Column(i))
			}
			got.Release()
			col += file.ColumnsUsed(f, 2, 0)
		}
	}
}

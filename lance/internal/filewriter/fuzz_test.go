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
)

// FuzzRoundTrip derives string, integer and list rows, batch sizes and a
// page budget from the input, writes them and reads them back with the
// reader of package file.
func FuzzRoundTrip(f *testing.F) {
	f.Add([]byte("hello world, this is a seed"), uint8(3), uint16(64))
	f.Add(bytes.Repeat([]byte{0, 1, 2}, 200), uint8(50), uint16(0))
	f.Add([]byte{}, uint8(1), uint16(1))
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Uint8), Nullable: true},
	}, nil)
	f.Fuzz(func(t *testing.T, data []byte, batch uint8, pageBytes uint16) {
		roundTrip(t, schema, data, batch, pageBytes)
	})
}

func roundTrip(t *testing.T, schema *arrow.Schema, data []byte, batch uint8, pageBytes uint16) {
	{
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		defer b.Release()
		for i, c := range data {
			if c%5 == 0 {
				b.Field(0).AppendNull()
			} else {
				// Few distinct values on purpose, so dictionaries appear.
				b.Field(0).(*array.StringBuilder).Append(string(data[i : i+int(c%4)*int(c%3)%max(1, len(data)-i)]))
			}
			if c%7 == 0 {
				b.Field(1).AppendNull()
			} else {
				b.Field(1).(*array.Int64Builder).Append(int64(c) << (i % 40))
			}
			lb := b.Field(2).(*array.ListBuilder)
			if c%3 == 0 {
				lb.AppendNull()
			} else {
				lb.Append(true)
				lb.ValueBuilder().(*array.Uint8Builder).AppendValues(data[i:min(len(data), i+int(c%5))], nil)
			}
		}
		whole := b.NewRecordBatch()
		defer whole.Release()
		step := int64(max(batch, 1))
		var recs []arrow.RecordBatch
		for off := int64(0); off < whole.NumRows(); off += step {
			recs = append(recs, whole.NewSlice(off, min(off+step, whole.NumRows())))
		}
		out, res := writeFile(t, schema, recs, filewriter.Options{PageBytes: int64(pageBytes) + 1, MaxPageBytes: int64(pageBytes)*3 + 1})
		if res.Rows != uint64(whole.NumRows()) {
			t.Fatalf("wrote %d rows, want %d", res.Rows, whole.NumRows())
		}
		ctx := context.Background()
		rd, err := file.Open(ctx, bytes.NewReader(out), int64(len(out)), "fuzz.lance")
		if err != nil {
			t.Fatal(err)
		}
		if whole.NumRows() == 0 {
			return
		}
		col := 0
		for i, fd := range schema.Fields() {
			got, err := rd.ReadRange(ctx, fd, col, 0, uint64(whole.NumRows()))
			if err != nil {
				t.Fatalf("field %s: %v", fd.Name, err)
			}
			if !array.Equal(got, whole.Column(i)) {
				t.Fatalf("field %s:\n got %v\nwant %v", fd.Name, got, whole.Column(i))
			}
			got.Release()
			col += file.ColumnsUsed(fd, 2, 0)
		}
	}
}

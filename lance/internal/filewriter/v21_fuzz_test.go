package filewriter_test

import (
	"bytes"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/resona-go/resona/lance/internal/filewriter"
)

// FuzzRoundTripV21 derives rows of strings (short and long), integers,
// booleans, small and large vectors, a large list and a nullable struct, batch sizes, a
// page budget and the file version from the input, writes them and reads
// them back with the reader of package file.
func FuzzRoundTripV21(f *testing.F) {
	f.Add([]byte("hello world, this is a seed"), uint8(3), uint16(64), true)
	f.Add(bytes.Repeat([]byte{0, 1, 2, 250}, 300), uint8(50), uint16(0), false)
	f.Add([]byte{}, uint8(1), uint16(1), true)
	f.Add(bytes.Repeat([]byte{5}, 100), uint8(7), uint16(9), true)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "ls", Type: arrow.BinaryTypes.LargeString, Nullable: true},
		{Name: "i", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "v4", Type: arrow.FixedSizeListOf(4, arrow.PrimitiveTypes.Float32), Nullable: true},
		{Name: "v80", Type: arrow.FixedSizeListOf(80, arrow.PrimitiveTypes.Uint8), Nullable: true},
		{Name: "v64", Type: arrow.FixedSizeListOf(64, arrow.PrimitiveTypes.Float32), Nullable: true},
		{Name: "ll", Type: arrow.LargeListOf(arrow.PrimitiveTypes.Int16), Nullable: true},
		{Name: "st", Type: arrow.StructOf(
			arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
			arrow.Field{Name: "y", Type: arrow.BinaryTypes.Binary, Nullable: true},
		), Nullable: true},
	}, nil)
	f.Fuzz(func(t *testing.T, data []byte, batch uint8, pageBytes uint16, v22 bool) {
		roundTripV21(t, schema, data, batch, pageBytes, v22)
	})
}

func roundTripV21(t *testing.T, schema *arrow.Schema, data []byte, batch uint8, pageBytes uint16, v22 bool) {
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	for i, c := range data {
		str := func(k int) []byte { return bytes.Repeat(data[i:i+1], k) }
		orNull(b.Field(0), c%5 == 0, func() { b.Field(0).(*array.StringBuilder).Append(string(str(int(c) % 9))) })
		// Some values of 256 bytes or more push pages to full-zip.
		orNull(b.Field(1), c%6 == 1, func() { b.Field(1).(*array.LargeStringBuilder).Append(string(str(int(c) * int(c%4)))) })
		orNull(b.Field(2), c%7 == 0, func() { b.Field(2).(*array.Int64Builder).Append(int64(c) << (i % 40)) })
		orNull(b.Field(3), c%3 == 2, func() { b.Field(3).(*array.BooleanBuilder).Append(c&1 == 1) })
		for f, dim := range map[int]int{4: 4, 5: 80, 6: 64} {
			vb := b.Field(f).(*array.FixedSizeListBuilder)
			orNull(vb, (int(c)+f)%4 == 0, func() {
				vb.Append(true)
				for k := 0; k < dim; k++ {
					switch ib := vb.ValueBuilder().(type) {
					case *array.Float32Builder:
						ib.Append(float32(int(c)*k) / 7)
					case *array.Uint8Builder:
						ib.Append(c + byte(k))
					}
				}
			})
		}
		lb := b.Field(7).(*array.LargeListBuilder)
		orNull(lb, c%9 == 4, func() {
			lb.Append(true)
			for k := 0; k < int(c)%6; k++ {
				orNull(lb.ValueBuilder(), (int(c)+k)%5 == 0, func() { lb.ValueBuilder().(*array.Int16Builder).Append(int16(c) - int16(k)) })
			}
		})
		sb := b.Field(8).(*array.StructBuilder)
		orNull(sb, c%8 == 3, func() {
			sb.Append(true)
			orNull(sb.FieldBuilder(0), c%3 == 0, func() { sb.FieldBuilder(0).(*array.Int16Builder).Append(int16(c) * 100) })
			orNull(sb.FieldBuilder(1), c%2 == 0, func() { sb.FieldBuilder(1).(*array.BinaryBuilder).Append(str(int(c) % 5)) })
		})
	}
	whole := b.NewRecordBatch()
	defer whole.Release()
	step := int64(max(batch, 1))
	var recs []arrow.RecordBatch
	for off := int64(0); off < whole.NumRows(); off += step {
		recs = append(recs, whole.NewSlice(off, min(off+step, whole.NumRows())))
	}
	v := filewriter.Version2_1
	if v22 {
		v = filewriter.Version2_2
	}
	out, res := writeFile(t, schema, recs, filewriter.Options{Version: v, PageBytes: int64(pageBytes) + 1})
	if res.Rows != uint64(whole.NumRows()) {
		t.Fatalf("wrote %d rows, want %d", res.Rows, whole.NumRows())
	}
	rd, got := readBack(t, out, schema)
	if rd.NumRows() != uint64(whole.NumRows()) {
		t.Fatalf("file has %d rows, want %d", rd.NumRows(), whole.NumRows())
	}
	for i, fd := range schema.Fields() {
		if !array.Equal(got[i], whole.Column(i)) {
			t.Fatalf("field %s:\n got %v\nwant %v", fd.Name, got[i], whole.Column(i))
		}
		got[i].Release()
	}
}

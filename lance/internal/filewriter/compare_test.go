package filewriter

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/protobuf/proto"
)

// typesSchema is the schema of testdata/lancedb013_types.lance, written by
// LanceDB 0.13.0 with testdata/lancedb013_types.mjs.
func typesSchema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "cat", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "lu", Type: arrow.BinaryTypes.LargeString, Nullable: true},
		{Name: "bin", Type: arrow.BinaryTypes.Binary, Nullable: true},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "i8", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
		{Name: "i16", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
		{Name: "i32", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "i64", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "u8", Type: arrow.PrimitiveTypes.Uint8, Nullable: true},
		{Name: "u16", Type: arrow.PrimitiveTypes.Uint16, Nullable: true},
		{Name: "u32", Type: arrow.PrimitiveTypes.Uint32, Nullable: true},
		{Name: "u64", Type: arrow.PrimitiveTypes.Uint64, Nullable: true},
		{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "f64", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "allnull", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "vec", Type: arrow.FixedSizeListOfField(4, arrow.Field{Name: "item", Type: arrow.PrimitiveTypes.Float32, Nullable: true}), Nullable: true},
		{Name: "lst", Type: arrow.ListOfField(arrow.Field{Name: "item", Type: arrow.PrimitiveTypes.Int32, Nullable: true}), Nullable: true},
		{Name: "st", Type: arrow.StructOf(
			arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
			arrow.Field{Name: "y", Type: arrow.BinaryTypes.String, Nullable: true},
		), Nullable: true},
	}, nil)
}

// typesRecord builds rows [from, to) of the data the .mjs script writes.
func typesRecord(mem memory.Allocator, from, to int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, typesSchema())
	defer b.Release()
	for i := from; i < to; i++ {
		appendOr(b.Field(0), i%7 == 3, func() { b.Field(0).(*array.StringBuilder).Append(fmt.Sprintf("row-%d", i)) })
		appendOr(b.Field(1), i%11 == 5, func() { b.Field(1).(*array.StringBuilder).Append([]string{"red", "green", "blue"}[i%3]) })
		appendOr(b.Field(2), i%5 == 0, func() { b.Field(2).(*array.LargeStringBuilder).Append(strings.Repeat("x", i%4)) })
		appendOr(b.Field(3), i%6 == 1, func() { b.Field(3).(*array.BinaryBuilder).Append([]byte{byte(i), byte(i * 3)}) })
		appendOr(b.Field(4), i%9 == 0, func() { b.Field(4).(*array.BooleanBuilder).Append(i%2 == 0) })
		appendOr(b.Field(5), i%10 == 0, func() { b.Field(5).(*array.Int8Builder).Append(int8(i%100 - 50)) })
		b.Field(6).(*array.Int16Builder).Append(int16(i*7 - 1000))
		appendOr(b.Field(7), i%13 == 0, func() { b.Field(7).(*array.Int32Builder).Append(int32(i * 1000)) })
		b.Field(8).(*array.Int64Builder).Append(int64(i) * 1000000000)
		b.Field(9).(*array.Uint8Builder).Append(uint8(i % 256))
		b.Field(10).(*array.Uint16Builder).Append(uint16(i * 3))
		b.Field(11).(*array.Uint32Builder).Append(uint32(i * 100000))
		b.Field(12).(*array.Uint64Builder).Append(uint64(i) * 3)
		b.Field(13).(*array.Float32Builder).Append(float32(i) * 0.5)
		appendOr(b.Field(14), i%4 == 0, func() { b.Field(14).(*array.Float64Builder).Append(float64(i) * 0.25) })
		b.Field(15).AppendNull()
		vb := b.Field(16).(*array.FixedSizeListBuilder)
		appendOr(vb, i%17 == 0, func() {
			vb.Append(true)
			for k := 0; k < 4; k++ {
				vb.ValueBuilder().(*array.Float32Builder).Append(float32(i + k))
			}
		})
		lb := b.Field(17).(*array.ListBuilder)
		appendOr(lb, i%8 == 0, func() {
			lb.Append(true)
			for k := 0; k < i%4; k++ {
				lb.ValueBuilder().(*array.Int32Builder).Append(int32(i*10 + k))
			}
		})
		sb := b.Field(18).(*array.StructBuilder)
		sb.Append(true)
		sb.FieldBuilder(0).(*array.Int32Builder).Append(int32(i))
		sb.FieldBuilder(1).(*array.StringBuilder).Append(fmt.Sprintf("s%d", i))
	}
	return b.NewRecordBatch()
}

func appendOr(b array.Builder, null bool, value func()) {
	if null {
		b.AppendNull()
		return
	}
	value()
}

// TestMatchesLanceDB013 writes the rows LanceDB 0.13.0 wrote into
// testdata/lancedb013_types.lance and checks that every column has the same
// pages with the same encodings and the same buffer bytes.
func TestMatchesLanceDB013(t *testing.T) {
	refData, err := os.ReadFile("testdata/lancedb013_types.lance")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := inspect(refData)
	if err != nil {
		t.Fatal(err)
	}
	for _, split := range [][]int{{300}, {100, 200, 300}, {7, 150, 151, 300}} {
		t.Run(fmt.Sprint(split), func(t *testing.T) {
			var out bytes.Buffer
			w, err := New(&out, typesSchema(), ref.descriptor.GetSchema().GetFields(), Options{})
			if err != nil {
				t.Fatal(err)
			}
			from := 0
			for _, to := range split {
				rec := typesRecord(memory.DefaultAllocator, from, to)
				if err := w.Write(context.Background(), rec); err != nil {
					t.Fatal(err)
				}
				rec.Release()
				from = to
			}
			res, err := w.Finish(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			if res.Rows != 300 || res.Bytes != uint64(out.Len()) || res.NumColumns != 22 {
				t.Fatalf("result %+v, file %d bytes", res, out.Len())
			}
			got, err := inspect(out.Bytes())
			if err != nil {
				t.Fatal(err)
			}
			compareFiles(t, ref, got)
		})
	}
}

func compareFiles(t *testing.T, want, got *inspected) {
	t.Helper()
	if got.major != want.major || got.minor != want.minor {
		t.Errorf("version %d.%d, want %d.%d", got.major, got.minor, want.major, want.minor)
	}
	if !proto.Equal(got.descriptor, want.descriptor) {
		t.Errorf("file descriptor differs:\n got %v\nwant %v", got.descriptor, want.descriptor)
	}
	if len(got.columns) != len(want.columns) {
		t.Fatalf("%d columns, want %d", len(got.columns), len(want.columns))
	}
	for i, wc := range want.columns {
		gc := got.columns[i]
		if gc.encodingURL != wc.encodingURL || !proto.Equal(gc.encoding, wc.encoding) {
			t.Errorf("column %d encoding %s %v, want %s %v", i, gc.encodingURL, gc.encoding, wc.encodingURL, wc.encoding)
		}
		if len(gc.pages) != len(wc.pages) {
			t.Errorf("column %d: %d pages, want %d", i, len(gc.pages), len(wc.pages))
			continue
		}
		for j, wp := range wc.pages {
			gp := gc.pages[j]
			if gp.rows != wp.rows || gp.priority != wp.priority {
				t.Errorf("column %d page %d: rows %d prio %d, want %d %d", i, j, gp.rows, gp.priority, wp.rows, wp.priority)
			}
			if !proto.Equal(gp.encoding, wp.encoding) {
				t.Errorf("column %d page %d encoding\n got %v\nwant %v", i, j, gp.encoding, wp.encoding)
			}
			if len(gp.buffers) != len(wp.buffers) {
				t.Errorf("column %d page %d: %d buffers, want %d", i, j, len(gp.buffers), len(wp.buffers))
				continue
			}
			for k := range wp.buffers {
				if !bytes.Equal(gp.buffers[k], wp.buffers[k]) {
					t.Errorf("column %d page %d buffer %d:\n got %x\nwant %x", i, j, k, gp.buffers[k], wp.buffers[k])
				}
				if gp.offsets[k]%pageAlignment != 0 {
					t.Errorf("column %d page %d buffer %d at %d, not 64-byte aligned", i, j, k, gp.offsets[k])
				}
			}
		}
	}
}

package filewriter_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/protobuf/proto"

	"github.com/resona-go/resona/lance/internal/file"
	"github.com/resona-go/resona/lance/internal/filewriter"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb/enc21"
)

// v21Schema covers every type the 2.1+ writer supports, each with no
// nulls, some nulls and (for a few) only nulls.
func v21Schema() *arrow.Schema {
	item := func(t arrow.DataType) arrow.Field { return arrow.Field{Name: "item", Type: t, Nullable: true} }
	return arrow.NewSchema([]arrow.Field{
		{Name: "s_none", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "s_some", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "s_all", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "s_big", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "ls", Type: arrow.BinaryTypes.LargeString, Nullable: true},
		{Name: "bin", Type: arrow.BinaryTypes.Binary, Nullable: true},
		{Name: "lbin_big", Type: arrow.BinaryTypes.LargeBinary, Nullable: true},
		{Name: "b_none", Type: arrow.FixedWidthTypes.Boolean, Nullable: false},
		{Name: "b_some", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "i8", Type: arrow.PrimitiveTypes.Int8, Nullable: true},
		{Name: "i16", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
		{Name: "i32", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "i64", Type: arrow.PrimitiveTypes.Int64, Nullable: false},
		{Name: "u8", Type: arrow.PrimitiveTypes.Uint8, Nullable: true},
		{Name: "u16", Type: arrow.PrimitiveTypes.Uint16, Nullable: true},
		{Name: "u32", Type: arrow.PrimitiveTypes.Uint32, Nullable: true},
		{Name: "u64", Type: arrow.PrimitiveTypes.Uint64, Nullable: true},
		{Name: "f32", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "f64_none", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "f64_some", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "f64_all", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "ts", Type: arrow.FixedWidthTypes.Timestamp_us, Nullable: true},
		{Name: "v8_none", Type: arrow.FixedSizeListOfField(8, item(arrow.PrimitiveTypes.Float32)), Nullable: true},
		{Name: "v8_some", Type: arrow.FixedSizeListOfField(8, item(arrow.PrimitiveTypes.Float32)), Nullable: true},
		{Name: "v96_none", Type: arrow.FixedSizeListOfField(96, item(arrow.PrimitiveTypes.Float32)), Nullable: true},
		{Name: "v96_some", Type: arrow.FixedSizeListOfField(96, item(arrow.PrimitiveTypes.Float32)), Nullable: true},
		{Name: "v96_all", Type: arrow.FixedSizeListOfField(96, item(arrow.PrimitiveTypes.Float32)), Nullable: true},
		{Name: "st", Type: arrow.StructOf(
			arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
			arrow.Field{Name: "y", Type: arrow.BinaryTypes.String, Nullable: true},
			arrow.Field{Name: "z", Type: arrow.StructOf(
				arrow.Field{Name: "w", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
			), Nullable: true},
		), Nullable: true},
		{Name: "li", Type: arrow.ListOfField(item(arrow.PrimitiveTypes.Int32)), Nullable: true},
		{Name: "lstr", Type: arrow.ListOfField(item(arrow.BinaryTypes.String)), Nullable: true},
		{Name: "lbool", Type: arrow.ListOfField(item(arrow.FixedWidthTypes.Boolean)), Nullable: true},
		{Name: "lnull", Type: arrow.ListOfField(item(arrow.PrimitiveTypes.Int64)), Nullable: true},
		{Name: "lbig", Type: arrow.ListOfField(item(arrow.PrimitiveTypes.Uint8)), Nullable: true},
	}, nil)
}

// v21Record builds rows [from, to) of v21Schema from a seed.
func v21Record(from, to int) arrow.RecordBatch {
	b := array.NewRecordBuilder(memory.DefaultAllocator, v21Schema())
	defer b.Release()
	for i := from; i < to; i++ {
		rng := rand.New(rand.NewPCG(uint64(i), 5))
		str := func(k int) string { return fmt.Sprintf("v%d-%s", i, strings.Repeat("ab", k)) }
		b.Field(0).(*array.StringBuilder).Append(str(i % 5))
		orNull(b.Field(1), i%3 == 1, func() { b.Field(1).(*array.StringBuilder).Append(str(i % 7)) })
		b.Field(2).AppendNull()
		orNull(b.Field(3), i%4 == 2, func() { b.Field(3).(*array.StringBuilder).Append(str(i % 300)) })
		orNull(b.Field(4), i%5 == 0, func() { b.Field(4).(*array.LargeStringBuilder).Append(str(i % 3)) })
		orNull(b.Field(5), i%6 == 1, func() { b.Field(5).(*array.BinaryBuilder).Append([]byte{byte(i), 0, byte(i * 3)}) })
		orNull(b.Field(6), i%9 == 4, func() { b.Field(6).(*array.BinaryBuilder).Append(bytes.Repeat([]byte{byte(i)}, 200+i%400)) })
		b.Field(7).(*array.BooleanBuilder).Append(i%3 == 0)
		orNull(b.Field(8), i%5 == 2, func() { b.Field(8).(*array.BooleanBuilder).Append(i%2 == 0) })
		orNull(b.Field(9), i%10 == 0, func() { b.Field(9).(*array.Int8Builder).Append(int8(i%100 - 50)) })
		orNull(b.Field(10), i%11 == 0, func() { b.Field(10).(*array.Int16Builder).Append(int16(i*7 - 1000)) })
		orNull(b.Field(11), i%13 == 0, func() { b.Field(11).(*array.Int32Builder).Append(int32(i * 1000)) })
		b.Field(12).(*array.Int64Builder).Append(int64(i) * 1000000007)
		orNull(b.Field(13), i%2 == 0, func() { b.Field(13).(*array.Uint8Builder).Append(uint8(i)) })
		orNull(b.Field(14), i%7 == 0, func() { b.Field(14).(*array.Uint16Builder).Append(uint16(i * 3)) })
		orNull(b.Field(15), i%8 == 0, func() { b.Field(15).(*array.Uint32Builder).Append(uint32(i * 100000)) })
		orNull(b.Field(16), i%9 == 0, func() { b.Field(16).(*array.Uint64Builder).Append(uint64(i) << 40) })
		orNull(b.Field(17), i%10 == 3, func() { b.Field(17).(*array.Float32Builder).Append(rng.Float32()) })
		b.Field(18).(*array.Float64Builder).Append(rng.Float64())
		orNull(b.Field(19), i%4 == 0, func() { b.Field(19).(*array.Float64Builder).Append(float64(i) * 0.25) })
		b.Field(20).AppendNull()
		orNull(b.Field(21), i%12 == 0, func() { b.Field(21).(*array.TimestampBuilder).Append(arrow.Timestamp(int64(i) * 1e9)) })
		for f, dim := range map[int]int{22: 8, 23: 8, 24: 96, 25: 96, 26: 96} {
			vb := b.Field(f).(*array.FixedSizeListBuilder)
			null := (f == 23 && i%3 == 0) || (f == 25 && i%4 == 1) || f == 26
			orNull(vb, null, func() {
				vb.Append(true)
				for k := 0; k < dim; k++ {
					vb.ValueBuilder().(*array.Float32Builder).Append(rng.Float32()*2 - 1)
				}
			})
		}
		sb := b.Field(27).(*array.StructBuilder)
		orNull(sb, i%10 == 7, func() {
			sb.Append(true)
			orNull(sb.FieldBuilder(0), i%3 == 0, func() { sb.FieldBuilder(0).(*array.Int32Builder).Append(int32(i)) })
			orNull(sb.FieldBuilder(1), i%4 == 0, func() { sb.FieldBuilder(1).(*array.StringBuilder).Append(str(i % 4)) })
			zb := sb.FieldBuilder(2).(*array.StructBuilder)
			orNull(zb, i%5 == 0, func() {
				zb.Append(true)
				orNull(zb.FieldBuilder(0), i%7 == 0, func() { zb.FieldBuilder(0).(*array.Float64Builder).Append(float64(i) / 3) })
			})
		})
		li := b.Field(28).(*array.ListBuilder)
		orNull(li, i%9 == 1, func() {
			li.Append(true)
			for k := 0; k < i%5; k++ {
				orNull(li.ValueBuilder(), (i+k)%7 == 0, func() { li.ValueBuilder().(*array.Int32Builder).Append(int32(i*10 + k)) })
			}
		})
		ls := b.Field(29).(*array.ListBuilder)
		orNull(ls, i%6 == 5, func() {
			ls.Append(true)
			for k := 0; k < 1+i%3; k++ {
				orNull(ls.ValueBuilder(), (i+k)%8 == 0, func() { ls.ValueBuilder().(*array.StringBuilder).Append(str(k)) })
			}
		})
		lb := b.Field(30).(*array.ListBuilder)
		lb.Append(true)
		for k := 0; k < 1+i%4; k++ {
			lb.ValueBuilder().(*array.BooleanBuilder).Append((i+k)%3 == 0)
		}
		b.Field(31).AppendNull()
		lg := b.Field(32).(*array.ListBuilder)
		orNull(lg, i%10 == 9, func() {
			lg.Append(true)
			for k := 0; k < (i*37)%3000; k++ {
				lg.ValueBuilder().(*array.Uint8Builder).Append(uint8(i + k))
			}
		})
	}
	return b.NewRecordBatch()
}

// readBack opens an in-memory file and reads every field whole.
func readBack(t testing.TB, data []byte, schema *arrow.Schema) (*file.Reader, []arrow.Array) {
	t.Helper()
	ctx := context.Background()
	rd, err := file.Open(ctx, bytes.NewReader(data), int64(len(data)), "mem.lance")
	if err != nil {
		t.Fatal(err)
	}
	maj, min := rd.Version()
	var out []arrow.Array
	col := 0
	for _, f := range schema.Fields() {
		got, err := rd.ReadRange(ctx, f, col, 0, rd.NumRows())
		if err != nil {
			t.Fatalf("field %s: %v", f.Name, err)
		}
		out = append(out, got)
		col += file.ColumnsUsed(f, maj, min)
	}
	return rd, out
}

func TestRoundTripV21(t *testing.T) {
	schema := v21Schema()
	const n = 5000
	whole := v21Record(0, n)
	var recs []arrow.RecordBatch
	for _, r := range [][2]int{{0, 1}, {1, 100}, {100, 1000}, {1000, 1001}, {1001, 4097}, {4097, n}} {
		recs = append(recs, whole.NewSlice(int64(r[0]), int64(r[1])))
	}
	for _, v := range []filewriter.Version{filewriter.Version2_1, filewriter.Version2_2} {
		for _, pageBytes := range []int64{0, 4096, 100 << 10} {
			t.Run(fmt.Sprintf("%s/page%d", v, pageBytes), func(t *testing.T) {
				data, res := writeFile(t, schema, recs, filewriter.Options{Version: v, PageBytes: pageBytes})
				rd, got := readBack(t, data, schema)
				maj, min := rd.Version()
				wantMaj, wantMin := v.FileVersion()
				if uint32(maj) != wantMaj || uint32(min) != wantMin || rd.NumRows() != n {
					t.Fatalf("reader sees %d.%d with %d rows", maj, min, rd.NumRows())
				}
				if res.NumColumns != rd.NumColumns() || len(res.Fields) != res.NumColumns {
					t.Fatalf("result %+v, file has %d columns", res, rd.NumColumns())
				}
				for i, f := range schema.Fields() {
					if !array.Equal(got[i], whole.Column(i)) {
						t.Errorf("field %s differs", f.Name)
					}
					got[i].Release()
				}
			})
		}
	}
}

// TestV21Fields checks DataFile.fields / column_indices: only leaves, in
// pre-order, numbered like their columns (what LanceDB 0.39 records).
func TestV21Fields(t *testing.T) {
	schema := v21Schema()
	data, res := writeFile(t, schema, []arrow.RecordBatch{v21Record(0, 10)}, filewriter.Options{Version: filewriter.Version2_2})
	ls, err := format.SchemaFromArrow(schema, 0)
	if err != nil {
		t.Fatal(err)
	}
	var want []int32
	for _, f := range ls.PBFields() {
		if lt := f.GetLogicalType(); lt != "struct" && lt != "list" && lt != "large_list" {
			want = append(want, f.GetId())
		}
	}
	if fmt.Sprint(res.Fields) != fmt.Sprint(want) {
		t.Errorf("fields %v, want %v", res.Fields, want)
	}
	for i, c := range res.ColumnIndices {
		if int(c) != i {
			t.Errorf("column_indices %v", res.ColumnIndices)
			break
		}
	}
	rd, _ := readBack(t, data, schema)
	if rd.NumColumns() != len(want) {
		t.Errorf("%d columns, want %d", rd.NumColumns(), len(want))
	}
	if len(rd.Schema().GetFields()) != len(ls.PBFields()) {
		t.Errorf("file descriptor has %d fields, want %d", len(rd.Schema().GetFields()), len(ls.PBFields()))
	}
}

// TestV21Layouts checks the layout chosen for each kind of page.
func TestV21Layouts(t *testing.T) {
	schema := v21Schema()
	data, _ := writeFile(t, schema, []arrow.RecordBatch{v21Record(0, 300)}, filewriter.Options{Version: filewriter.Version2_2})
	rd, _ := readBack(t, data, schema)
	layout := func(col int) *enc21.PageLayout {
		var l enc21.PageLayout
		if err := proto.Unmarshal(rd.Column(col).Pages[0].Encoding.GetValue(), &l); err != nil {
			t.Fatal(err)
		}
		return &l
	}
	for col, want := range map[int]string{
		0: "mini", 1: "mini+def", 2: "constant", 3: "fullzip+def", 6: "fullzip+def", 7: "mini", 8: "mini+def",
		18: "mini", 20: "constant", 22: "mini", 23: "mini+def", 24: "fullzip", 25: "fullzip+def", 26: "constant",
		27: "mini+def", 29: "mini+def",
	} {
		l := layout(col)
		var got string
		switch {
		case l.GetMiniBlockLayout() != nil:
			m := l.GetMiniBlockLayout()
			got = "mini"
			if m.GetDefCompression() != nil {
				got += "+def"
			}
			if !m.GetHasLargeChunk() {
				t.Errorf("column %d: 2.2 mini-block without has_large_chunk", col)
			}
		case l.GetFullZipLayout() != nil:
			got = "fullzip"
			if l.GetFullZipLayout().GetBitsDef() > 0 {
				got += "+def"
			}
		case l.GetConstantLayout() != nil:
			got = "constant"
		}
		if got != want {
			t.Errorf("column %d: %s, want %s", col, got, want)
		}
	}
	// The nested struct leaf z.w has three layers, innermost first.
	if got := layout(29).GetMiniBlockLayout().GetLayers(); len(got) != 3 {
		t.Errorf("st.z.w layers %v", got)
	}
}

func TestV21Unsupported(t *testing.T) {
	for _, dt := range []arrow.DataType{
		arrow.ListOf(arrow.ListOf(arrow.PrimitiveTypes.Int32)),
		arrow.ListOf(arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32, Nullable: true})),
		arrow.StructOf(arrow.Field{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Int32), Nullable: true}),
		arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32),
		arrow.FixedSizeListOf(2, arrow.FixedWidthTypes.Boolean),
		arrow.StructOf(),
	} {
		schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: dt, Nullable: true}}, nil)
		ls, err := format.SchemaFromArrow(schema, 0)
		if err != nil {
			continue
		}
		_, err = filewriter.New(&bytes.Buffer{}, schema, ls.PBFields(), filewriter.Options{Version: filewriter.Version2_2})
		if !errors.Is(err, lanceerr.ErrUnsupported) {
			t.Errorf("%s: %v, want ErrUnsupported", dt, err)
		}
	}
	schema := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int32}}, nil)
	ls, _ := format.SchemaFromArrow(schema, 0)
	if _, err := filewriter.New(&bytes.Buffer{}, schema, ls.PBFields(), filewriter.Options{Version: 7}); !errors.Is(err, lanceerr.ErrInvalidArgument) {
		t.Errorf("version 7: %v", err)
	}
}

// TestV21NullItemsRefused: fixed-size lists with null items in valid rows
// need item validity, which this writer does not produce.
func TestV21NullItemsRefused(t *testing.T) {
	dt := arrow.FixedSizeListOfField(2, arrow.Field{Name: "item", Type: arrow.PrimitiveTypes.Float32, Nullable: true})
	schema := arrow.NewSchema([]arrow.Field{{Name: "v", Type: dt, Nullable: true}}, nil)
	b := array.NewFixedSizeListBuilderWithField(memory.DefaultAllocator, 2, dt.ElemField())
	defer b.Release()
	b.Append(true)
	b.ValueBuilder().(*array.Float32Builder).Append(1)
	b.ValueBuilder().AppendNull()
	arr := b.NewArray()
	defer arr.Release()
	rec := array.NewRecordBatch(schema, []arrow.Array{arr}, 1)
	defer rec.Release()
	ls, _ := format.SchemaFromArrow(schema, 0)
	w, err := filewriter.New(&bytes.Buffer{}, schema, ls.PBFields(), filewriter.Options{Version: filewriter.Version2_2})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(context.Background(), rec); !errors.Is(err, lanceerr.ErrUnsupported) {
		t.Errorf("got %v, want ErrUnsupported", err)
	}
}

func orNull(b array.Builder, null bool, value func()) {
	if null {
		b.AppendNull()
		return
	}
	value()
}

// TestTakeV21 reads scattered rows, which makes the reader locate rows
// through the full-zip repetition index and mini-block chunk metadata.
func TestTakeV21(t *testing.T) {
	schema := v21Schema()
	const n = 3000
	whole := v21Record(0, n)
	data, _ := writeFile(t, schema, []arrow.RecordBatch{whole}, filewriter.Options{Version: filewriter.Version2_2, PageBytes: 64 << 10})
	ctx := context.Background()
	rd, err := file.Open(ctx, bytes.NewReader(data), int64(len(data)), "mem.lance")
	if err != nil {
		t.Fatal(err)
	}
	rows := []uint64{0, 1, 17, 17, 999, 1000, 1500, 2047, 2048, 2999}
	col := 0
	for i, f := range schema.Fields() {
		got, err := rd.Take(ctx, f, col, rows)
		if err != nil {
			t.Fatalf("field %s: %v", f.Name, err)
		}
		for k, r := range rows {
			want := array.NewSlice(whole.Column(i), int64(r), int64(r+1))
			one := array.NewSlice(got, int64(k), int64(k+1))
			if !array.Equal(one, want) {
				t.Errorf("field %s row %d: got %v, want %v", f.Name, r, one, want)
			}
			one.Release()
			want.Release()
		}
		got.Release()
		col += file.ColumnsUsed(f, 2, 2)
	}
}

func TestEmptyFileV22(t *testing.T) {
	schema := v21Schema()
	data, res := writeFile(t, schema, nil, filewriter.Options{Version: filewriter.Version2_2})
	if res.Rows != 0 {
		t.Fatalf("%d rows", res.Rows)
	}
	rd, got := readBack(t, data, schema)
	if rd.NumRows() != 0 {
		t.Fatalf("%d rows", rd.NumRows())
	}
	for _, a := range got {
		if a.Len() != 0 {
			t.Errorf("%s: %d rows", a.DataType(), a.Len())
		}
		a.Release()
	}
}

// TestV21ListRowTooLarge: in 2.1 a list row must fit one u16-sized chunk.
func TestV21ListRowTooLarge(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "l", Type: arrow.ListOf(arrow.PrimitiveTypes.Uint8), Nullable: true}}, nil)
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	lb := b.Field(0).(*array.ListBuilder)
	lb.Append(true)
	lb.ValueBuilder().(*array.Uint8Builder).AppendValues(make([]uint8, 20000), nil)
	rec := b.NewRecordBatch()
	defer rec.Release()
	ls, _ := format.SchemaFromArrow(schema, 0)
	w, err := filewriter.New(&bytes.Buffer{}, schema, ls.PBFields(), filewriter.Options{Version: filewriter.Version2_1})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Write(context.Background(), rec); !errors.Is(err, lanceerr.ErrUnsupported) {
		t.Errorf("got %v, want ErrUnsupported", err)
	}
	// 2.2's large chunks hold it.
	data, _ := writeFile(t, schema, []arrow.RecordBatch{rec}, filewriter.Options{Version: filewriter.Version2_2})
	_, got := readBack(t, data, schema)
	if !array.Equal(got[0], rec.Column(0)) {
		t.Error("2.2 list row differs")
	}
	got[0].Release()
}

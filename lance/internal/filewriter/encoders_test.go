package filewriter

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/protobuf/encoding/prototext"
	"google.golang.org/protobuf/proto"

	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/pb/enc20"
)

// simpleFields flattens schema into Lance fields with ids in pre-order.
// Only names and parents matter to the writer.
func simpleFields(schema *arrow.Schema) []*pb.Field {
	var out []*pb.Field
	var add func(f arrow.Field, parent int32)
	add = func(f arrow.Field, parent int32) {
		id := int32(len(out))
		out = append(out, &pb.Field{Name: f.Name, Id: id, ParentId: parent, Nullable: f.Nullable})
		switch t := f.Type.(type) {
		case *arrow.ListType:
			add(t.ElemField(), id)
		case *arrow.LargeListType:
			add(t.ElemField(), id)
		case *arrow.StructType:
			for _, c := range t.Fields() {
				add(c, id)
			}
		}
	}
	for _, f := range schema.Fields() {
		add(f, -1)
	}
	return out
}

// writeColumn writes arrays (one batch each) of a single nullable column
// named "c" and returns the parsed file.
func writeColumn(t *testing.T, opts Options, arrs ...arrow.Array) *inspected {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{{Name: "c", Type: arrs[0].DataType(), Nullable: true}}, nil)
	var buf bytes.Buffer
	w, err := New(&buf, schema, simpleFields(schema), opts)
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range arrs {
		rec := array.NewRecordBatch(schema, []arrow.Array{a}, int64(a.Len()))
		if err := w.Write(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.Finish(context.Background()); err != nil {
		t.Fatal(err)
	}
	f, err := inspect(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func mustEnc(t *testing.T, text string) *enc20.ArrayEncoding {
	t.Helper()
	e := &enc20.ArrayEncoding{}
	if err := prototext.Unmarshal([]byte(text), e); err != nil {
		t.Fatal(err)
	}
	return e
}

func u64s(vs ...uint64) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	return b
}

func fromJSON(t *testing.T, dt arrow.DataType, js string) arrow.Array {
	t.Helper()
	a, _, err := array.FromJSON(memory.DefaultAllocator, dt, strings.NewReader(js))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestPageEncodings(t *testing.T) {
	utf8 := arrow.BinaryTypes.String
	var manyNull, lowCard, highCard, lowCard99 strings.Builder
	manyNull.WriteString("[null")
	lowCard.WriteString(`["b"`)
	highCard.WriteString(`["v0"`)
	lowCard99.WriteString(`["b"`)
	for i := 1; i < 100; i++ {
		manyNull.WriteString(",null")
		lowCard.WriteString([]string{`,"a"`, `,"b"`, `,null`}[i%3])
		highCard.WriteString(`,"v` + string(rune('0'+i/10)) + string(rune('0'+i%10)) + `"`)
		if i < 99 {
			lowCard99.WriteString(`,"a"`)
		}
	}
	for _, b := range []*strings.Builder{&manyNull, &lowCard, &highCard, &lowCard99} {
		b.WriteString("]")
	}
	lowCodes := make([]byte, 100)
	for i := range lowCodes {
		lowCodes[i] = []byte{2, 1, 0}[i%3]
	}
	lowCodes[0] = 1

	cases := []struct {
		name string
		dt   arrow.DataType
		js   string
		enc  string
		bufs [][]byte
	}{
		{"int32 no nulls", arrow.PrimitiveTypes.Int32, `[1, -2]`,
			`nullable:{no_nulls:{values:{flat:{bits_per_value:32 buffer:{}}}}}`,
			[][]byte{{1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff}}},
		{"int16 some nulls", arrow.PrimitiveTypes.Int16, `[7, null, 9]`,
			`nullable:{some_nulls:{validity:{flat:{bits_per_value:1 buffer:{}}} values:{flat:{bits_per_value:16 buffer:{buffer_index:1}}}}}`,
			[][]byte{{0b101}, {7, 0, 0, 0, 9, 0}}},
		{"float64 all null", arrow.PrimitiveTypes.Float64, `[null, null]`,
			`nullable:{all_nulls:{}}`, nil},
		{"bool", arrow.FixedWidthTypes.Boolean, `[true, false, true, true, false, false, false, false, true]`,
			`nullable:{no_nulls:{values:{flat:{bits_per_value:1 buffer:{}}}}}`,
			[][]byte{{0b00001101, 0b1}}},
		{"utf8 with null", utf8, `["a", null, "bc"]`,
			`binary:{indices:{nullable:{no_nulls:{values:{flat:{bits_per_value:64 buffer:{}}}}}} bytes:{flat:{bits_per_value:8 buffer:{buffer_index:1}}} null_adjustment:4}`,
			[][]byte{u64s(1, 1+4, 3), []byte("abc")}},
		{"large utf8 all null", arrow.BinaryTypes.LargeString, `[null, null, null]`,
			`binary:{indices:{nullable:{no_nulls:{values:{flat:{bits_per_value:64 buffer:{}}}}}} bytes:{flat:{bits_per_value:8 buffer:{buffer_index:1}}} null_adjustment:1}`,
			[][]byte{u64s(1, 1, 1), {}}},
		{"binary never dictionary", arrow.BinaryTypes.Binary, `["` + strings.Repeat(`YQ==", "`, 119) + `YQ=="]`,
			`binary:{indices:{nullable:{no_nulls:{values:{flat:{bits_per_value:64 buffer:{}}}}}} bytes:{flat:{bits_per_value:8 buffer:{buffer_index:1}}} null_adjustment:121}`,
			nil},
		{"utf8 dictionary", utf8, lowCard.String(),
			`dictionary:{indices:{nullable:{no_nulls:{values:{flat:{bits_per_value:8 buffer:{}}}}}} items:{binary:{indices:{nullable:{no_nulls:{values:{flat:{bits_per_value:64 buffer:{buffer_index:1}}}}}} bytes:{flat:{bits_per_value:8 buffer:{buffer_index:2}}} null_adjustment:3}} num_dictionary_items:2}`,
			[][]byte{lowCodes, u64s(1, 2), []byte("ba")}},
		{"utf8 all null dictionary", utf8, manyNull.String(),
			`dictionary:{indices:{nullable:{no_nulls:{values:{flat:{bits_per_value:8 buffer:{}}}}}} items:{binary:{indices:{nullable:{no_nulls:{values:{flat:{bits_per_value:64 buffer:{buffer_index:1}}}}}} bytes:{flat:{bits_per_value:8 buffer:{buffer_index:2}}} null_adjustment:1}} num_dictionary_items:1}`,
			[][]byte{make([]byte, 100), u64s(1), {}}},
		{"utf8 100 distinct", utf8, highCard.String(),
			`binary:{indices:{nullable:{no_nulls:{values:{flat:{bits_per_value:64 buffer:{}}}}}} bytes:{flat:{bits_per_value:8 buffer:{buffer_index:1}}} null_adjustment:300}`,
			nil},
		{"utf8 99 rows", utf8, lowCard99.String(),
			`binary:{indices:{nullable:{no_nulls:{values:{flat:{bits_per_value:64 buffer:{}}}}}} bytes:{flat:{bits_per_value:8 buffer:{buffer_index:1}}} null_adjustment:100}`,
			nil},
		{"fsl float32", arrow.FixedSizeListOf(2, arrow.PrimitiveTypes.Float32), `[[1, 2], [3, 4]]`,
			`nullable:{no_nulls:{values:{fixed_size_list:{dimension:2 items:{nullable:{no_nulls:{values:{flat:{bits_per_value:32 buffer:{}}}}}}}}}}`,
			[][]byte{{0, 0, 0x80, 0x3f, 0, 0, 0, 0x40, 0, 0, 0x40, 0x40, 0, 0, 0x80, 0x40}}},
		{"list int8", arrow.ListOf(arrow.PrimitiveTypes.Int8), `[[1, 2], null, [], [3]]`,
			`list:{offsets:{nullable:{no_nulls:{values:{flat:{bits_per_value:64 buffer:{}}}}}} null_offset_adjustment:4 num_items:3}`,
			[][]byte{u64s(2, 2+4, 2, 3)}},
		{"large list", arrow.LargeListOf(arrow.PrimitiveTypes.Int8), `[[1], [2, 3]]`,
			`list:{offsets:{nullable:{no_nulls:{values:{flat:{bits_per_value:64 buffer:{}}}}}} null_offset_adjustment:4 num_items:3}`,
			[][]byte{u64s(1, 3)}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := fromJSON(t, c.dt, c.js)
			defer a.Release()
			f := writeColumn(t, Options{}, a)
			if len(f.columns[0].pages) != 1 {
				t.Fatalf("%d pages", len(f.columns[0].pages))
			}
			p := f.columns[0].pages[0]
			if want := mustEnc(t, c.enc); !proto.Equal(p.encoding, want) {
				t.Errorf("encoding\n got %v\nwant %v", p.encoding, want)
			}
			if p.rows != uint64(a.Len()) {
				t.Errorf("rows %d, want %d", p.rows, a.Len())
			}
			if c.bufs == nil {
				return
			}
			if len(p.buffers) != len(c.bufs) {
				t.Fatalf("%d buffers, want %d", len(p.buffers), len(c.bufs))
			}
			for i := range c.bufs {
				if !bytes.Equal(p.buffers[i], c.bufs[i]) {
					t.Errorf("buffer %d: %x, want %x", i, p.buffers[i], c.bufs[i])
				}
			}
		})
	}
}

func TestListItemsColumn(t *testing.T) {
	a := fromJSON(t, arrow.ListOf(arrow.PrimitiveTypes.Int8), `[[1, 2], null, [], [3, null]]`)
	defer a.Release()
	f := writeColumn(t, Options{}, a)
	if len(f.columns) != 2 {
		t.Fatalf("%d columns", len(f.columns))
	}
	p := f.columns[1].pages[0]
	want := mustEnc(t, `nullable:{some_nulls:{validity:{flat:{bits_per_value:1 buffer:{}}} values:{flat:{bits_per_value:8 buffer:{buffer_index:1}}}}}`)
	if !proto.Equal(p.encoding, want) || p.rows != 4 || !bytes.Equal(p.buffers[0], []byte{0b0111}) || !bytes.Equal(p.buffers[1][:3], []byte{1, 2, 3}) {
		t.Errorf("items page: rows %d enc %v bufs %x", p.rows, p.encoding, p.buffers)
	}
}

// TestPageBoundaries checks Lance's accumulation rule: arrays queue until
// their size exceeds the budget, the crossing array joins the page, and a
// single array over budget is split into ceil(size/MaxPageBytes) pages.
func TestPageBoundaries(t *testing.T) {
	mk := func(n, from int) arrow.Array {
		b := array.NewInt64Builder(memory.DefaultAllocator)
		defer b.Release()
		for i := 0; i < n; i++ {
			b.Append(int64(from + i))
		}
		return b.NewArray()
	}
	rows := func(f *inspected) []uint64 {
		var out []uint64
		for _, p := range f.columns[0].pages {
			out = append(out, p.rows)
		}
		return out
	}
	// 10 rows = 80 bytes: 80, 160, 240 (no flush), 320 > 256 flush.
	var arrs []arrow.Array
	for i := 0; i < 9; i++ {
		arrs = append(arrs, mk(10, 10*i))
	}
	if got := rows(writeColumn(t, Options{PageBytes: 256}, arrs...)); !equalU64(got, []uint64{40, 40, 10}) {
		t.Errorf("queued pages %v, want [40 40 10]", got)
	}
	// 300 rows = 2400 bytes alone over budget: ceil(2400/1000) = 3 pages.
	big := mk(300, 0)
	f := writeColumn(t, Options{PageBytes: 256, MaxPageBytes: 1000}, mk(10, 0), big, big)
	if got := rows(f); !equalU64(got, []uint64{310, 100, 100, 100}) {
		t.Errorf("split pages %v, want [310 100 100 100]", got)
	}
	if v := binary.LittleEndian.Uint64(f.columns[0].pages[3].buffers[0]); v != 200 {
		t.Errorf("last page starts with %d, want 200", v)
	}
}

func equalU64(a, b []uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestListPagesCoverItemPages checks that no items page spans two offsets
// pages, which Lance's 2.0 reader cannot schedule.
func TestListPagesCoverItemPages(t *testing.T) {
	var arrs []arrow.Array
	for i := 0; i < 20; i++ {
		arrs = append(arrs, fromJSON(t, arrow.ListOf(arrow.PrimitiveTypes.Int64), `[[1, 2, 3], null, [4], [], [5, 6, 7, 8, 9, 10, 11]]`))
	}
	f := writeColumn(t, Options{PageBytes: 100}, arrs...)
	if len(f.columns[0].pages) < 3 {
		t.Fatalf("only %d offsets pages", len(f.columns[0].pages))
	}
	boundaries := map[uint64]bool{0: true}
	var items uint64
	for _, p := range f.columns[1].pages {
		items += p.rows
		boundaries[items] = true
	}
	var covered uint64
	for i, p := range f.columns[0].pages {
		covered += p.encoding.GetList().GetNumItems()
		if !boundaries[covered] {
			t.Errorf("offsets page %d ends at item %d, inside an items page", i, covered)
		}
	}
	if covered != items || items != 20*11 {
		t.Errorf("offsets cover %d items, items pages hold %d, want %d", covered, items, 20*11)
	}
}

// TestSlicedInput writes a sliced record and the same rows built fresh; the
// files must be identical, so array offsets are honoured everywhere.
func TestSlicedInput(t *testing.T) {
	full := typesRecord(memory.DefaultAllocator, 0, 300)
	defer full.Release()
	sliced := full.NewSlice(13, 251)
	defer sliced.Release()
	fresh := typesRecord(memory.DefaultAllocator, 13, 251)
	defer fresh.Release()
	write := func(rec arrow.RecordBatch) []byte {
		var buf bytes.Buffer
		w, err := New(&buf, typesSchema(), simpleFields(typesSchema()), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := w.Write(context.Background(), rec); err != nil {
			t.Fatal(err)
		}
		if _, err := w.Finish(context.Background()); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	a, b := write(sliced), write(fresh)
	if !bytes.Equal(a, b) {
		fa, _ := inspect(a)
		fb, _ := inspect(b)
		t.Errorf("sliced input differs:\n%s\nfresh:\n%s", fa.describe(true), fb.describe(true))
	}
}

func TestWriterErrors(t *testing.T) {
	ctx := context.Background()
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int32}}, nil)
	if _, err := New(&bytes.Buffer{}, schema, nil, Options{}); !errors.Is(err, lanceerr.ErrInvalidArgument) {
		t.Errorf("missing fields: %v", err)
	}
	if _, err := New(&bytes.Buffer{}, schema, []*pb.Field{{Name: "b", ParentId: -1}}, Options{}); !errors.Is(err, lanceerr.ErrInvalidArgument) {
		t.Errorf("wrong field name: %v", err)
	}
	mapSchema := arrow.NewSchema([]arrow.Field{{Name: "m", Type: arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int32)}}, nil)
	if _, err := New(&bytes.Buffer{}, mapSchema, []*pb.Field{{Name: "m", ParentId: -1}}, Options{}); !errors.Is(err, lanceerr.ErrUnsupported) {
		t.Errorf("map type: %v", err)
	}
	w, err := New(&bytes.Buffer{}, schema, simpleFields(schema), Options{})
	if err != nil {
		t.Fatal(err)
	}
	nulls := fromJSON(t, arrow.PrimitiveTypes.Int32, `[1, null]`)
	if err := w.Write(ctx, array.NewRecordBatch(schema, []arrow.Array{nulls}, 2)); !errors.Is(err, lanceerr.ErrInvalidArgument) {
		t.Errorf("null in non-nullable field: %v", err)
	}
	other := fromJSON(t, arrow.PrimitiveTypes.Int64, `[1]`)
	otherSchema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64}}, nil)
	if err := w.Write(ctx, array.NewRecordBatch(otherSchema, []arrow.Array{other}, 1)); !errors.Is(err, lanceerr.ErrInvalidArgument) {
		t.Errorf("wrong column type: %v", err)
	}
	if _, err := w.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	ok := fromJSON(t, arrow.PrimitiveTypes.Int32, `[1]`)
	if err := w.Write(ctx, array.NewRecordBatch(schema, []arrow.Array{ok}, 1)); !errors.Is(err, lanceerr.ErrInvalidArgument) {
		t.Errorf("write after finish: %v", err)
	}
	if _, err := w.Finish(ctx); !errors.Is(err, lanceerr.ErrInvalidArgument) {
		t.Errorf("second finish: %v", err)
	}
}

type failWriter struct{ n int }

func (f *failWriter) Write(p []byte) (int, error) {
	if f.n < len(p) {
		return 0, errors.New("disk full")
	}
	f.n -= len(p)
	return len(p), nil
}

func TestWriteErrorIsSticky(t *testing.T) {
	ctx := context.Background()
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int64, Nullable: true}}, nil)
	w, err := New(&failWriter{n: 100}, schema, simpleFields(schema), Options{PageBytes: 64})
	if err != nil {
		t.Fatal(err)
	}
	a := fromJSON(t, arrow.PrimitiveTypes.Int64, `[1, 2, 3, 4, 5, 6, 7, 8, 9, 10]`)
	rec := array.NewRecordBatch(schema, []arrow.Array{a}, 10)
	// The bufio layer absorbs the first pages; Finish must report the failure.
	for i := 0; i < 3; i++ {
		_ = w.Write(ctx, rec)
	}
	if _, err := w.Finish(ctx); err == nil {
		t.Fatal("Finish succeeded on a failing writer")
	}
	if err := w.Write(ctx, rec); err == nil {
		t.Fatal("Write succeeded after a failure")
	}
}

func TestEmptyFile(t *testing.T) {
	schema := typesSchema()
	var buf bytes.Buffer
	w, err := New(&buf, schema, simpleFields(schema), Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := w.Finish(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	f, err := inspect(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 0 || len(f.columns) != 22 || f.descriptor.GetLength() != 0 {
		t.Errorf("rows %d, %d columns", res.Rows, len(f.columns))
	}
}

func TestStructNullsRefused(t *testing.T) {
	dt := arrow.StructOf(arrow.Field{Name: "x", Type: arrow.PrimitiveTypes.Int32, Nullable: true})
	schema := arrow.NewSchema([]arrow.Field{{Name: "s", Type: dt, Nullable: true}}, nil)
	w, err := New(&bytes.Buffer{}, schema, simpleFields(schema), Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := fromJSON(t, dt, `[{"x": 1}, null]`)
	defer a.Release()
	if err := w.Write(context.Background(), array.NewRecordBatch(schema, []arrow.Array{a}, 2)); !errors.Is(err, lanceerr.ErrUnsupported) {
		t.Errorf("struct with null rows: %v", err)
	}
}

func TestGlobalBuffersAndMetadata(t *testing.T) {
	ctx := context.Background()
	schema := arrow.NewSchema([]arrow.Field{{Name: "a", Type: arrow.PrimitiveTypes.Int32, Nullable: true}},
		func() *arrow.Metadata { m := arrow.NewMetadata([]string{"k"}, []string{"v"}); return &m }())
	var buf bytes.Buffer
	w, err := New(&buf, schema, simpleFields(schema), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if i, err := w.AddGlobalBuffer(ctx, []byte("first")); err != nil || i != 1 {
		t.Fatalf("first global buffer: %d %v", i, err)
	}
	a := fromJSON(t, arrow.PrimitiveTypes.Int32, `[1, 2, 3]`)
	defer a.Release()
	if err := w.Write(ctx, array.NewRecordBatch(schema, []arrow.Array{a}, 3)); err != nil {
		t.Fatal(err)
	}
	if i, err := w.AddGlobalBuffer(ctx, []byte("second")); err != nil || i != 2 {
		t.Fatalf("second global buffer: %d %v", i, err)
	}
	w.SetSchemaMetadata("late", []byte("x"))
	if _, err := w.Finish(ctx); err != nil {
		t.Fatal(err)
	}
	f, err := inspect(buf.Bytes())
	if err != nil {
		t.Fatal(err)
	}
	if len(f.globals) != 2 || string(f.globals[0]) != "first" || string(f.globals[1]) != "second" {
		t.Fatalf("global buffers %q", f.globals)
	}
	for _, off := range f.offsets {
		if off%pageAlignment != 0 {
			t.Errorf("global buffer at %d, not aligned", off)
		}
	}
	md := f.descriptor.GetSchema().GetMetadata()
	if string(md["k"]) != "v" || string(md["late"]) != "x" || len(md) != 2 {
		t.Errorf("schema metadata %q", md)
	}
	if got := f.columns[0].pages[0].buffers[0]; !bytes.Equal(got, []byte{1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0}) {
		t.Errorf("page buffer %x", got)
	}
}

func TestDimensionMismatch(t *testing.T) {
	schema := arrow.NewSchema([]arrow.Field{{Name: "v", Type: arrow.FixedSizeListOf(3, arrow.PrimitiveTypes.Float32), Nullable: true}}, nil)
	w, err := New(&bytes.Buffer{}, schema, simpleFields(schema), Options{})
	if err != nil {
		t.Fatal(err)
	}
	dt := arrow.FixedSizeListOf(2, arrow.PrimitiveTypes.Float32)
	a := fromJSON(t, dt, `[[1, 2]]`)
	defer a.Release()
	other := arrow.NewSchema([]arrow.Field{{Name: "v", Type: dt, Nullable: true}}, nil)
	if err := w.Write(context.Background(), array.NewRecordBatch(other, []arrow.Array{a}, 1)); !errors.Is(err, lanceerr.ErrDimensionMismatch) {
		t.Errorf("dimension 2 into 3: %v", err)
	}
}

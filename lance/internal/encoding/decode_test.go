package encoding

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"testing"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"

	"github.com/resona-go/resona/lance/internal/encoding/fsst"
	"github.com/resona-go/resona/lance/internal/encoding/page"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb/enc20"
)

func read(t *testing.T, m *memFile, cols []page.Column, f arrow.Field, ranges ...RowRange) (arrow.Array, error) {
	t.Helper()
	for i := range cols {
		cols[i].Index = i
	}
	fr := &FieldReader{Source: m, Columns: cols}
	return fr.Read(context.Background(), f, 0, ranges)
}

func mustRead(t *testing.T, m *memFile, cols []page.Column, f arrow.Field, want string, ranges ...RowRange) arrow.Array {
	t.Helper()
	arr, err := read(t, m, cols, f, ranges...)
	if err != nil {
		t.Fatalf("read %v: %v", ranges, err)
	}
	if !arrow.TypeEqual(arr.DataType(), f.Type) {
		t.Fatalf("type %s, want %s", arr.DataType(), f.Type)
	}
	if got := arr.String(); got != want {
		t.Fatalf("read %v: got %s, want %s", ranges, got, want)
	}
	return arr
}

func field(t arrow.DataType) arrow.Field { return arrow.Field{Name: "f", Type: t, Nullable: true} }

func TestFixedWidthPages(t *testing.T) {
	m := &memFile{}
	p0 := mkPage(t, noNull(flat(32, 0)), 3, m.add(u32le(1, 2, 3)))
	p1 := mkPage(t, someNull(flat(1, 0), flat(32, 1)), 3, m.add(bitmap(true, false, true)), m.add(u32le(4, 99, 6)))
	p2 := mkPage(t, allNull(), 2)
	cols := []page.Column{{Pages: []page.Page{p0, p1, p2}}}
	f := field(arrow.PrimitiveTypes.Int32)
	tests := []struct {
		ranges []RowRange
		want   string
	}{
		{[]RowRange{{0, 8}}, "[1 2 3 4 (null) 6 (null) (null)]"},
		{[]RowRange{{1, 5}}, "[2 3 4 (null)]"},
		{[]RowRange{{0, 1}, {5, 7}}, "[1 6 (null)]"},
		{[]RowRange{{2, 3}, {2, 3}}, "[3 3]"},
		{[]RowRange{{4, 4}}, "[]"},
		{nil, "[]"},
	}
	for _, tc := range tests {
		mustRead(t, m, cols, f, tc.want, tc.ranges...)
	}
	if _, err := read(t, m, cols, f, RowRange{7, 9}); !errors.Is(err, lanceerr.ErrCorrupt) {
		t.Fatalf("read beyond the column: %v, want ErrCorrupt", err)
	}
	if _, err := read(t, m, cols, f, RowRange{3, 4}, RowRange{1, 2}); !errors.Is(err, lanceerr.ErrInvalidArgument) {
		t.Fatalf("descending ranges: %v, want ErrInvalidArgument", err)
	}
	// The Flat width must match the column type.
	if _, err := read(t, m, cols, field(arrow.PrimitiveTypes.Int64), RowRange{0, 1}); !errors.Is(err, lanceerr.ErrCorrupt) {
		t.Fatalf("width mismatch: %v, want ErrCorrupt", err)
	}
}

func TestBoolUnalignedBits(t *testing.T) {
	m := &memFile{}
	vals := []bool{true, false, true, true, false, false, true, false, true, true, false}
	valid := []bool{true, true, false, true, true, true, true, true, true, false, true}
	p := mkPage(t, someNull(flat(1, 0), flat(1, 1)), 11, m.add(bitmap(valid...)), m.add(bitmap(vals...)))
	cols := []page.Column{{Pages: []page.Page{p}}}
	mustRead(t, m, cols, field(arrow.FixedWidthTypes.Boolean), "[false (null) true false false true false]", RowRange{1, 8})
	mustRead(t, m, cols, field(arrow.FixedWidthTypes.Boolean), "[true (null) false]", RowRange{8, 11})
}

func TestBinaryPages(t *testing.T) {
	m := &memFile{}
	p0 := binaryPage(t, m, []*string{sp("ab"), nil, sp(""), sp("cde")})
	p1 := binaryPage(t, m, []*string{nil, nil})
	p2 := binaryPage(t, m, []*string{sp("f"), sp("")})
	cols := []page.Column{{Pages: []page.Page{p0, p1, p2}}}
	for _, typ := range []arrow.DataType{arrow.BinaryTypes.String, arrow.BinaryTypes.LargeString} {
		f := field(typ)
		mustRead(t, m, cols, f, `["ab" (null) "" "cde" (null) (null) "f" ""]`, RowRange{0, 8})
		mustRead(t, m, cols, f, `["" "cde" (null)]`, RowRange{2, 5})
		mustRead(t, m, cols, f, `[(null) "cde" "f"]`, RowRange{1, 2}, RowRange{3, 4}, RowRange{6, 7})
	}
	arr := mustRead(t, m, cols, field(arrow.BinaryTypes.Binary), `["cde"]`, RowRange{3, 4})
	if string(arr.(*array.Binary).Value(0)) != "cde" {
		t.Fatal("binary value")
	}
}

func TestBinaryCorruptOffsets(t *testing.T) {
	m := &memFile{}
	idx := m.add(u64le(3, 1))
	by := m.add([]byte("abc"))
	p := mkPage(t, binaryEnc(noNull(flat(64, 0)), flat(8, 1), 4), 2, idx, by)
	cols := []page.Column{{Pages: []page.Page{p}}}
	if _, err := read(t, m, cols, field(arrow.BinaryTypes.String), RowRange{0, 2}); !errors.Is(err, lanceerr.ErrCorrupt) {
		t.Fatalf("decreasing offsets: %v", err)
	}
	idx = m.add(u64le(2, 9))
	p = mkPage(t, binaryEnc(noNull(flat(64, 0)), flat(8, 1), 10), 2, idx, by)
	cols = []page.Column{{Pages: []page.Page{p}}}
	if _, err := read(t, m, cols, field(arrow.BinaryTypes.String), RowRange{0, 2}); !errors.Is(err, lanceerr.ErrCorrupt) {
		t.Fatalf("offsets beyond the bytes buffer: %v", err)
	}
	p = mkPage(t, binaryEnc(noNull(flat(64, 0)), flat(8, 7), 10), 2, idx, by)
	cols = []page.Column{{Pages: []page.Page{p}}}
	if _, err := read(t, m, cols, field(arrow.BinaryTypes.String), RowRange{0, 2}); !errors.Is(err, lanceerr.ErrCorrupt) {
		t.Fatalf("missing buffer: %v", err)
	}
}

func TestDictionary(t *testing.T) {
	m := &memFile{}
	idx := m.add([]byte{1, 0, 2, 1, 2})
	items := m.add(u64le(1, 3))
	itemBytes := m.add([]byte("xyy"))
	e := &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_Dictionary{Dictionary: &enc20.Dictionary{
		Indices:            noNull(flat(8, 0)),
		Items:              binaryEnc(noNull(flat(64, 1)), flat(8, 2), 4),
		NumDictionaryItems: 2,
	}}}
	cols := []page.Column{{Pages: []page.Page{mkPage(t, e, 5, idx, items, itemBytes)}}}
	mustRead(t, m, cols, field(arrow.BinaryTypes.String), `["x" (null) "yy" "x" "yy"]`, RowRange{0, 5})
	mustRead(t, m, cols, field(arrow.BinaryTypes.String), `[(null) "x"]`, RowRange{1, 2}, RowRange{3, 4})

	bad := m.add([]byte{3})
	cols = []page.Column{{Pages: []page.Page{mkPage(t, e, 1, bad, items, itemBytes)}}}
	if _, err := read(t, m, cols, field(arrow.BinaryTypes.String), RowRange{0, 1}); !errors.Is(err, lanceerr.ErrCorrupt) {
		t.Fatalf("index beyond the dictionary: %v", err)
	}
}

// fsstTable serializes a symbol table the way Lance does.
func fsstTable(on bool, symbols ...string) []byte {
	b := make([]byte, fsst.MaxTableSize)
	h := uint64(0x46535354)<<32 | uint64(len(symbols))
	if on {
		h |= 1 << 24
	}
	binary.LittleEndian.PutUint64(b, h)
	for i, s := range symbols {
		copy(b[8+8*i:], s)
		b[8+8*len(symbols)+i] = byte(len(s))
	}
	return b
}

func TestFsst(t *testing.T) {
	m := &memFile{}
	compressed := []string{"\x00\x01\xff!", "", "\x01\x01"}
	var data []byte
	var ends []uint64
	for _, c := range compressed {
		data = append(data, c...)
		ends = append(ends, uint64(len(data)))
	}
	ends[1] += uint64(len(data)) + 1 // null
	idx, by := m.add(u64le(ends...)), m.add(data)
	e := &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_Fsst{Fsst: &enc20.Fsst{
		Binary:      binaryEnc(noNull(flat(64, 0)), flat(8, 1), uint64(len(data))+1),
		SymbolTable: fsstTable(true, "hello", " world"),
	}}}
	cols := []page.Column{{Pages: []page.Page{mkPage(t, e, 3, idx, by)}}}
	mustRead(t, m, cols, field(arrow.BinaryTypes.String), `["hello world!" (null) " world world"]`, RowRange{0, 3})

	// Below 32 KiB Lance stores the input unchanged and clears the switch.
	e.GetFsst().SymbolTable = fsstTable(false)
	cols = []page.Column{{Pages: []page.Page{mkPage(t, e, 3, idx, by)}}}
	mustRead(t, m, cols, field(arrow.BinaryTypes.Binary), `["\x00\x01\xff!" (null) "\x01\x01"]`, RowRange{0, 3})

	for _, bad := range [][]byte{fsstTable(true, "a"), fsstTable(true, "a")[:100], make([]byte, fsst.MaxTableSize)} {
		e.GetFsst().SymbolTable = bad
		cols = []page.Column{{Pages: []page.Page{mkPage(t, e, 3, idx, by)}}}
		if _, err := read(t, m, cols, field(arrow.BinaryTypes.String), RowRange{0, 3}); !errors.Is(err, lanceerr.ErrCorrupt) {
			t.Fatalf("bad fsst data: %v", err)
		}
	}
}

func TestCompressedBytes(t *testing.T) {
	payload := bytes.Repeat([]byte("lance "), 1000)
	enc, _ := zstd.NewWriter(nil)
	bare := enc.EncodeAll(payload, nil)
	prefixed := append(u64le(uint64(len(payload))), bare...)
	lz := make([]byte, lz4.CompressBlockBound(len(payload)))
	n, err := lz4.CompressBlock(payload, lz, nil)
	if err != nil || n == 0 {
		t.Fatal(err)
	}
	lzBuf := append(u32le(uint32(len(payload))), lz[:n]...)
	for _, tc := range []struct {
		scheme string
		data   []byte
	}{{"zstd", bare}, {"zstd", prefixed}, {"lz4", lzBuf}} {
		m := &memFile{}
		idx := m.add(u64le(6, uint64(len(payload))))
		by := m.add(tc.data)
		bytesEnc := flat(8, 1)
		bytesEnc.GetFlat().Compression = &enc20.Compression{Scheme: tc.scheme}
		p := mkPage(t, binaryEnc(noNull(flat(64, 0)), bytesEnc, uint64(len(payload))+1), 2, idx, by)
		cols := []page.Column{{Pages: []page.Page{p}}}
		arr, err := read(t, m, cols, field(arrow.BinaryTypes.String), RowRange{0, 2})
		if err != nil {
			t.Fatalf("%s: %v", tc.scheme, err)
		}
		s := arr.(*array.String)
		if s.Value(0) != "lance " || s.Value(1) != string(payload[6:]) {
			t.Fatalf("%s: wrong values", tc.scheme)
		}
	}
	if _, err := Decompress("zstd", append(u64le(10), 1, 2, 3), 1<<20); !errors.Is(err, lanceerr.ErrCorrupt) {
		t.Fatalf("garbage zstd: %v", err)
	}
	if _, err := Decompress("zstd", prefixed, 100); !errors.Is(err, lanceerr.ErrInvalidArgument) {
		t.Fatalf("zstd over the limit: %v", err)
	}
	if _, err := Decompress("brotli", nil, 100); !errors.Is(err, lanceerr.ErrUnsupported) {
		t.Fatalf("unknown scheme: %v", err)
	}
}

func TestFixedSizeList(t *testing.T) {
	m := &memFile{}
	// Row 1 is null; item 4 (row 2, first item) is null.
	rowValid := m.add(bitmap(true, false, true))
	itemValid := m.add(bitmap(true, true, true, true, false, true))
	vals := m.add(u32le(0x3f800000, 0x40000000, 0, 0, 0, 0x40400000))
	e := someNull(flat(1, 0), fsl(2, someNull(flat(1, 1), flat(32, 2))))
	cols := []page.Column{{Pages: []page.Page{mkPage(t, e, 3, rowValid, itemValid, vals)}}}
	typ := arrow.FixedSizeListOf(2, arrow.PrimitiveTypes.Float32)
	mustRead(t, m, cols, field(typ), "[[1 2] (null) [(null) 3]]", RowRange{0, 3})
	mustRead(t, m, cols, field(typ), "[[(null) 3]]", RowRange{2, 3})
	if _, err := read(t, m, cols, field(arrow.FixedSizeListOf(3, arrow.PrimitiveTypes.Float32)), RowRange{0, 1}); !errors.Is(err, lanceerr.ErrCorrupt) {
		t.Fatalf("dimension mismatch: %v", err)
	}
	all := []page.Column{{Pages: []page.Page{mkPage(t, allNull(), 2)}}}
	mustRead(t, m, all, field(typ), "[(null) (null)]", RowRange{0, 2})
}

func TestVectorPageIsZeroCopy(t *testing.T) {
	m := &memFile{}
	vals := make([]uint32, 4*8)
	for i := range vals {
		vals[i] = uint32(i)
	}
	rg := m.add(u32le(vals...))
	cols := []page.Column{{Pages: []page.Page{mkPage(t, noNull(fsl(8, noNull(flat(32, 0)))), 4, rg)}}}
	arr, err := read(t, m, cols, field(arrow.FixedSizeListOf(8, arrow.PrimitiveTypes.Float32)), RowRange{0, 4})
	if err != nil {
		t.Fatal(err)
	}
	got := arr.(*array.FixedSizeList).ListValues().(*array.Float32).Float32Values()
	if unsafe.Pointer(&got[0]) != unsafe.Pointer(&m.data[rg.Offset]) {
		t.Fatal("a whole vector page was copied")
	}
}

func TestListAcrossPages(t *testing.T) {
	m := &memFile{}
	// Page 0: [1 2], null, []  (2 items, adjustment 3)
	// Page 1: [3], [4 5]       (3 items, adjustment 4); offsets restart per page.
	l0 := mkPage(t, listEnc(noNull(flat(64, 0)), 3, 2), 3, m.add(u64le(2, 2+3, 2)))
	l1 := mkPage(t, listEnc(noNull(flat(64, 0)), 4, 3), 2, m.add(u64le(1, 3)))
	// Items split into pages that do not line up with the list pages.
	i0 := mkPage(t, noNull(flat(32, 0)), 4, m.add(u32le(1, 2, 3, 4)))
	i1 := mkPage(t, someNull(flat(1, 0), flat(32, 1)), 1, m.add(bitmap(false)), m.add(u32le(0)))
	cols := []page.Column{{Pages: []page.Page{l0, l1}}, {Pages: []page.Page{i0, i1}}}
	for _, typ := range []arrow.DataType{arrow.ListOf(arrow.PrimitiveTypes.Int32), arrow.LargeListOf(arrow.PrimitiveTypes.Int32)} {
		f := field(typ)
		mustRead(t, m, cols, f, "[[1 2] (null) [] [3] [4 (null)]]", RowRange{0, 5})
		mustRead(t, m, cols, f, "[(null) [] [3] [4 (null)]]", RowRange{1, 5})
		mustRead(t, m, cols, f, "[[1 2] [4 (null)]]", RowRange{0, 1}, RowRange{4, 5})
		mustRead(t, m, cols, f, "[[]]", RowRange{2, 3})
	}
	// An end offset beyond the page's item count is corrupt.
	bad := mkPage(t, listEnc(noNull(flat(64, 0)), 10, 2), 1, m.add(u64le(7)))
	cols[0].Pages = []page.Page{bad}
	if _, err := read(t, m, cols, field(arrow.ListOf(arrow.PrimitiveTypes.Int32)), RowRange{0, 1}); !errors.Is(err, lanceerr.ErrCorrupt) {
		t.Fatalf("bad list offsets: %v", err)
	}
}

func TestStruct(t *testing.T) {
	m := &memFile{}
	hdr := mkPage(t, structEnc(), 3)
	a := mkPage(t, noNull(flat(32, 0)), 3, m.add(u32le(7, 8, 9)))
	b := binaryPage(t, m, []*string{sp("x"), nil, sp("z")})
	typ := arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int32, Nullable: true}, arrow.Field{Name: "b", Type: arrow.BinaryTypes.String, Nullable: true})
	cols := []page.Column{{Pages: []page.Page{hdr}}, {Pages: []page.Page{a}}, {Pages: []page.Page{b}}}
	mustRead(t, m, cols, field(typ), `{[8 9] [(null) "z"]}`, RowRange{1, 3})
	if ColumnsUsed(field(typ)) != 3 {
		t.Fatal("struct columns")
	}
	if _, err := read(t, m, cols[1:], field(typ), RowRange{0, 1}); !errors.Is(err, lanceerr.ErrCorrupt) {
		t.Fatalf("struct without a header column: %v", err)
	}
}

func TestColumnsUsed(t *testing.T) {
	i32 := arrow.Field{Name: "i", Type: arrow.PrimitiveTypes.Int32, Nullable: true}
	st := arrow.StructOf(i32, arrow.Field{Name: "l", Type: arrow.ListOf(arrow.BinaryTypes.String)})
	for _, tc := range []struct {
		t    arrow.DataType
		want int
	}{
		{arrow.PrimitiveTypes.Int64, 1},
		{arrow.FixedSizeListOf(1024, arrow.PrimitiveTypes.Float32), 1},
		{arrow.ListOf(arrow.PrimitiveTypes.Int32), 2},
		{arrow.LargeListOf(arrow.ListOf(arrow.PrimitiveTypes.Int32)), 3},
		{st, 4},
		{arrow.ListOfField(arrow.Field{Name: "item", Type: st, Nullable: true}), 5},
	} {
		if got := ColumnsUsed(field(tc.t)); got != tc.want {
			t.Errorf("%s: %d columns, want %d", tc.t, got, tc.want)
		}
	}
	packed := arrow.Field{Name: "p", Type: st, Metadata: arrow.NewMetadata([]string{"packed"}, []string{"true"})}
	if ColumnsUsed(packed) != 1 {
		t.Error("packed struct")
	}
}

func TestUnsupportedAndLimits(t *testing.T) {
	m := &memFile{}
	c := &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_Constant{Constant: &enc20.Constant{Value: []byte{1}}}}
	cols := []page.Column{{Pages: []page.Page{mkPage(t, c, 1)}}}
	if _, err := read(t, m, cols, field(arrow.PrimitiveTypes.Int8), RowRange{0, 1}); !errors.Is(err, lanceerr.ErrUnsupported) {
		t.Fatalf("constant: %v", err)
	}
	cols = []page.Column{{Pages: []page.Page{{NumRows: 1, Encoding: nil}}}}
	if _, err := read(t, m, cols, field(arrow.PrimitiveTypes.Int8), RowRange{0, 1}); !errors.Is(err, lanceerr.ErrCorrupt) {
		t.Fatalf("missing encoding: %v", err)
	}
	cols = []page.Column{{Pages: []page.Page{mkPage(t, allNull(), 1<<30)}}}
	fr := &FieldReader{Source: m, Columns: cols, MaxBytes: 1 << 20}
	if _, err := fr.Read(context.Background(), field(arrow.PrimitiveTypes.Int64), 0, []RowRange{{0, 1 << 30}}); !errors.Is(err, lanceerr.ErrInvalidArgument) {
		t.Fatalf("over the decode limit: %v", err)
	}
	if _, err := read(t, m, cols, field(arrow.MapOf(arrow.BinaryTypes.String, arrow.PrimitiveTypes.Int8)), RowRange{0, 1}); !errors.Is(err, lanceerr.ErrUnsupported) {
		t.Fatalf("map type: %v", err)
	}
}

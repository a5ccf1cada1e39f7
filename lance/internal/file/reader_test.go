package file

import (
	"context"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/resona-go/resona/lance/internal/encoding/page"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb"
)

var vecField = arrow.Field{Name: "vector", Type: arrow.FixedSizeListOfField(16, arrow.Field{Name: "item", Type: arrow.PrimitiveTypes.Float32, Nullable: true}), Nullable: true}

func TestSyntheticVectorsAcrossPages(t *testing.T) {
	ctx := context.Background()
	b := vectorFile(t, 16, 1000, 300)
	r, err := Open(ctx, bytesReader(b), int64(len(b)), "vec.lance")
	if err != nil {
		t.Fatal(err)
	}
	if r.NumRows() != 1000 || r.NumColumns() != 1 || len(r.Column(0).Pages) != 4 {
		t.Fatalf("rows %d columns %d pages %d", r.NumRows(), r.NumColumns(), len(r.Column(0).Pages))
	}
	if got := r.Column(0).Pages[3].FirstRow; got != 900 {
		t.Fatalf("first row of page 3: %d", got)
	}
	check := func(arr arrow.Array, rows []uint64) {
		t.Helper()
		vals := arr.(*array.FixedSizeList).ListValues().(*array.Float32).Float32Values()
		if len(vals) != 16*len(rows) {
			t.Fatalf("%d values for %d rows", len(vals), len(rows))
		}
		for i, row := range rows {
			for k := 0; k < 16; k++ {
				want := uint32(row*16) + uint32(k)
				if got := vals[16*i+k]; got != float32frombits(want) {
					t.Fatalf("row %d item %d: %v", row, k, got)
				}
			}
		}
	}
	arr, err := r.ReadRange(ctx, vecField, 0, 250, 950)
	if err != nil {
		t.Fatal(err)
	}
	check(arr, seq(250, 950))
	rows := []uint64{0, 1, 299, 300, 301, 650, 999}
	arr, err = r.Take(ctx, vecField, 0, rows)
	if err != nil {
		t.Fatal(err)
	}
	check(arr, rows)

	if _, err := r.ReadRange(ctx, vecField, 0, 10, 1001); !errors.Is(err, lanceerr.ErrInvalidArgument) {
		t.Fatalf("range beyond the file: %v", err)
	}
	if _, err := r.Take(ctx, vecField, 0, []uint64{5, 4}); !errors.Is(err, lanceerr.ErrInvalidArgument) {
		t.Fatalf("descending take: %v", err)
	}
	if _, err := r.ReadRange(ctx, vecField, 1, 0, 1); !errors.Is(err, lanceerr.ErrCorrupt) {
		t.Fatalf("column beyond the file: %v", err)
	}
	gb, err := r.GlobalBuffer(ctx, 0)
	if err != nil || len(gb) == 0 {
		t.Fatalf("global buffer 0: %v", err)
	}
	if _, err := r.GlobalBuffer(ctx, 1); !errors.Is(err, lanceerr.ErrNotFound) {
		t.Fatalf("global buffer 1: %v", err)
	}
}

func float32frombits(b uint32) float32 {
	var buf [4]byte
	binary.LittleEndian.PutUint32(buf[:], b)
	return arrow.Float32Traits.CastFromBytes(buf[:])[0]
}

func TestOpenRejectsCorruptFiles(t *testing.T) {
	good := vectorFile(t, 4, 10, 10)
	n := len(good)
	footer := n - footerSize
	mutate := func(f func(b []byte) []byte) []byte {
		b := append([]byte(nil), good...)
		return f(b)
	}
	put64 := func(off int, v uint64) func(b []byte) []byte {
		return func(b []byte) []byte { binary.LittleEndian.PutUint64(b[off:], v); return b }
	}
	cases := map[string][]byte{
		"empty":            {},
		"short":            good[n-20:],
		"no magic":         mutate(func(b []byte) []byte { b[n-1] = 'X'; return b }),
		"truncated front":  good[100:],
		"cmo beyond":       mutate(put64(footer+8, uint64(n))),
		"gbo beyond":       mutate(put64(footer+16, uint64(n-8))),
		"meta after cmo":   mutate(put64(footer, uint64(n-footerSize))),
		"no global buffer": mutate(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[footer+24:], 0); return b }),
		"many columns":     mutate(func(b []byte) []byte { binary.LittleEndian.PutUint32(b[footer+28:], 1<<30); return b }),
		"schema beyond": mutate(func(b []byte) []byte {
			gbo := binary.LittleEndian.Uint64(b[footer+16:])
			binary.LittleEndian.PutUint64(b[gbo+8:], uint64(n))
			return b
		}),
		"column meta garbage": mutate(func(b []byte) []byte {
			cm := binary.LittleEndian.Uint64(b[footer:])
			b[cm] = 0xff
			b[cm+1] = 0xff
			return b
		}),
	}
	for name, b := range cases {
		_, err := Open(context.Background(), bytesReader(b), int64(len(b)), "bad.lance")
		if !errors.Is(err, lanceerr.ErrCorrupt) {
			t.Errorf("%s: got %v, want ErrCorrupt", name, err)
		}
	}
	for _, v := range [][2]uint16{{0, 1}, {0, 2}, {2, 9}, {3, 0}} {
		b := mutate(func(b []byte) []byte {
			binary.LittleEndian.PutUint16(b[n-8:], v[0])
			binary.LittleEndian.PutUint16(b[n-6:], v[1])
			return b
		})
		if _, err := Open(context.Background(), bytesReader(b), int64(len(b)), "v.lance"); !errors.Is(err, lanceerr.ErrUnsupported) {
			t.Errorf("version %d.%d: got %v, want ErrUnsupported", v[0], v[1], err)
		}
	}
}

func TestVersions(t *testing.T) {
	for _, tc := range []struct {
		major, minor uint16
		want         Version
	}{{0, 3, Version{2, 0}}, {2, 0, Version{2, 0}}, {2, 1, Version{2, 1}}, {2, 2, Version{2, 2}}} {
		b := vectorFile(t, 4, 3, 3)
		n := len(b)
		binary.LittleEndian.PutUint16(b[n-8:], tc.major)
		binary.LittleEndian.PutUint16(b[n-6:], tc.minor)
		r, err := Open(context.Background(), bytesReader(b), int64(n), "v.lance")
		if err != nil {
			t.Fatal(err)
		}
		if r.FileVersion() != tc.want {
			t.Fatalf("%d.%d: version %v", tc.major, tc.minor, r.FileVersion())
		}
		_, err = r.ReadRange(context.Background(), arrow.Field{Name: "v", Type: arrow.FixedSizeListOf(4, arrow.PrimitiveTypes.Float32)}, 0, 0, 3)
		if tc.want.AtLeast(2, 1) != (err != nil) || (err != nil && !errors.Is(err, lanceerr.ErrUnsupported)) {
			t.Fatalf("%d.%d: read error %v", tc.major, tc.minor, err)
		}
	}
}

func TestColumnsUsedByVersion(t *testing.T) {
	i32 := arrow.Field{Name: "i", Type: arrow.PrimitiveTypes.Int32, Nullable: true}
	st := arrow.Field{Name: "s", Type: arrow.StructOf(i32, arrow.Field{Name: "l", Type: arrow.ListOf(arrow.BinaryTypes.String)})}
	if got := ColumnsUsed(st, 2, 0); got != 4 {
		t.Errorf("2.0 struct: %d", got)
	}
	if got := ColumnsUsed(st, 2, 1); got != 2 {
		t.Errorf("2.1 struct: %d", got)
	}
	if got := ColumnsUsed(vecField, 2, 2); got != 1 {
		t.Errorf("2.2 vector: %d", got)
	}
}

func TestReadRangesCoalesces(t *testing.T) {
	b := vectorFile(t, 4, 10, 10)
	r, err := Open(context.Background(), bytesReader(b), int64(len(b)), "c.lance")
	if err != nil {
		t.Fatal(err)
	}
	counter := &countingReader{r: bytesReader(b)}
	r.r = counter
	ranges := []page.Range{{Offset: 100, Size: 10}, {Offset: 0, Size: 5}, {Offset: 50, Size: 0}, {Offset: 8, Size: 20}}
	out, err := r.ReadRanges(context.Background(), ranges)
	if err != nil {
		t.Fatal(err)
	}
	if counter.calls != 1 {
		t.Fatalf("%d reads, want 1", counter.calls)
	}
	for i, rg := range ranges {
		if string(out[i]) != string(b[rg.Offset:rg.Offset+rg.Size]) {
			t.Fatalf("range %d: wrong bytes", i)
		}
	}
	if _, err := r.ReadRanges(context.Background(), []page.Range{{Offset: uint64(len(b)) - 4, Size: 5}}); !errors.Is(err, lanceerr.ErrCorrupt) {
		t.Fatalf("range beyond the file: %v", err)
	}
}

func TestSyntheticNested(t *testing.T) {
	b := nestedFile(t)
	r, err := Open(context.Background(), bytesReader(b), int64(len(b)), "nested.lance")
	if err != nil {
		t.Fatal(err)
	}
	fields, first := topFields(t, r)
	want := []string{`["ab" (null) "cde"]`, `[[1 (null)] (null) [3]]`, `{[7 8 9]}`}
	for i, f := range fields {
		arr, err := r.ReadRange(context.Background(), f, first[i], 0, 3)
		if err != nil {
			t.Fatal(err)
		}
		if arr.String() != want[i] {
			t.Fatalf("%s: %s, want %s", f.Name, arr, want[i])
		}
	}
}

func TestIndirectPageEncoding(t *testing.T) {
	vals := []byte{1, 0, 0, 0, 2, 0, 0, 0}
	fields := []*pb.Field{{Name: "i", Id: 0, ParentId: -1, LogicalType: "int32", Nullable: true}}
	col := testColumn{{enc: noNullEnc(flatEnc(32, 0)), rows: 2, bufs: [][]byte{vals}, indirect: true}}
	b := buildFile(t, fields, 2, []testColumn{col})
	r, err := Open(context.Background(), bytesReader(b), int64(len(b)), "indirect.lance")
	if err != nil {
		t.Fatal(err)
	}
	arr, err := r.ReadRange(context.Background(), arrow.Field{Name: "i", Type: arrow.PrimitiveTypes.Int32, Nullable: true}, 0, 0, 2)
	if err != nil {
		t.Fatal(err)
	}
	if arr.String() != "[1 2]" {
		t.Fatalf("got %s", arr)
	}
}

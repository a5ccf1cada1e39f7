package encoding

import (
	"context"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/resona-go/resona/lance/internal/encoding/page"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb/enc20"
)

var fuzzTypes = []arrow.DataType{
	arrow.PrimitiveTypes.Int32,
	arrow.PrimitiveTypes.Uint64,
	arrow.FixedWidthTypes.Boolean,
	arrow.BinaryTypes.String,
	arrow.BinaryTypes.LargeBinary,
	arrow.FixedSizeListOf(2, arrow.PrimitiveTypes.Float32),
	arrow.ListOf(arrow.PrimitiveTypes.Int32),
	arrow.StructOf(arrow.Field{Name: "a", Type: arrow.PrimitiveTypes.Int8, Nullable: true}),
}

func marshal(t testing.TB, e *enc20.ArrayEncoding) []byte {
	b, err := proto.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzDecodePage decodes random encodings over random buffers: the result
// is an array or an error wrapping one of the sentinel errors, never a panic.
func FuzzDecodePage(f *testing.F) {
	u32 := func(v ...uint32) []byte { return u32le(v...) }
	seeds := []struct {
		e1, e2 *enc20.ArrayEncoding
		data   []byte
		typ    uint8
	}{
		{noNull(flat(32, 0)), nil, u32(1, 2, 3, 4), 0},
		{someNull(flat(1, 0), flat(64, 1)), nil, append([]byte{5, 0, 0, 0, 0, 0, 0, 0}, u64le(1, 2, 3)...), 1},
		{someNull(flat(1, 0), flat(1, 1)), nil, []byte{0xff, 0x0f}, 2},
		{binaryEnc(noNull(flat(64, 0)), flat(8, 1), 6), nil, append(u64le(2, 2, 5), "abcde"...), 3},
		{binaryEnc(noNull(flat(64, 0)), flat(8, 1), 6), nil, append(u64le(2, 8, 5), "abcde"...), 4},
		{someNull(flat(1, 0), fsl(2, noNull(flat(32, 1)))), nil, append([]byte{3, 0, 0, 0}, u32(1, 2, 3, 4)...), 5},
		{listEnc(noNull(flat(64, 0)), 4, 3), noNull(flat(32, 0)), append(u64le(1, 1+4, 3), u32(7, 8, 9)...), 6},
		{structEnc(), noNull(flat(8, 0)), []byte{1, 2, 3}, 7},
		{allNull(), nil, nil, 0},
	}
	for _, s := range seeds {
		var e2 []byte
		if s.e2 != nil {
			e2 = marshal(f, s.e2)
		}
		f.Add(marshal(f, s.e1), e2, s.data, uint16(3), uint16(3), s.typ, uint16(0), uint16(3), uint16(8))
	}
	f.Fuzz(func(t *testing.T, enc1, enc2, data []byte, rows1, rows2 uint16, typ uint8, start, n, split uint16) {
		m := &memFile{data: data}
		// The data is cut into page buffers at fixed-size steps.
		var bufs []page.Range
		step := uint64(split%64) + 1
		for off := uint64(0); off < uint64(len(data)) && len(bufs) < 4; off += step {
			bufs = append(bufs, page.Range{Offset: off, Size: min(step, uint64(len(data))-off)})
		}
		if len(data) >= 8 {
			bufs = append(bufs, page.Range{Offset: 0, Size: binary.LittleEndian.Uint64(data) % uint64(len(data)+1)})
		}
		mk := func(e []byte, rows uint16) page.Page {
			return page.Page{Buffers: bufs, NumRows: uint64(rows), Encoding: &anypb.Any{TypeUrl: "/lance.encodings.ArrayEncoding", Value: e}}
		}
		cols := []page.Column{
			{Index: 0, Pages: []page.Page{mk(enc1, rows1), mk(enc1, rows1/2)}},
			{Index: 1, Pages: []page.Page{mk(enc2, rows2)}},
		}
		fr := &FieldReader{Source: m, Columns: cols, MaxBytes: 1 << 22}
		ft := fuzzTypes[int(typ)%len(fuzzTypes)]
		s := uint64(start % 64)
		e := s + uint64(n%64)
		arr, err := fr.Read(context.Background(), arrow.Field{Name: "f", Type: ft, Nullable: true}, 0, []RowRange{{s, e}})
		if err != nil {
			if !errors.Is(err, lanceerr.ErrCorrupt) && !errors.Is(err, lanceerr.ErrUnsupported) && !errors.Is(err, lanceerr.ErrInvalidArgument) {
				t.Fatalf("error without a sentinel: %v", err)
			}
			return
		}
		if uint64(arr.Len()) != e-s || !arrow.TypeEqual(arr.DataType(), ft) {
			t.Fatalf("got %d rows of %s, want %d of %s", arr.Len(), arr.DataType(), e-s, ft)
		}
		_ = arr.String()
		arr.Release()
	})
}

package file

import (
	"encoding/binary"
	"strconv"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/pb/enc20"
	"github.com/resona-go/resona/lance/internal/pb/file2"
)

// testPage and testColumn describe a file for buildFile.
type testPage struct {
	enc      *enc20.ArrayEncoding
	rows     uint64
	bufs     [][]byte
	indirect bool // store the encoding as a deferred buffer
}

type testColumn []testPage

// buildFile lays out a format 2.0 file the way the Lance writer does: page
// buffers padded to 64 bytes, the file descriptor, the column metadata, the
// CMO and GBO tables and the footer (version 0.3).
func buildFile(t testing.TB, fields []*pb.Field, rows uint64, cols []testColumn) []byte {
	t.Helper()
	var out []byte
	put := func(b []byte) (uint64, uint64) {
		off := uint64(len(out))
		out = append(out, b...)
		for len(out)%64 != 0 {
			out = append(out, 0x48)
		}
		return off, uint64(len(b))
	}
	must := func(b []byte, err error) []byte {
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	var metas [][]byte
	for _, c := range cols {
		cm := &file2.ColumnMetadata{}
		for _, p := range c {
			pg := &file2.ColumnMetadata_Page{Length: p.rows}
			for _, b := range p.bufs {
				off, n := put(b)
				pg.BufferOffsets = append(pg.BufferOffsets, off)
				pg.BufferSizes = append(pg.BufferSizes, n)
			}
			encBytes := must(proto.Marshal(p.enc))
			anyBytes := must(proto.Marshal(&anypb.Any{TypeUrl: "/lance.encodings.ArrayEncoding", Value: encBytes}))
			pg.Encoding = &file2.Encoding{Location: &file2.Encoding_Direct{Direct: &file2.DirectEncoding{Encoding: anyBytes}}}
			if p.indirect {
				off, n := put(anyBytes)
				pg.Encoding = &file2.Encoding{Location: &file2.Encoding_Indirect{Indirect: &file2.DeferredEncoding{BufferLocation: off, BufferLength: n}}}
			}
			cm.Pages = append(cm.Pages, pg)
		}
		metas = append(metas, must(proto.Marshal(cm)))
	}
	desc := must(proto.Marshal(&pb.FileDescriptor{Schema: &pb.Schema{Fields: fields}, Length: rows}))
	descOff, descLen := put(desc)
	cmStart := uint64(len(out))
	var cmo []byte
	for _, m := range metas {
		cmo = binary.LittleEndian.AppendUint64(cmo, uint64(len(out)))
		cmo = binary.LittleEndian.AppendUint64(cmo, uint64(len(m)))
		out = append(out, m...)
	}
	cmoStart := uint64(len(out))
	out = append(out, cmo...)
	gboStart := uint64(len(out))
	out = binary.LittleEndian.AppendUint64(out, descOff)
	out = binary.LittleEndian.AppendUint64(out, descLen)
	out = binary.LittleEndian.AppendUint64(out, cmStart)
	out = binary.LittleEndian.AppendUint64(out, cmoStart)
	out = binary.LittleEndian.AppendUint64(out, gboStart)
	out = binary.LittleEndian.AppendUint32(out, 1)
	out = binary.LittleEndian.AppendUint32(out, uint32(len(cols)))
	out = binary.LittleEndian.AppendUint16(out, 0)
	out = binary.LittleEndian.AppendUint16(out, 3)
	return append(out, magic...)
}

func flatEnc(bits uint64, i uint32) *enc20.ArrayEncoding {
	return &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_Flat{Flat: &enc20.Flat{BitsPerValue: bits, Buffer: &enc20.Buffer{BufferIndex: i}}}}
}

func noNullEnc(v *enc20.ArrayEncoding) *enc20.ArrayEncoding {
	return &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_Nullable{Nullable: &enc20.Nullable{
		Nullability: &enc20.Nullable_NoNulls{NoNulls: &enc20.Nullable_NoNull{Values: v}}}}}
}

func fslEnc(dim uint32, items *enc20.ArrayEncoding) *enc20.ArrayEncoding {
	return &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_FixedSizeList{FixedSizeList: &enc20.FixedSizeList{Dimension: dim, Items: items}}}
}

// vectorFile builds a file with one fixed_size_list<float32>[dim] column
// of rows rows, split into pages of at most pageRows rows.
func vectorFile(t testing.TB, dim, rows, pageRows int) []byte {
	var col testColumn
	for start := 0; start < rows; start += pageRows {
		n := min(pageRows, rows-start)
		b := make([]byte, 4*dim*n)
		for i := 0; i < dim*n; i++ {
			binary.LittleEndian.PutUint32(b[4*i:], uint32(start*dim+i))
		}
		col = append(col, testPage{enc: noNullEnc(fslEnc(uint32(dim), noNullEnc(flatEnc(32, 0)))), rows: uint64(n), bufs: [][]byte{b}})
	}
	fields := []*pb.Field{{Name: "vector", Id: 0, ParentId: -1, LogicalType: "fixed_size_list:float:" + strconv.Itoa(dim), Nullable: true}}
	return buildFile(t, fields, uint64(rows), []testColumn{col})
}

func someNullEnc(validity, v *enc20.ArrayEncoding) *enc20.ArrayEncoding {
	return &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_Nullable{Nullable: &enc20.Nullable{
		Nullability: &enc20.Nullable_SomeNulls{SomeNulls: &enc20.Nullable_SomeNull{Validity: validity, Values: v}}}}}
}

func u64s(vs ...uint64) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.LittleEndian.AppendUint64(b, v)
	}
	return b
}

// nestedFile is a small 2.0 file with a string column, a list<int32> and a
// struct<a: int32>, each laid out as the 2.0 writer does.
func nestedFile(t testing.TB) []byte {
	fields := []*pb.Field{
		{Name: "s", Id: 0, ParentId: -1, LogicalType: "string", Nullable: true},
		{Name: "l", Id: 1, ParentId: -1, LogicalType: "list", Nullable: true},
		{Name: "item", Id: 2, ParentId: 1, LogicalType: "int32", Nullable: true},
		{Name: "st", Id: 3, ParentId: -1, LogicalType: "struct", Nullable: true},
		{Name: "a", Id: 4, ParentId: 3, LogicalType: "int32", Nullable: true},
	}
	binEnc := &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_Binary{Binary: &enc20.Binary{
		Indices: noNullEnc(flatEnc(64, 0)), Bytes: flatEnc(8, 1), NullAdjustment: 6}}}
	listEnc := &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_List{List: &enc20.List{
		Offsets: noNullEnc(flatEnc(64, 0)), NullOffsetAdjustment: 4, NumItems: 3}}}
	structEnc := &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_Struct{Struct: &enc20.SimpleStruct{}}}
	i32 := func(vs ...uint32) []byte {
		var b []byte
		for _, v := range vs {
			b = binary.LittleEndian.AppendUint32(b, v)
		}
		return b
	}
	cols := []testColumn{
		{{enc: binEnc, rows: 3, bufs: [][]byte{u64s(2, 2+6, 5), []byte("abcde")}}},
		{{enc: listEnc, rows: 3, bufs: [][]byte{u64s(2, 2+4, 3)}}},
		{{enc: someNullEnc(flatEnc(1, 0), flatEnc(32, 1)), rows: 3, bufs: [][]byte{{5}, i32(1, 2, 3)}}},
		{{enc: structEnc, rows: 3}},
		{{enc: noNullEnc(flatEnc(32, 0)), rows: 3, bufs: [][]byte{i32(7, 8, 9)}}},
	}
	return buildFile(t, fields, 3, cols)
}

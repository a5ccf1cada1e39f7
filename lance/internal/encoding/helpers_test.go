package encoding

import (
	"context"
	"encoding/binary"
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/resona-go/resona/lance/internal/encoding/page"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb/enc20"
)

// memFile is an in-memory file that page buffers are appended to.
type memFile struct {
	data  []byte
	reads int
}

func (m *memFile) Path() string { return "mem.lance" }

func (m *memFile) ReadRanges(ctx context.Context, rs []page.Range) ([][]byte, error) {
	m.reads++
	out := make([][]byte, len(rs))
	for i, r := range rs {
		if r.Offset > uint64(len(m.data)) || r.Size > uint64(len(m.data))-r.Offset {
			return nil, fmt.Errorf("%w: range %v beyond %d bytes", lanceerr.ErrCorrupt, r, len(m.data))
		}
		out[i] = m.data[r.Offset : r.Offset+r.Size]
	}
	return out, nil
}

// add appends a buffer padded to 64 bytes, as Lance writers do.
func (m *memFile) add(b []byte) page.Range {
	r := page.Range{Offset: uint64(len(m.data)), Size: uint64(len(b))}
	m.data = append(m.data, b...)
	for len(m.data)%64 != 0 {
		m.data = append(m.data, 0x48)
	}
	return r
}

func mkPage(t testing.TB, e *enc20.ArrayEncoding, rows uint64, bufs ...page.Range) page.Page {
	t.Helper()
	v, err := proto.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	return page.Page{Buffers: bufs, NumRows: rows, Encoding: &anypb.Any{TypeUrl: "/lance.encodings.ArrayEncoding", Value: v}}
}

func buf(i uint32) *enc20.Buffer { return &enc20.Buffer{BufferIndex: i} }

func flat(bits uint64, i uint32) *enc20.ArrayEncoding {
	return &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_Flat{Flat: &enc20.Flat{BitsPerValue: bits, Buffer: buf(i)}}}
}

func noNull(v *enc20.ArrayEncoding) *enc20.ArrayEncoding {
	return &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_Nullable{Nullable: &enc20.Nullable{
		Nullability: &enc20.Nullable_NoNulls{NoNulls: &enc20.Nullable_NoNull{Values: v}}}}}
}

func someNull(validity, v *enc20.ArrayEncoding) *enc20.ArrayEncoding {
	return &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_Nullable{Nullable: &enc20.Nullable{
		Nullability: &enc20.Nullable_SomeNulls{SomeNulls: &enc20.Nullable_SomeNull{Validity: validity, Values: v}}}}}
}

func allNull() *enc20.ArrayEncoding {
	return &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_Nullable{Nullable: &enc20.Nullable{
		Nullability: &enc20.Nullable_AllNulls{AllNulls: &enc20.Nullable_AllNull{}}}}}
}

func fsl(dim uint32, items *enc20.ArrayEncoding) *enc20.ArrayEncoding {
	return &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_FixedSizeList{FixedSizeList: &enc20.FixedSizeList{Dimension: dim, Items: items}}}
}

func binaryEnc(indices, bytes *enc20.ArrayEncoding, adj uint64) *enc20.ArrayEncoding {
	return &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_Binary{Binary: &enc20.Binary{Indices: indices, Bytes: bytes, NullAdjustment: adj}}}
}

func listEnc(offsets *enc20.ArrayEncoding, adj, items uint64) *enc20.ArrayEncoding {
	return &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_List{List: &enc20.List{Offsets: offsets, NullOffsetAdjustment: adj, NumItems: items}}}
}

func structEnc() *enc20.ArrayEncoding {
	return &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_Struct{Struct: &enc20.SimpleStruct{}}}
}

func u64le(vs ...uint64) []byte {
	b := make([]byte, 8*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint64(b[8*i:], v)
	}
	return b
}

func u32le(vs ...uint32) []byte {
	b := make([]byte, 4*len(vs))
	for i, v := range vs {
		binary.LittleEndian.PutUint32(b[4*i:], v)
	}
	return b
}

// bitmap packs bools LSB first.
func bitmap(bits ...bool) []byte {
	b := make([]byte, (len(bits)+7)/8)
	for i, v := range bits {
		if v {
			b[i/8] |= 1 << (i % 8)
		}
	}
	return b
}

// binaryPage encodes strings (nil = null) the way the 2.0 writer does.
func binaryPage(t testing.TB, m *memFile, vals []*string) page.Page {
	var data []byte
	ends := make([]uint64, len(vals))
	for i, v := range vals {
		if v != nil {
			data = append(data, *v...)
		}
		ends[i] = uint64(len(data))
	}
	adj := uint64(len(data)) + 1
	for i, v := range vals {
		if v == nil {
			ends[i] += adj
		}
	}
	idx := m.add(u64le(ends...))
	by := m.add(data)
	return mkPage(t, binaryEnc(noNull(flat(64, 0)), flat(8, 1), adj), uint64(len(vals)), idx, by)
}

func sp(s string) *string { return &s }

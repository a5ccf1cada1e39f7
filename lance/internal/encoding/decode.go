package encoding

import (
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/bitutil"

	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb/enc20"
)

// maxEncodingDepth bounds the nesting of a page's encoding tree; real 2.0
// pages nest at most four levels (Nullable, FixedSizeList, Nullable, Flat).
const maxEncodingDepth = 12

var (
	u64Layout  = &layout{kind: kindFixed, width: 8}
	byteLayout = &layout{kind: kindFixed, width: 1}
	binLayout  = &layout{kind: kindBinary}
)

// decode returns rows [start, start+n) of a page encoded as e.
func (p *pageData) decode(e *enc20.ArrayEncoding, l *layout, start, n uint64, depth int) (*chunk, error) {
	if depth > maxEncodingDepth {
		return nil, p.corrupt("encoding nested deeper than %d levels", maxEncodingDepth)
	}
	if err := p.ctx.Err(); err != nil {
		return nil, err
	}
	switch enc := e.GetArrayEncoding().(type) {
	case *enc20.ArrayEncoding_Nullable:
		return p.decodeNullable(enc.Nullable, l, start, n, depth)
	case *enc20.ArrayEncoding_Flat:
		return p.decodeFlat(enc.Flat, l, start, n)
	case *enc20.ArrayEncoding_FixedSizeList:
		fsl := enc.FixedSizeList
		if l.kind != kindFSL || uint64(fsl.GetDimension()) != l.dim {
			return nil, p.mismatch("fixed_size_list of %d", fsl.GetDimension())
		}
		s, err := mul(start, l.dim)
		if err != nil {
			return nil, err
		}
		m, err := mul(n, l.dim)
		if err != nil {
			return nil, err
		}
		child, err := p.decode(fsl.GetItems(), l.item, s, m, depth+1)
		if err != nil {
			return nil, err
		}
		return &chunk{n: n, child: child}, nil
	case *enc20.ArrayEncoding_Binary:
		if l.kind != kindBinary {
			return nil, p.mismatch("binary")
		}
		return p.decodeBinary(enc.Binary, start, n, depth)
	case *enc20.ArrayEncoding_Dictionary:
		if l.kind != kindBinary {
			return nil, p.mismatch("dictionary")
		}
		return p.decodeDictionary(enc.Dictionary, start, n, depth)
	case *enc20.ArrayEncoding_Fsst:
		if l.kind != kindBinary {
			return nil, p.mismatch("fsst")
		}
		return p.decodeFsst(enc.Fsst, start, n, depth)
	case nil:
		return nil, p.corrupt("empty array encoding")
	default:
		return nil, fmt.Errorf("%w: %s: column %d: 2.0 encoding %T", lanceerr.ErrUnsupported, p.src.Path(), p.col.Index, enc)
	}
}

func (p *pageData) mismatch(what string, args ...any) error {
	return p.corrupt("a %s encoding does not fit the column's type", fmt.Sprintf(what, args...))
}

func (p *pageData) decodeNullable(e *enc20.Nullable, l *layout, start, n uint64, depth int) (*chunk, error) {
	switch nb := e.GetNullability().(type) {
	case *enc20.Nullable_NoNulls:
		return p.decode(nb.NoNulls.GetValues(), l, start, n, depth+1)
	case *enc20.Nullable_AllNulls:
		return nullChunk(l, n, p.b)
	case *enc20.Nullable_SomeNulls:
		validity, err := p.bits(nb.SomeNulls.GetValidity(), start, n)
		if err != nil {
			return nil, err
		}
		c, err := p.decode(nb.SomeNulls.GetValues(), l, start, n, depth+1)
		if err != nil {
			return nil, err
		}
		if c.validity != nil {
			bitutil.BitmapAnd(c.validity, validity, 0, 0, validity, 0, int64(n))
		}
		c.validity = validity
		return c, nil
	default:
		return nil, p.corrupt("nullable encoding without a nullability")
	}
}

// bits reads n bits starting at bit start of a Flat(1) encoding into a
// fresh bitmap that starts at bit 0.
func (p *pageData) bits(e *enc20.ArrayEncoding, start, n uint64) ([]byte, error) {
	flat := e.GetFlat()
	if flat == nil || flat.GetBitsPerValue() != 1 {
		return nil, p.corrupt("a validity or boolean bitmap must be Flat(1)")
	}
	if n == 0 {
		return []byte{}, nil
	}
	if err := p.b.take(n / 8); err != nil {
		return nil, err
	}
	first := start / 8
	last := (start + n + 7) / 8
	if last < first {
		return nil, p.corrupt("bit range overflows")
	}
	raw, err := p.flatBytes(flat, first, last-first)
	if err != nil {
		return nil, err
	}
	out := make([]byte, bitutil.BytesForBits(int64(n)))
	bitutil.CopyBitmap(raw, int(start%8), int(n), out, 0)
	return out, nil
}

func (p *pageData) decodeFlat(f *enc20.Flat, l *layout, start, n uint64) (*chunk, error) {
	switch l.kind {
	case kindBool:
		if f.GetBitsPerValue() != 1 {
			return nil, p.mismatch("flat(%d)", f.GetBitsPerValue())
		}
		v, err := p.bits(&enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_Flat{Flat: f}}, start, n)
		if err != nil {
			return nil, err
		}
		return &chunk{n: n, values: v}, nil
	case kindFixed:
		if f.GetBitsPerValue() != 8*l.width {
			return nil, p.mismatch("flat(%d)", f.GetBitsPerValue())
		}
		off, err := mul(start, l.width)
		if err != nil {
			return nil, err
		}
		size, err := mul(n, l.width)
		if err != nil {
			return nil, err
		}
		v, err := p.flatBytes(f, off, size)
		if err != nil {
			return nil, err
		}
		return &chunk{n: n, values: v}, nil
	default:
		return nil, p.mismatch("flat(%d)", f.GetBitsPerValue())
	}
}

// flatBytes returns bytes [off, off+n) of a Flat buffer, inflating it
// first when it is compressed.
func (p *pageData) flatBytes(f *enc20.Flat, off, n uint64) ([]byte, error) {
	c := f.GetCompression()
	if c == nil || c.GetScheme() == "" || c.GetScheme() == "none" {
		return p.read(f.GetBuffer(), off, n)
	}
	data, ok := p.inflated[f]
	if !ok {
		raw, err := p.wholeBuffer(f.GetBuffer())
		if err != nil {
			return nil, err
		}
		if data, err = Decompress(c.GetScheme(), raw, p.b.left); err != nil {
			return nil, fmt.Errorf("%s: column %d: %w", p.src.Path(), p.col.Index, err)
		}
		if err := p.b.take(uint64(len(data))); err != nil {
			return nil, err
		}
		if p.inflated == nil {
			p.inflated = map[*enc20.Flat][]byte{}
		}
		p.inflated[f] = data
	}
	if off > uint64(len(data)) || n > uint64(len(data))-off {
		return nil, p.corrupt("bytes [%d, +%d) of a %d-byte decompressed buffer", off, n, len(data))
	}
	return data[off : off+n : off+n], nil
}

// u64s decodes rows [start, start+n) of a 64-bit integer encoding.
func (p *pageData) u64s(e *enc20.ArrayEncoding, start, n uint64, depth int) ([]uint64, error) {
	c, err := p.decode(e, u64Layout, start, n, depth+1)
	if err != nil {
		return nil, err
	}
	if err := p.b.takeN(n, 8); err != nil {
		return nil, err
	}
	out := make([]uint64, n)
	for i := range out {
		out[i] = binary.LittleEndian.Uint64(c.values[8*i:])
	}
	return out, nil
}

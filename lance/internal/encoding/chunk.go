package encoding

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/resona-go/resona/lance/internal/lanceerr"
)

// kind is how the values of an Arrow type are laid out in a chunk.
type kind int

const (
	kindFixed  kind = iota // width bytes per value
	kindBool               // one bit per value
	kindBinary             // offsets plus bytes
	kindFSL                // a child chunk of n*dim items
)

// layout describes how a leaf Arrow type is held in chunks.
type layout struct {
	kind  kind
	width uint64 // bytes per value for kindFixed
	dim   uint64 // list size for kindFSL
	item  *layout
}

// leafLayout returns the chunk layout of a type stored in one 2.0 column.
func leafLayout(t arrow.DataType) (*layout, error) {
	switch t.ID() {
	case arrow.BOOL:
		return &layout{kind: kindBool}, nil
	case arrow.STRING, arrow.BINARY, arrow.LARGE_STRING, arrow.LARGE_BINARY:
		return &layout{kind: kindBinary}, nil
	case arrow.FIXED_SIZE_LIST:
		ft := t.(*arrow.FixedSizeListType)
		if ft.Len() < 0 {
			return nil, fmt.Errorf("%w: fixed_size_list of negative size", lanceerr.ErrInvalidArgument)
		}
		item, err := leafLayout(ft.Elem())
		if err != nil {
			return nil, err
		}
		if item.kind == kindBinary {
			return nil, fmt.Errorf("%w: fixed_size_list of %s", lanceerr.ErrUnsupported, ft.Elem())
		}
		return &layout{kind: kindFSL, dim: uint64(ft.Len()), item: item}, nil
	}
	if fw, ok := t.(arrow.FixedWidthDataType); ok && fw.BitWidth() >= 8 && fw.BitWidth()%8 == 0 {
		return &layout{kind: kindFixed, width: uint64(fw.BitWidth() / 8)}, nil
	}
	return nil, fmt.Errorf("%w: arrow type %s in a 2.0 column", lanceerr.ErrUnsupported, t)
}

// chunk is decoded data of n consecutive rows (of one page or of several
// pages after concat), not yet an Arrow array.
type chunk struct {
	n        uint64
	validity []byte   // bit i set = row i valid; nil when all rows are valid
	values   []byte   // fixed: n*width bytes; bool: n bits; binary: the bytes
	offsets  []uint64 // binary: n+1 offsets into values, offsets[0] == 0
	child    *chunk   // fsl: n*dim items
}

// budget limits the bytes one read may allocate, so that corrupt row counts
// fail instead of exhausting memory.
type budget struct{ left int64 }

func (b *budget) take(n uint64) error {
	if n > math.MaxInt64 || int64(n) > b.left {
		return fmt.Errorf("%w: decoding needs more than the %d-byte limit", lanceerr.ErrInvalidArgument, b.left)
	}
	b.left -= int64(n)
	return nil
}

// takeN takes n values of w bytes each.
func (b *budget) takeN(n, w uint64) error {
	sz, err := mul(n, w)
	if err != nil {
		return err
	}
	return b.take(sz)
}

// mul multiplies two counts read from disk, failing on overflow.
func mul(a, b uint64) (uint64, error) {
	if a != 0 && b > math.MaxUint64/a {
		return 0, fmt.Errorf("%w: size %d x %d overflows", lanceerr.ErrCorrupt, a, b)
	}
	return a * b, nil
}

// nullChunk is n rows that are all null.
func nullChunk(l *layout, n uint64, b *budget) (*chunk, error) {
	if err := b.take(n / 8); err != nil {
		return nil, err
	}
	c := &chunk{n: n, validity: make([]byte, bitutil.BytesForBits(int64(n)))}
	switch l.kind {
	case kindFixed:
		sz, err := mul(n, l.width)
		if err != nil {
			return nil, err
		}
		if err := b.take(sz); err != nil {
			return nil, err
		}
		c.values = make([]byte, sz)
	case kindBool:
		c.values = make([]byte, len(c.validity))
	case kindBinary:
		if err := b.takeN(n, 8); err != nil {
			return nil, err
		}
		c.offsets = make([]uint64, n+1)
	case kindFSL:
		items, err := mul(n, l.dim)
		if err != nil {
			return nil, err
		}
		if c.child, err = nullChunk(l.item, items, b); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// concat joins chunks of one layout, allocating each output buffer once. A
// single chunk is returned as is, so one page read stays zero-copy.
func concat(l *layout, cs []*chunk, b *budget) (*chunk, error) {
	if len(cs) == 1 {
		return cs[0], nil
	}
	out := &chunk{}
	anyNull := false
	for _, c := range cs {
		out.n += c.n
		anyNull = anyNull || c.validity != nil
	}
	if anyNull {
		if err := b.take(out.n / 8); err != nil {
			return nil, err
		}
		out.validity = make([]byte, bitutil.BytesForBits(int64(out.n)))
		pos := 0
		for _, c := range cs {
			if c.validity == nil {
				bitutil.SetBitsTo(out.validity, int64(pos), int64(c.n), true)
			} else {
				bitutil.CopyBitmap(c.validity, 0, int(c.n), out.validity, pos)
			}
			pos += int(c.n)
		}
	}
	switch l.kind {
	case kindFixed:
		total := uint64(0)
		for _, c := range cs {
			total += uint64(len(c.values))
		}
		if err := b.take(total); err != nil {
			return nil, err
		}
		out.values = make([]byte, 0, total)
		for _, c := range cs {
			out.values = append(out.values, c.values...)
		}
	case kindBool:
		out.values = make([]byte, bitutil.BytesForBits(int64(out.n)))
		pos := 0
		for _, c := range cs {
			bitutil.CopyBitmap(c.values, 0, int(c.n), out.values, pos)
			pos += int(c.n)
		}
	case kindBinary:
		total := uint64(0)
		for _, c := range cs {
			total += uint64(len(c.values))
		}
		if err := b.takeN(out.n, 8); err != nil {
			return nil, err
		}
		if err := b.take(total); err != nil {
			return nil, err
		}
		out.values = make([]byte, 0, total)
		out.offsets = make([]uint64, 1, out.n+1)
		for _, c := range cs {
			base := uint64(len(out.values))
			for _, o := range c.offsets[1:] {
				out.offsets = append(out.offsets, base+o)
			}
			out.values = append(out.values, c.values...)
		}
	case kindFSL:
		kids := make([]*chunk, len(cs))
		for i, c := range cs {
			kids[i] = c.child
		}
		var err error
		if out.child, err = concat(l.item, kids, b); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// aligned returns b, copied if its start is not 8-byte aligned, so that
// Arrow may view it as a slice of any fixed-width type.
func aligned(b []byte) []byte {
	if len(b) == 0 || uintptr(unsafe.Pointer(&b[0]))%8 == 0 {
		return b
	}
	c := make([]byte, len(b))
	copy(c, b)
	return c
}

func buffer(b []byte) *memory.Buffer {
	if b == nil {
		return nil
	}
	return memory.NewBufferBytes(aligned(b))
}

// toData turns a chunk into Arrow data of type t (whose layout is l).
func toData(t arrow.DataType, l *layout, c *chunk) (arrow.ArrayData, error) {
	n := int(c.n)
	nulls := 0
	if c.validity != nil {
		nulls = n - bitutil.CountSetBits(c.validity, 0, n)
		if nulls == 0 {
			c.validity = nil
		}
	}
	valid := buffer(c.validity)
	switch l.kind {
	case kindFixed, kindBool:
		return array.NewData(t, n, []*memory.Buffer{valid, buffer(c.values)}, nil, nulls, 0), nil
	case kindBinary:
		var offs []byte
		switch t.ID() {
		case arrow.STRING, arrow.BINARY:
			if c.offsets[n] > math.MaxInt32 {
				return nil, fmt.Errorf("%w: %d bytes of %s exceed 32-bit offsets; read fewer rows", lanceerr.ErrInvalidArgument, c.offsets[n], t)
			}
			o := make([]int32, n+1)
			for i, v := range c.offsets {
				o[i] = int32(v)
			}
			offs = arrow.Int32Traits.CastToBytes(o)
		default:
			o := make([]int64, n+1)
			for i, v := range c.offsets {
				o[i] = int64(v)
			}
			offs = arrow.Int64Traits.CastToBytes(o)
		}
		values := c.values
		if values == nil {
			values = []byte{}
		}
		return array.NewData(t, n, []*memory.Buffer{valid, memory.NewBufferBytes(offs), buffer(values)}, nil, nulls, 0), nil
	case kindFSL:
		ft := t.(*arrow.FixedSizeListType)
		child, err := toData(ft.Elem(), l.item, c.child)
		if err != nil {
			return nil, err
		}
		defer child.Release()
		return array.NewData(t, n, []*memory.Buffer{valid}, []arrow.ArrayData{child}, nulls, 0), nil
	}
	return nil, fmt.Errorf("%w: layout %d", lanceerr.ErrUnsupported, l.kind)
}

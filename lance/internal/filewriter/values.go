package filewriter

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"

	"github.com/resona-go/resona/lance/internal/pb/enc20"
)

// valueBuilder accumulates the values of one page of a single-column
// ("primitive" in Lance's terms) field and encodes them.
type valueBuilder interface {
	// add appends all rows of d. With borrow set the builder may keep
	// slices of d's buffers instead of copying them; the caller then
	// encodes and resets before d can change.
	add(d arrow.ArrayData, borrow bool)
	rows() int
	// encode appends the page buffers to bufs, numbering them from *next,
	// and returns the encoding that describes them.
	encode(bufs [][]byte, next *uint32) ([][]byte, *enc20.ArrayEncoding)
	reset()
}

// validity accumulates row validity and counts nulls.
type validity struct {
	bits  bitmap
	nulls int
}

func (v *validity) add(d arrow.ArrayData) {
	n := d.Len()
	if nb := d.Buffers()[0]; nb != nil {
		if nulls := nullCount(d); nulls > 0 {
			v.bits.appendBits(nb.Bytes(), d.Offset(), n)
			v.nulls += nulls
			return
		}
	}
	v.bits.appendConst(true, n)
}

func (v *validity) reset() {
	v.bits.reset()
	v.nulls = 0
}

// wrap applies Lance's Nullable wrapper: AllNull has no buffers, SomeNull
// writes the validity bitmap before the values, NoNull only the values.
func (v *validity) wrap(bufs [][]byte, next *uint32, values func([][]byte, *uint32) ([][]byte, *enc20.ArrayEncoding)) ([][]byte, *enc20.ArrayEncoding) {
	switch {
	case v.nulls == v.bits.n:
		return bufs, allNullEnc()
	case v.nulls > 0:
		vi := *next
		*next++
		bufs = append(bufs, v.bits.bytes())
		bufs, enc := values(bufs, next)
		return bufs, someNullEnc(flatEnc(1, vi), enc)
	default:
		bufs, enc := values(bufs, next)
		return bufs, noNullEnc(enc)
	}
}

// fixedBuilder holds fixed-width values: width bytes each, or single bits
// for booleans (width 0).
type fixedBuilder struct {
	width    int
	valid    validity
	vals     []byte
	borrowed []byte
	boolVals bitmap
}

func (b *fixedBuilder) add(d arrow.ArrayData, borrow bool) {
	b.valid.add(d)
	off, n := d.Offset(), d.Len()
	src := d.Buffers()[1]
	if b.width == 0 {
		if src == nil {
			b.boolVals.appendConst(false, n)
		} else {
			b.boolVals.appendBits(src.Bytes(), off, n)
		}
		return
	}
	var raw []byte
	if src != nil {
		raw = src.Bytes()[off*b.width : (off+n)*b.width]
	} else {
		raw = make([]byte, n*b.width)
	}
	if borrow && len(b.vals) == 0 && b.borrowed == nil {
		b.borrowed = raw
		return
	}
	if b.borrowed != nil {
		b.vals = append(b.vals, b.borrowed...)
		b.borrowed = nil
	}
	b.vals = append(b.vals, raw...)
}

func (b *fixedBuilder) rows() int { return b.valid.bits.n }

func (b *fixedBuilder) encode(bufs [][]byte, next *uint32) ([][]byte, *enc20.ArrayEncoding) {
	return b.valid.wrap(bufs, next, b.encodeValues)
}

func (b *fixedBuilder) encodeValues(bufs [][]byte, next *uint32) ([][]byte, *enc20.ArrayEncoding) {
	idx := *next
	*next++
	if b.width == 0 {
		return append(bufs, b.boolVals.bytes()), flatEnc(1, idx)
	}
	data := b.vals
	if b.borrowed != nil {
		data = b.borrowed
	}
	return append(bufs, data), flatEnc(uint64(b.width)*8, idx)
}

func (b *fixedBuilder) reset() {
	b.valid.reset()
	b.vals = b.vals[:0]
	b.borrowed = nil
	b.boolVals.reset()
}

// fslBuilder holds fixed-size lists: row validity plus dim items per row
// in a child builder.
type fslBuilder struct {
	dim   int
	valid validity
	child valueBuilder
}

func (b *fslBuilder) add(d arrow.ArrayData, borrow bool) {
	b.valid.add(d)
	off, n := d.Offset(), d.Len()
	sub := array.NewSliceData(d.Children()[0], int64(off*b.dim), int64((off+n)*b.dim))
	defer sub.Release()
	b.child.add(sub, borrow)
}

func (b *fslBuilder) rows() int { return b.valid.bits.n }

func (b *fslBuilder) encode(bufs [][]byte, next *uint32) ([][]byte, *enc20.ArrayEncoding) {
	return b.valid.wrap(bufs, next, func(bufs [][]byte, next *uint32) ([][]byte, *enc20.ArrayEncoding) {
		bufs, items := b.child.encode(bufs, next)
		return bufs, fslEnc(uint32(b.dim), items)
	})
}

func (b *fslBuilder) reset() {
	b.valid.reset()
	b.child.reset()
}

// dataSize approximates the Arrow memory of d's rows, the measure Lance's
// accumulation queue compares with the page budget.
func dataSize(d arrow.ArrayData) int64 {
	n := int64(d.Len())
	var size int64
	if d.Buffers()[0] != nil {
		size += bitutil.BytesForBits(n)
	}
	switch t := d.DataType().(type) {
	case *arrow.BooleanType:
		size += bitutil.BytesForBits(n)
	case arrow.FixedWidthDataType:
		size += n * int64(t.BitWidth()/8)
	case *arrow.StringType, *arrow.BinaryType:
		off := arrow.Int32Traits.CastFromBytes(d.Buffers()[1].Bytes())[d.Offset():]
		size += (n+1)*4 + int64(off[n]-off[0])
	case *arrow.LargeStringType, *arrow.LargeBinaryType:
		off := arrow.Int64Traits.CastFromBytes(d.Buffers()[1].Bytes())[d.Offset():]
		size += (n+1)*8 + off[n] - off[0]
	case *arrow.FixedSizeListType:
		dim := int64(t.Len())
		sub := array.NewSliceData(d.Children()[0], int64(d.Offset())*dim, (int64(d.Offset())+n)*dim)
		size += dataSize(sub)
		sub.Release()
	}
	return size
}

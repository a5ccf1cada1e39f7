package filewriter

import (
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"

	"github.com/resona-go/resona/lance/internal/lanceerr"
)

// fieldEncoder turns the values of one Lance field (and its children) into
// pages of one or more columns, writing each page as soon as it is full.
type fieldEncoder interface {
	// append buffers the rows of d and reports whether it wrote a page.
	append(d arrow.ArrayData) (bool, error)
	// flush writes whatever is buffered and reports whether it wrote a page.
	flush() (bool, error)
	// finish writes the pages that are only known at the end of the file.
	finish() error
}

// newFieldEncoder builds the encoder of field f and its children, taking
// column indices from *col in pre-order (one column per Lance field).
func (w *Writer) newFieldEncoder(f arrow.Field, col *int) (fieldEncoder, error) {
	idx := *col
	*col++
	switch t := f.Type.(type) {
	case *arrow.ListType, *arrow.LargeListType:
		elem := t.(arrow.ListLikeType).ElemField()
		items, err := w.newFieldEncoder(elem, col)
		if err != nil {
			return nil, err
		}
		_, large := t.(*arrow.LargeListType)
		return &listEncoder{w: w, col: idx, large: large, items: items}, nil
	case *arrow.StructType:
		e := &structEncoder{w: w, col: idx}
		for _, c := range t.Fields() {
			ce, err := w.newFieldEncoder(c, col)
			if err != nil {
				return nil, err
			}
			e.children = append(e.children, ce)
		}
		return e, nil
	}
	b, err := newValueBuilder(f.Type)
	if err != nil {
		return nil, fmt.Errorf("field %q: %w", f.Name, err)
	}
	return &primitiveEncoder{w: w, col: idx, b: b}, nil
}

// newValueBuilder returns the page builder for a single-column type.
func newValueBuilder(t arrow.DataType) (valueBuilder, error) {
	switch t := t.(type) {
	case *arrow.BooleanType:
		return &fixedBuilder{width: 0}, nil
	case *arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type,
		*arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type, *arrow.Uint64Type,
		*arrow.Float16Type, *arrow.Float32Type, *arrow.Float64Type,
		*arrow.Date32Type, *arrow.Date64Type, *arrow.TimestampType,
		*arrow.Time32Type, *arrow.Time64Type, *arrow.DurationType:
		return &fixedBuilder{width: t.(arrow.FixedWidthDataType).BitWidth() / 8}, nil
	case *arrow.StringType:
		return &binaryBuilder{dictionary: true}, nil
	case *arrow.BinaryType:
		return &binaryBuilder{}, nil
	case *arrow.LargeStringType, *arrow.LargeBinaryType:
		return &binaryBuilder{large: true}, nil
	case *arrow.FixedSizeListType:
		child, err := newValueBuilder(t.Elem())
		if err != nil {
			return nil, err
		}
		if _, ok := child.(*binaryBuilder); ok {
			return nil, fmt.Errorf("%w: fixed_size_list of %s", lanceerr.ErrUnsupported, t.Elem())
		}
		return &fslBuilder{dim: int(t.Len()), child: child}, nil
	}
	return nil, fmt.Errorf("%w: data type %s in a 2.0 file", lanceerr.ErrUnsupported, t)
}

// primitiveEncoder writes a single-column field. Like Lance's accumulation
// queue it buffers arrays until more than PageBytes are queued and then
// writes them as one page, including the array that crossed the budget. An
// array that crosses the budget on its own is split into ceil(size /
// MaxPageBytes) pages of equal row counts.
type primitiveEncoder struct {
	w      *Writer
	col    int
	b      valueBuilder
	queued int64
}

func (e *primitiveEncoder) append(d arrow.ArrayData) (bool, error) {
	n := d.Len()
	if n == 0 {
		return false, nil
	}
	size := dataSize(d)
	if e.b.rows() == 0 && size > e.w.pageBytes {
		parts := int(ceilDiv(size, e.w.maxPageBytes))
		parts = min(max(parts, 1), n)
		step := (n + parts - 1) / parts
		for off := 0; off < n; off += step {
			sub := d
			if parts > 1 {
				sub = array.NewSliceData(d, int64(off), int64(min(off+step, n)))
			}
			e.b.add(sub, true)
			err := e.emit()
			if parts > 1 {
				sub.Release()
			}
			if err != nil {
				return true, err
			}
		}
		return true, nil
	}
	e.b.add(d, false)
	e.queued += size
	if e.queued > e.w.pageBytes {
		return true, e.emit()
	}
	return false, nil
}

func (e *primitiveEncoder) flush() (bool, error) {
	if e.b.rows() == 0 {
		return false, nil
	}
	return true, e.emit()
}

func (e *primitiveEncoder) emit() error {
	var next uint32
	bufs, enc := e.b.encode(nil, &next)
	rows := e.b.rows()
	err := e.w.writePage(e.col, uint64(rows), bufs, enc)
	e.b.reset()
	e.queued = 0
	return err
}

func (e *primitiveEncoder) finish() error { return nil }

// listEncoder writes the offsets column of a list field and drives the
// encoder of its items. An items page may not span two offsets pages, so
// whenever an offsets page is written the items are flushed too.
type listEncoder struct {
	w      *Writer
	col    int
	large  bool
	items  fieldEncoder
	valid  validity
	ends   []uint64
	queued int64
	buf    []byte
}

func (e *listEncoder) append(d arrow.ArrayData) (bool, error) {
	n := d.Len()
	if n == 0 {
		return false, nil
	}
	off := d.Offset()
	var start, end int64
	last := uint64(0)
	if len(e.ends) > 0 {
		last = e.ends[len(e.ends)-1]
	}
	width := int64(4)
	if e.large {
		width = 8
		o := arrow.Int64Traits.CastFromBytes(d.Buffers()[1].Bytes())[off : off+n+1]
		for i := 0; i < n; i++ {
			last += uint64(o[i+1] - o[i])
			e.ends = append(e.ends, last)
		}
		start, end = o[0], o[n]
	} else {
		o := arrow.Int32Traits.CastFromBytes(d.Buffers()[1].Bytes())[off : off+n+1]
		for i := 0; i < n; i++ {
			last += uint64(o[i+1] - o[i])
			e.ends = append(e.ends, last)
		}
		start, end = int64(o[0]), int64(o[n])
	}
	e.valid.add(d)
	// Lance queues the offsets array and then the validity array; either
	// may fill the budget.
	wrote := false
	e.queued += int64(n+1) * width
	if e.queued <= e.w.pageBytes && d.Buffers()[0] != nil {
		e.queued += bitutil.BytesForBits(int64(n))
	}
	if e.queued > e.w.pageBytes {
		if err := e.emit(); err != nil {
			return true, err
		}
		wrote = true
	}
	sub := array.NewSliceData(d.Children()[0], start, end)
	itemsWrote, err := e.items.append(sub)
	sub.Release()
	if err != nil {
		return true, err
	}
	if wrote && !itemsWrote {
		if _, err := e.items.flush(); err != nil {
			return true, err
		}
	}
	return wrote || itemsWrote, nil
}

func (e *listEncoder) flush() (bool, error) {
	wrote := false
	if len(e.ends) > 0 {
		if err := e.emit(); err != nil {
			return true, err
		}
		wrote = true
	}
	itemsWrote, err := e.items.flush()
	return wrote || itemsWrote, err
}

// emit writes the buffered offsets: u64 ends relative to the page, where a
// null list adds null_offset_adjustment (items in the page + 1).
func (e *listEncoder) emit() error {
	n := len(e.ends)
	span := e.ends[n-1]
	adj := span + 1
	if cap(e.buf) < n*8 {
		e.buf = make([]byte, n*8)
	}
	buf := e.buf[:n*8]
	for i, v := range e.ends {
		if e.valid.nulls > 0 && !e.valid.bits.get(i) {
			v += adj
		}
		binary.LittleEndian.PutUint64(buf[i*8:], v)
	}
	err := e.w.writePage(e.col, uint64(n), [][]byte{buf}, listEnc(noNullEnc(flatEnc(64, 0)), adj, span))
	e.ends = e.ends[:0]
	e.valid.reset()
	e.queued = 0
	return err
}

func (e *listEncoder) finish() error { return e.items.finish() }

// structEncoder feeds each child its column; the header column gets a single
// SimpleStruct page covering every row when the file is finished.
type structEncoder struct {
	w        *Writer
	col      int
	rows     uint64
	children []fieldEncoder
}

func (e *structEncoder) append(d arrow.ArrayData) (bool, error) {
	n := d.Len()
	if n == 0 {
		return false, nil
	}
	e.rows += uint64(n)
	wrote := false
	for i, c := range e.children {
		sub := array.NewSliceData(d.Children()[i], int64(d.Offset()), int64(d.Offset()+n))
		ok, err := c.append(sub)
		sub.Release()
		if err != nil {
			return true, err
		}
		wrote = wrote || ok
	}
	return wrote, nil
}

func (e *structEncoder) flush() (bool, error) {
	wrote := false
	for _, c := range e.children {
		ok, err := c.flush()
		if err != nil {
			return true, err
		}
		wrote = wrote || ok
	}
	return wrote, nil
}

func (e *structEncoder) finish() error {
	if err := e.w.writePage(e.col, e.rows, nil, structEnc()); err != nil {
		return err
	}
	for _, c := range e.children {
		if err := c.finish(); err != nil {
			return err
		}
	}
	return nil
}

func ceilDiv(a, b int64) int64 { return (a + b - 1) / b }

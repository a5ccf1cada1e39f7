package filewriter

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"

	"github.com/resona-go/resona/lance/internal/lanceerr"
)

type leafKind int

const (
	leafFixed    leafKind = iota // width bytes per value (fixed-size lists included)
	leafBool                     // one bit per value
	leafVariable                 // utf8/binary and their large variants
)

// leafNode buffers one leaf column's rows until a page is full.
type leafNode struct {
	w     *Writer
	col   int
	depth int // position of the leaf on its path (0: a top-level field)
	name  string
	kind  leafKind
	width int // leafFixed: bytes per value
	dim   int // fixed-size lists: items per value (0 otherwise)
	item  int // fixed-size lists: bits per item
	large bool

	rows     int
	firstRow uint64
	queued   int64
	// leafFixed values; borrowed marks vals as a slice of the caller's
	// Arrow buffer, to be copied before anything is appended.
	vals     []byte
	owned    []byte
	borrowed bool
	bits     bitmap   // leafBool values
	ends     []uint64 // leafVariable: cumulative end offsets into data
	data     []byte
	maxLen   uint64
	// nullAt holds, per row, the depth of the outermost null node on the
	// leaf's path or -1; nil while every row so far is valid.
	nullAt []int8
}

func newLeaf(w *Writer, f arrow.Field, depth int) (*leafNode, error) {
	l := &leafNode{w: w, depth: depth, name: f.Name}
	switch t := f.Type.(type) {
	case *arrow.BooleanType:
		l.kind = leafBool
	case *arrow.StringType, *arrow.BinaryType:
		l.kind = leafVariable
	case *arrow.LargeStringType, *arrow.LargeBinaryType:
		l.kind, l.large = leafVariable, true
	case *arrow.FixedSizeListType:
		it, ok := t.Elem().(arrow.FixedWidthDataType)
		if !ok || !fixedWidthType(t.Elem()) || it.BitWidth()%8 != 0 || t.Len() <= 0 {
			return nil, fmt.Errorf("%w: field %q: %s in a %s file", lanceerr.ErrUnsupported, f.Name, t, w.version)
		}
		l.kind, l.dim, l.item = leafFixed, int(t.Len()), it.BitWidth()
		l.width = l.dim * l.item / 8
	default:
		if !fixedWidthType(t) {
			return nil, fmt.Errorf("%w: field %q: %s in a %s file", lanceerr.ErrUnsupported, f.Name, t, w.version)
		}
		l.kind, l.width = leafFixed, t.(arrow.FixedWidthDataType).BitWidth()/8
	}
	return l, nil
}

// fixedWidthType lists the byte-aligned fixed-width types written as plain
// values (the same set the 2.0 writer supports).
func fixedWidthType(t arrow.DataType) bool {
	switch t.(type) {
	case *arrow.Int8Type, *arrow.Int16Type, *arrow.Int32Type, *arrow.Int64Type,
		*arrow.Uint8Type, *arrow.Uint16Type, *arrow.Uint32Type, *arrow.Uint64Type,
		*arrow.Float16Type, *arrow.Float32Type, *arrow.Float64Type,
		*arrow.Date32Type, *arrow.Date64Type, *arrow.TimestampType,
		*arrow.Time32Type, *arrow.Time64Type, *arrow.DurationType:
		return true
	}
	return false
}

func (l *leafNode) appendRows(d arrow.ArrayData, parentNull []int8) (bool, error) {
	n := d.Len()
	if n == 0 {
		return false, nil
	}
	if err := l.checkItems(d, parentNull); err != nil {
		return false, err
	}
	size := dataSize(d)
	budget := l.w.pageBytes
	if l.rows == 0 && size > budget {
		// One array larger than a page on its own: split it into pages of
		// about the budget, writing fixed-width values straight from the
		// Arrow buffer.
		parts := int(min(max(ceilDiv(size, budget), 1), int64(n)))
		step := (n + parts - 1) / parts
		for off := 0; off < n; off += step {
			end := min(off+step, n)
			sub := array.NewSliceData(d, int64(off), int64(end))
			var pn []int8
			if parentNull != nil {
				pn = parentNull[off:end]
			}
			l.add(sub, pn, true)
			err := l.emit()
			sub.Release()
			if err != nil {
				return true, err
			}
		}
		return true, nil
	}
	l.add(d, parentNull, false)
	l.queued += size
	if l.queued > budget {
		return true, l.emit()
	}
	return false, nil
}

func (l *leafNode) flushPages() (bool, error) {
	if l.rows == 0 {
		return false, nil
	}
	return true, l.emit()
}

// checkItems refuses fixed-size lists with null items in valid rows: the
// plain layouts written here have no item validity.
func (l *leafNode) checkItems(d arrow.ArrayData, parentNull []int8) error {
	if l.dim == 0 {
		return nil
	}
	child := d.Children()[0]
	from, to := int64(d.Offset())*int64(l.dim), int64(d.Offset()+d.Len())*int64(l.dim)
	sub := array.NewSliceData(child, from, to)
	defer sub.Release()
	if nullCount(sub) == 0 {
		return nil
	}
	bits := sub.Buffers()[0].Bytes()
	for i := 0; i < d.Len(); i++ {
		if (parentNull != nil && parentNull[i] >= 0) || !rowValid(d, i) {
			continue
		}
		for k := 0; k < l.dim; k++ {
			if !bitutil.BitIsSet(bits, sub.Offset()+i*l.dim+k) {
				return fmt.Errorf("%w: field %q: null items inside a fixed-size list in a %s file", lanceerr.ErrUnsupported, l.name, l.w.version)
			}
		}
	}
	return nil
}

func rowValid(d arrow.ArrayData, i int) bool {
	nb := d.Buffers()[0]
	return nb == nil || bitutil.BitIsSet(nb.Bytes(), d.Offset()+i)
}

// add appends the rows of d. With borrow set and an empty page, fixed-width
// values may stay in d's buffer; the caller emits before returning.
func (l *leafNode) add(d arrow.ArrayData, parentNull []int8, borrow bool) {
	n := d.Len()
	l.addNulls(d, parentNull)
	off := d.Offset()
	switch l.kind {
	case leafBool:
		if src := d.Buffers()[1]; src == nil {
			l.bits.appendConst(false, n)
		} else {
			l.bits.appendBits(src.Bytes(), off, n)
		}
	case leafFixed:
		l.addFixed(d, borrow)
	case leafVariable:
		l.addVariable(d)
	}
	l.rows += n
}

func (l *leafNode) addNulls(d arrow.ArrayData, parentNull []int8) {
	n := d.Len()
	own := nullCount(d) > 0
	if !own && parentNull == nil {
		if l.nullAt != nil {
			for range n {
				l.nullAt = append(l.nullAt, -1)
			}
		}
		return
	}
	if l.nullAt == nil {
		l.nullAt = make([]int8, l.rows, l.rows+n)
		for i := range l.nullAt {
			l.nullAt[i] = -1
		}
	}
	for i := 0; i < n; i++ {
		v := int8(-1)
		switch {
		case parentNull != nil && parentNull[i] >= 0:
			v = parentNull[i]
		case own && !rowValid(d, i):
			v = int8(l.depth)
		}
		l.nullAt = append(l.nullAt, v)
	}
}

func (l *leafNode) addFixed(d arrow.ArrayData, borrow bool) {
	n := d.Len()
	var raw []byte
	if l.dim > 0 {
		child := d.Children()[0]
		first := child.Offset() + d.Offset()*l.dim
		if src := child.Buffers()[1]; src != nil {
			raw = src.Bytes()[first*l.item/8 : (first+n*l.dim)*l.item/8]
		}
	} else if src := d.Buffers()[1]; src != nil {
		raw = src.Bytes()[d.Offset()*l.width : (d.Offset()+n)*l.width]
	}
	if raw == nil {
		raw = make([]byte, n*l.width)
	}
	if borrow && l.rows == 0 {
		l.vals, l.borrowed = raw, true
		return
	}
	if l.borrowed {
		l.owned = append(l.owned[:0], l.vals...)
		l.vals, l.borrowed = l.owned, false
	}
	l.vals = append(l.vals, raw...)
	l.owned = l.vals
}

func (l *leafNode) addVariable(d arrow.ArrayData) {
	n := d.Len()
	off := d.Offset()
	var bytes []byte
	if vb := d.Buffers()[2]; vb != nil {
		bytes = vb.Bytes()
	}
	last := uint64(0)
	if len(l.ends) > 0 {
		last = l.ends[len(l.ends)-1]
	}
	base := l.rows
	for i := 0; i < n; i++ {
		var lo, hi int64
		if l.large {
			o := arrow.Int64Traits.CastFromBytes(d.Buffers()[1].Bytes())
			lo, hi = o[off+i], o[off+i+1]
		} else {
			o := arrow.Int32Traits.CastFromBytes(d.Buffers()[1].Bytes())
			lo, hi = int64(o[off+i]), int64(o[off+i+1])
		}
		// Null rows store no bytes, whatever Arrow keeps under them.
		if l.nullAt != nil && l.nullAt[base+i] >= 0 {
			hi = lo
		}
		l.data = append(l.data, bytes[lo:hi]...)
		last += uint64(hi - lo)
		l.maxLen = max(l.maxLen, uint64(hi-lo))
		l.ends = append(l.ends, last)
	}
}

func (l *leafNode) reset() {
	l.firstRow += uint64(l.rows)
	l.rows = 0
	l.queued = 0
	if l.borrowed {
		l.vals, l.borrowed = l.owned[:0], false
	} else {
		l.vals = l.vals[:0]
	}
	l.bits.reset()
	l.ends = l.ends[:0]
	l.data = l.data[:0]
	l.maxLen = 0
	l.nullAt = nil
}

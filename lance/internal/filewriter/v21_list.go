package filewriter

import (
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"

	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb/enc21"
)

// Limits of one list page. Each list page is a single mini-block chunk, so
// that no list ever spans two chunks and the repetition index is simply
// (rows, 0); pages are closed before a row would cross these limits.
const (
	listPageValues = 4096
	listPageLevels = 4096
	listPageBytes  = 8192
	// A row larger than a page goes alone into one; the chunk header's u16
	// rep/def sizes cap it at this many levels.
	maxListRowLevels = 32767
)

// Level entries of a list page: one per item, and one per null or empty
// list.
const (
	entryItem uint8 = iota
	entryNullItem
	entryNullList
	entryEmptyList
)

// listNode writes a top-level list of leaf items as repetition and
// definition levels over the items' leaf column.
type listNode struct {
	w        *Writer
	name     string
	large    bool
	item     *leafNode
	rows     int
	values   int // items recorded in the page (some maybe not yet in item)
	firstRow uint64
	entries  []uint8
	rep      []uint16
	bytes    int
}

func newListNode(w *Writer, f arrow.Field, depth int) (*listNode, error) {
	elem := f.Type.(arrow.ListLikeType).ElemField()
	if depth != 0 {
		return nil, fmt.Errorf("%w: field %q: lists below a struct in a %s file", lanceerr.ErrUnsupported, f.Name, w.version)
	}
	if _, ok := elem.Type.(*arrow.FixedSizeListType); ok {
		return nil, fmt.Errorf("%w: field %q: lists of fixed-size lists in a %s file", lanceerr.ErrUnsupported, f.Name, w.version)
	}
	item, err := newLeaf(w, elem, 1)
	if err != nil {
		return nil, err
	}
	_, large := f.Type.(*arrow.LargeListType)
	return &listNode{w: w, name: f.Name, large: large, item: item}, nil
}

func (n *listNode) bounds(d arrow.ArrayData, i int) (int, int) {
	off := d.Offset() + i
	if n.large {
		o := arrow.Int64Traits.CastFromBytes(d.Buffers()[1].Bytes())
		return int(o[off]), int(o[off+1])
	}
	o := arrow.Int32Traits.CastFromBytes(d.Buffers()[1].Bytes())
	return int(o[off]), int(o[off+1])
}

// itemBytes estimates the value bytes of child items [s, e).
func (n *listNode) itemBytes(child arrow.ArrayData, s, e int) int {
	switch n.item.kind {
	case leafBool:
		return (e - s + 7) / 8
	case leafFixed:
		return (e - s) * n.item.width
	}
	off := child.Offset()
	if n.item.large {
		o := arrow.Int64Traits.CastFromBytes(child.Buffers()[1].Bytes())
		return int(o[off+e]-o[off+s]) + 8*(e-s)
	}
	o := arrow.Int32Traits.CastFromBytes(child.Buffers()[1].Bytes())
	return int(o[off+e]-o[off+s]) + 4*(e-s)
}

func (n *listNode) appendRows(d arrow.ArrayData, parentNull []int8) (bool, error) {
	child := d.Children()[0]
	var childValid []byte
	if nb := child.Buffers()[0]; nb != nil && nullCount(child) > 0 {
		childValid = nb.Bytes()
	}
	wrote := false
	// Items [itemFrom, itemTo) of recorded rows are not yet handed to the
	// item leaf; they are added in runs, not row by row.
	itemFrom, itemTo := -1, -1
	addItems := func() {
		if itemFrom >= 0 && itemTo > itemFrom {
			sub := array.NewSliceData(child, int64(itemFrom), int64(itemTo))
			n.item.add(sub, nil, false)
			sub.Release()
		}
		itemFrom, itemTo = -1, -1
	}
	for i := 0; i < d.Len(); i++ {
		s, e := n.bounds(d, i)
		null := !rowValid(d, i) || (parentNull != nil && parentNull[i] >= 0)
		levels, vals, size := max(e-s, 1), e-s, n.itemBytes(child, s, e)
		if null {
			levels, vals, size = 1, 0, 0
		}
		if levels > maxListRowLevels || (!n.w.version.largeChunks() && 4*levels+size > 30<<10) {
			return wrote, fmt.Errorf("%w: field %q: a list of %d items (%d bytes) is too large for one %s mini-block", lanceerr.ErrUnsupported, n.name, vals, size, n.w.version)
		}
		if n.rows > 0 && (len(n.entries)+levels > listPageLevels || n.values+vals > listPageValues || n.bytes+size > listPageBytes) {
			addItems()
			if err := n.emit(); err != nil {
				return true, err
			}
			wrote = true
		}
		n.rows++
		n.values += vals
		n.bytes += size
		switch {
		case null:
			n.entries = append(n.entries, entryNullList)
			n.rep = append(n.rep, 1)
		case e == s:
			n.entries = append(n.entries, entryEmptyList)
			n.rep = append(n.rep, 1)
		default:
			for k := s; k < e; k++ {
				kind := entryItem
				if childValid != nil && !bitutil.BitIsSet(childValid, child.Offset()+k) {
					kind = entryNullItem
				}
				n.entries = append(n.entries, kind)
				if k == s {
					n.rep = append(n.rep, 1)
				} else {
					n.rep = append(n.rep, 0)
				}
			}
			if itemFrom < 0 {
				itemFrom = s
			}
			if itemTo >= 0 && itemTo != s {
				// Items of consecutive rows are contiguous in Arrow, but
				// be safe with gaps.
				addItems()
				itemFrom = s
			}
			itemTo = e
		}
	}
	addItems()
	return wrote, nil
}

func (n *listNode) flushPages() (bool, error) {
	if n.rows == 0 {
		return false, nil
	}
	return true, n.emit()
}

// emit writes the page: one mini-block chunk of u16 repetition levels,
// u16 definition levels (when some list is null or empty or some item
// null) and the items, plus the repetition index (rows, 0). A page without
// any item is a constant page carrying only the raw levels.
func (n *listNode) emit() error {
	defer n.reset()
	var nullItem, nullList, empty bool
	for _, e := range n.entries {
		switch e {
		case entryNullItem:
			nullItem = true
		case entryNullList:
			nullList = true
		case entryEmptyList:
			empty = true
		}
	}
	layers := []enc21.RepDefLayer{enc21.RepDefLayer_REPDEF_ALL_VALID_ITEM, enc21.RepDefLayer_REPDEF_ALL_VALID_LIST}
	var lv, lvNullItem, lvNullList, lvEmpty uint16
	if nullItem {
		lv++
		lvNullItem = lv
		layers[0] = enc21.RepDefLayer_REPDEF_NULLABLE_ITEM
	}
	switch {
	case nullList && empty:
		layers[1] = enc21.RepDefLayer_REPDEF_NULL_AND_EMPTY_LIST
		lvNullList, lvEmpty = lv+1, lv+2
		lv += 2
	case nullList:
		layers[1] = enc21.RepDefLayer_REPDEF_NULLABLE_LIST
		lv++
		lvNullList = lv
	case empty:
		layers[1] = enc21.RepDefLayer_REPDEF_EMPTYABLE_LIST
		lv++
		lvEmpty = lv
	}
	var def []uint16
	if lv > 0 {
		def = make([]uint16, len(n.entries))
		for i, e := range n.entries {
			switch e {
			case entryNullItem:
				def[i] = lvNullItem
			case entryNullList:
				def[i] = lvNullList
			case entryEmptyList:
				def[i] = lvEmpty
			}
		}
	}
	if n.item.rows == 0 {
		return n.emitNoItems(layers, def)
	}
	large := n.w.version.largeChunks()
	vals := n.item.chunkValues(0, n.item.rows)
	var data []byte
	data = binary.LittleEndian.AppendUint16(data, uint16(len(n.entries)))
	data = binary.LittleEndian.AppendUint16(data, uint16(2*len(n.rep)))
	if def != nil {
		data = binary.LittleEndian.AppendUint16(data, uint16(2*len(def)))
	}
	if large {
		data = binary.LittleEndian.AppendUint32(data, uint32(len(vals)))
	} else {
		data = binary.LittleEndian.AppendUint16(data, uint16(len(vals)))
	}
	data = padMini(data)
	for _, r := range n.rep {
		data = binary.LittleEndian.AppendUint16(data, r)
	}
	data = padMini(data)
	if def != nil {
		for _, d := range def {
			data = binary.LittleEndian.AppendUint16(data, d)
		}
		data = padMini(data)
	}
	data = append(data, vals...)
	data = padMini(data)
	word := (uint64(len(data))/miniAlign - 1) << 4
	var meta []byte
	if large {
		meta = binary.LittleEndian.AppendUint32(meta, uint32(word))
	} else {
		meta = binary.LittleEndian.AppendUint16(meta, uint16(word))
	}
	repIndex := binary.LittleEndian.AppendUint64(nil, uint64(n.rows))
	repIndex = binary.LittleEndian.AppendUint64(repIndex, 0)
	mb := &enc21.MiniBlockLayout{
		RepCompression:       flat21(16),
		ValueCompression:     n.item.valueCompression(),
		Layers:               layers,
		NumBuffers:           1,
		RepetitionIndexDepth: 1,
		NumItems:             uint64(n.item.rows),
		HasLargeChunk:        large,
	}
	if def != nil {
		mb.DefCompression = flat21(16)
	}
	layout := &enc21.PageLayout{Layout: &enc21.PageLayout_MiniBlockLayout{MiniBlockLayout: mb}}
	return n.w.writeLayoutPage(n.item.col, uint64(n.rows), n.firstRow, [][]byte{meta, data, repIndex}, layout)
}

// emitNoItems writes a page of only null and empty lists as a constant
// page whose buffers are the raw u16 repetition and definition levels.
func (n *listNode) emitNoItems(layers []enc21.RepDefLayer, def []uint16) error {
	rep := make([]byte, 0, 2*len(n.rep))
	for _, r := range n.rep {
		rep = binary.LittleEndian.AppendUint16(rep, r)
	}
	defBuf := make([]byte, 0, 2*len(def))
	for _, d := range def {
		defBuf = binary.LittleEndian.AppendUint16(defBuf, d)
	}
	layout := &enc21.PageLayout{Layout: &enc21.PageLayout_ConstantLayout{ConstantLayout: &enc21.ConstantLayout{
		Layers:       layers,
		NumRepValues: uint64(len(n.rep)),
		NumDefValues: uint64(len(def)),
	}}}
	return n.w.writeLayoutPage(n.item.col, uint64(n.rows), n.firstRow, [][]byte{rep, defBuf}, layout)
}

func (n *listNode) reset() {
	n.firstRow += uint64(n.rows)
	n.rows = 0
	n.values = 0
	n.entries = n.entries[:0]
	n.rep = n.rep[:0]
	n.bytes = 0
	n.item.reset()
}

package filewriter

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"

	"github.com/resona-go/resona/lance/internal/lanceerr"
)

// In 2.1+ files only leaf fields have columns. A struct is no column of its
// own: its validity travels down to every leaf below it as definition
// levels. Each leaf records, per row, the depth of the outermost null node
// on its path (or -1 when the row's value is valid); the page encoder turns
// that into layers and definition levels.

// structuralNode receives the rows of one field together with the null
// depths its ancestors impose (nil when no ancestor row is null).
type structuralNode interface {
	appendRows(d arrow.ArrayData, parentNull []int8) (bool, error)
	flushPages() (bool, error)
}

// structuralEncoder adapts a top-level structural node to fieldEncoder.
type structuralEncoder struct{ node structuralNode }

func (e structuralEncoder) append(d arrow.ArrayData) (bool, error) { return e.node.appendRows(d, nil) }
func (e structuralEncoder) flush() (bool, error)                   { return e.node.flushPages() }
func (e structuralEncoder) finish() error                          { return nil }

// newStructuralEncoder builds the 2.1+ encoder of a top-level field, taking
// leaf column indices from *col and walking the Lance fields with *fi.
func (w *Writer) newStructuralEncoder(f arrow.Field, col, fi *int) (fieldEncoder, error) {
	n, err := w.newStructuralNode(f, 0, col, fi)
	if err != nil {
		return nil, err
	}
	return structuralEncoder{node: n}, nil
}

func (w *Writer) newStructuralNode(f arrow.Field, depth int, col, fi *int) (structuralNode, error) {
	if depth > 100 {
		return nil, fmt.Errorf("%w: field %q nests too deeply", lanceerr.ErrUnsupported, f.Name)
	}
	id := w.fields[*fi].GetId()
	*fi++
	switch t := f.Type.(type) {
	case *arrow.StructType:
		if t.NumFields() == 0 {
			return nil, fmt.Errorf("%w: field %q: struct without fields in a %s file", lanceerr.ErrUnsupported, f.Name, w.version)
		}
		s := &structNode{depth: depth}
		for _, c := range t.Fields() {
			cn, err := w.newStructuralNode(c, depth+1, col, fi)
			if err != nil {
				return nil, err
			}
			s.children = append(s.children, cn)
		}
		return s, nil
	case *arrow.ListType, *arrow.LargeListType:
		ln, err := newListNode(w, f, depth)
		if err != nil {
			return nil, err
		}
		// The list is no column; its item is the leaf.
		ln.item.col = *col
		*col++
		w.leafIDs = append(w.leafIDs, w.fields[*fi].GetId())
		*fi++
		return ln, nil
	case *arrow.MapType:
		return nil, fmt.Errorf("%w: field %q: %s in a %s file", lanceerr.ErrUnsupported, f.Name, t, w.version)
	}
	l, err := newLeaf(w, f, depth)
	if err != nil {
		return nil, err
	}
	l.col = *col
	*col++
	w.leafIDs = append(w.leafIDs, id)
	return l, nil
}

// structNode passes its validity down to its children.
type structNode struct {
	depth    int
	children []structuralNode
}

func (s *structNode) appendRows(d arrow.ArrayData, parentNull []int8) (bool, error) {
	n := d.Len()
	if n == 0 {
		return false, nil
	}
	nulls := parentNull
	if nb := d.Buffers()[0]; nb != nil && nullCount(d) > 0 {
		nulls = make([]int8, n)
		bits := nb.Bytes()
		for i := range nulls {
			switch {
			case parentNull != nil && parentNull[i] >= 0:
				nulls[i] = parentNull[i]
			case !bitutil.BitIsSet(bits, d.Offset()+i):
				nulls[i] = int8(s.depth)
			default:
				nulls[i] = -1
			}
		}
	}
	wrote := false
	for i, c := range s.children {
		sub := array.NewSliceData(d.Children()[i], int64(d.Offset()), int64(d.Offset()+n))
		ok, err := c.appendRows(sub, nulls)
		sub.Release()
		if err != nil {
			return true, err
		}
		wrote = wrote || ok
	}
	return wrote, nil
}

func (s *structNode) flushPages() (bool, error) {
	wrote := false
	for _, c := range s.children {
		ok, err := c.flushPages()
		if err != nil {
			return true, err
		}
		wrote = wrote || ok
	}
	return wrote, nil
}

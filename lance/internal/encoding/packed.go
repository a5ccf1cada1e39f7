package encoding

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb/enc20"
)

// fixedWidth is the bytes per value of a layout stored packed: a
// fixed-width value or a fixed_size_list of them.
func fixedWidth(l *layout) (uint64, bool) {
	switch l.kind {
	case kindFixed:
		return l.width, true
	case kindFSL:
		w, ok := fixedWidth(l.item)
		if !ok {
			return 0, false
		}
		if l.dim != 0 && w > (1<<32)/l.dim {
			return 0, false
		}
		return w * l.dim, true
	}
	return 0, false
}

// packedStruct decodes a struct stored in one column of PackedStruct pages:
// each row holds every child's value back to back, and nothing is null
// (the 2.0 writer cannot pack nulls).
func (s *state) packedStruct(t *arrow.StructType, col int, ranges []RowRange) (arrow.ArrayData, error) {
	layouts := make([]*layout, t.NumFields())
	widths := make([]uint64, t.NumFields())
	row := uint64(0)
	for i, f := range t.Fields() {
		l, err := leafLayout(f.Type)
		if err != nil {
			return nil, err
		}
		w, ok := fixedWidth(l)
		if !ok {
			return nil, fmt.Errorf("%w: packed struct child %q of type %s", lanceerr.ErrUnsupported, f.Name, f.Type)
		}
		layouts[i], widths[i] = l, w
		row += w
	}
	c, err := s.column(col)
	if err != nil {
		return nil, err
	}
	pcs, err := s.pieces(c, ranges)
	if err != nil {
		return nil, err
	}
	n := rowsIn(ranges)
	total, err := mul(n, row)
	if err != nil {
		return nil, err
	}
	if err := s.b.take(total); err != nil {
		return nil, err
	}
	cols := make([][]byte, len(widths))
	for i, w := range widths {
		cols[i] = make([]byte, 0, n*w)
	}
	err = s.eachPage(c, pcs, func(pd *pageData, e *enc20.ArrayEncoding, pcs []piece) error {
		ps := e.GetPackedStruct()
		if ps == nil {
			return pd.corrupt("a packed struct page is %T", e.GetArrayEncoding())
		}
		for _, p := range pcs {
			off, err := mul(p.start, row)
			if err != nil {
				return err
			}
			raw, err := pd.read(ps.GetBuffer(), off, (p.end-p.start)*row)
			if err != nil {
				return err
			}
			for r := uint64(0); r < p.end-p.start; r++ {
				pos := r * row
				for i, w := range widths {
					cols[i] = append(cols[i], raw[pos:pos+w]...)
					pos += w
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	kids := make([]arrow.ArrayData, 0, len(cols))
	defer func() {
		for _, k := range kids {
			k.Release()
		}
	}()
	for i, f := range t.Fields() {
		d, err := toData(f.Type, layouts[i], packedChunk(layouts[i], n, cols[i]))
		if err != nil {
			return nil, err
		}
		kids = append(kids, d)
	}
	return array.NewData(t, int(n), []*memory.Buffer{nil}, kids, 0, 0), nil
}

// packedChunk wraps n all-valid values of a fixed-width layout.
func packedChunk(l *layout, n uint64, values []byte) *chunk {
	if l.kind == kindFSL {
		return &chunk{n: n, child: packedChunk(l.item, n*l.dim, values)}
	}
	return &chunk{n: n, values: values}
}

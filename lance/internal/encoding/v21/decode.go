package v21

import (
	"context"
	"fmt"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/protobuf/proto"

	"github.com/resona-go/resona/lance/internal/encoding/page"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	pb "github.com/resona-go/resona/lance/internal/pb/enc21"
)

// PageLayoutTypeURL is the Any type URL of 2.1+ page encodings.
const PageLayoutTypeURL = "/lance.encodings21.PageLayout"

// LeafColumns returns how many file columns the field occupies in 2.1+:
// one per leaf. Structs and lists are not columns of their own; their
// structure lives in the repetition and definition levels of their leaves.
func LeafColumns(field arrow.Field) int {
	return len(leafPaths(field))
}

// leafPaths lists, for each leaf under field, the fields from field down to
// that leaf.
func leafPaths(field arrow.Field) [][]arrow.Field {
	var out [][]arrow.Field
	var walk func(prefix []arrow.Field, f arrow.Field)
	walk = func(prefix []arrow.Field, f arrow.Field) {
		path := append(prefix[:len(prefix):len(prefix)], f)
		switch t := f.Type.(type) {
		case *arrow.StructType:
			if t.NumFields() == 0 {
				out = append(out, path)
				return
			}
			for _, c := range t.Fields() {
				walk(path, c)
			}
		case *arrow.MapType:
			walk(path, t.ElemField())
		case *arrow.ListType:
			walk(path, t.ElemField())
		case *arrow.LargeListType:
			walk(path, t.ElemField())
		default:
			out = append(out, path)
		}
	}
	walk(nil, field)
	return out
}

type rowRange struct{ start, end uint64 }

// DecodeRange decodes rows [start, end) of one top-level field from its leaf
// columns. In 2.1+ only leaf fields have columns; lists, structs and
// nullability are carried by repetition/definition levels. cols are the
// field's consecutive leaf columns (LeafColumns(field) of them).
func DecodeRange(ctx context.Context, src page.Source, field arrow.Field, cols []page.Column, start, end uint64) (arrow.Array, error) {
	if end < start {
		return nil, fmt.Errorf("%w: %s: rows [%d,%d)", lanceerr.ErrInvalidArgument, src.Path(), start, end)
	}
	var ranges []rowRange
	if end > start {
		ranges = []rowRange{{start, end}}
	}
	return decodeRanges(ctx, src, field, cols, ranges)
}

// Take decodes the given rows (sorted ascending, repeats allowed) of the
// field, in order.
func Take(ctx context.Context, src page.Source, field arrow.Field, cols []page.Column, rows []uint64) (arrow.Array, error) {
	var ranges []rowRange
	for i, r := range rows {
		if i > 0 && r < rows[i-1] {
			return nil, fmt.Errorf("%w: %s: take rows not sorted", lanceerr.ErrInvalidArgument, src.Path())
		}
		if n := len(ranges); n > 0 && ranges[n-1].end == r {
			ranges[n-1].end++
			continue
		}
		ranges = append(ranges, rowRange{r, r + 1})
	}
	return decodeRanges(ctx, src, field, cols, ranges)
}

func decodeRanges(ctx context.Context, src page.Source, field arrow.Field, cols []page.Column, ranges []rowRange) (arrow.Array, error) {
	if hasMap(field.Type) {
		return nil, fmt.Errorf("%w: %s: field %q: map columns", lanceerr.ErrUnsupported, src.Path(), field.Name)
	}
	paths := leafPaths(field)
	if len(cols) != len(paths) {
		return nil, fmt.Errorf("%w: %s: field %q has %d leaves, got %d columns", lanceerr.ErrInvalidArgument, src.Path(), field.Name, len(paths), len(cols))
	}
	parts := make([]arrow.ArrayData, len(paths))
	defer func() {
		for _, p := range parts {
			if p != nil {
				p.Release()
			}
		}
	}()
	for i, path := range paths {
		a, err := decodeLeaf(ctx, src, path, cols[i], ranges)
		if err != nil {
			return nil, fmt.Errorf("%s: column %d (%s): %w", src.Path(), cols[i].Index, pathName(path), err)
		}
		if len(paths) > 1 && a.Data().Offset() != 0 {
			// Merging needs every leaf to start at offset 0.
			c, err := array.Concatenate([]arrow.Array{a}, memory.DefaultAllocator)
			a.Release()
			if err != nil {
				return nil, err
			}
			a = c
		}
		parts[i] = a.Data()
		parts[i].Retain()
		a.Release()
	}
	merged, err := mergeField(field.Type, parts)
	if err != nil {
		return nil, fmt.Errorf("%s: field %q: %w", src.Path(), field.Name, err)
	}
	defer merged.Release()
	return array.MakeFromData(merged), nil
}

func hasMap(t arrow.DataType) bool {
	switch tt := t.(type) {
	case *arrow.MapType:
		return true
	case *arrow.StructType:
		for _, f := range tt.Fields() {
			if hasMap(f.Type) {
				return true
			}
		}
	case *arrow.ListType:
		return hasMap(tt.Elem())
	case *arrow.LargeListType:
		return hasMap(tt.Elem())
	case *arrow.FixedSizeListType:
		return hasMap(tt.Elem())
	}
	return false
}

func pathName(path []arrow.Field) string {
	s := ""
	for i, f := range path {
		if i > 0 {
			s += "."
		}
		s += f.Name
	}
	return s
}

// mergeField joins per-leaf data (each a struct/list skeleton around one
// leaf) into data of type t.
func mergeField(t arrow.DataType, parts []arrow.ArrayData) (arrow.ArrayData, error) {
	if len(parts) == 0 {
		return nil, corruptf("no columns for %s", t)
	}
	first := parts[0]
	switch tt := t.(type) {
	case *arrow.StructType:
		if tt.NumFields() == 0 {
			return array.NewData(t, first.Len(), first.Buffers()[:1], nil, first.NullN(), first.Offset()), nil
		}
		children := make([]arrow.ArrayData, 0, tt.NumFields())
		defer func() {
			for _, c := range children {
				c.Release()
			}
		}()
		at := 0
		for _, f := range tt.Fields() {
			k := LeafColumns(f)
			if at+k > len(parts) {
				return nil, corruptf("struct %s: too few columns", t)
			}
			sub := make([]arrow.ArrayData, k)
			for j := range sub {
				p := parts[at+j]
				if len(p.Children()) != 1 || p.Len() != first.Len() {
					return nil, corruptf("struct %s: leaves disagree on structure", t)
				}
				sub[j] = p.Children()[0]
			}
			c, err := mergeField(f.Type, sub)
			if err != nil {
				return nil, err
			}
			children = append(children, c)
			if c.Len() < first.Offset()+first.Len() {
				return nil, corruptf("struct %s: child %q has %d rows, struct %d", t, f.Name, c.Len(), first.Len())
			}
			at += k
		}
		return array.NewData(t, first.Len(), first.Buffers()[:1], children, first.NullN(), first.Offset()), nil
	case *arrow.ListType, *arrow.LargeListType, *arrow.MapType:
		sub := make([]arrow.ArrayData, len(parts))
		for j, p := range parts {
			if len(p.Children()) != 1 || p.Len() != first.Len() {
				return nil, corruptf("list %s: leaves disagree on structure", t)
			}
			sub[j] = p.Children()[0]
			if sub[j].Len() != sub[0].Len() {
				return nil, corruptf("list %s: leaves disagree on item count", t)
			}
		}
		var elem arrow.DataType
		switch lt := tt.(type) {
		case *arrow.ListType:
			elem = lt.Elem()
		case *arrow.LargeListType:
			elem = lt.Elem()
		case *arrow.MapType:
			elem = lt.Elem()
		}
		c, err := mergeField(elem, sub)
		if err != nil {
			return nil, err
		}
		defer c.Release()
		return array.NewData(t, first.Len(), first.Buffers()[:2], []arrow.ArrayData{c}, first.NullN(), first.Offset()), nil
	}
	if len(parts) != 1 {
		return nil, corruptf("%d columns for leaf type %s", len(parts), t)
	}
	first.Retain()
	return first, nil
}

// pageSpan is a page's row range inside the column.
type pageSpan struct {
	idx        int
	start, end uint64
}

func pageSpans(col page.Column) []pageSpan {
	spans := make([]pageSpan, len(col.Pages))
	var at uint64
	for i, p := range col.Pages {
		spans[i] = pageSpan{idx: i, start: at, end: at + p.NumRows}
		at += p.NumRows
	}
	return spans
}

// decodeLeaf decodes the requested rows of one leaf column as Arrow data of
// the path's skeleton type.
func decodeLeaf(ctx context.Context, src page.Source, path []arrow.Field, col page.Column, ranges []rowRange) (arrow.Array, error) {
	spans := pageSpans(col)
	var total uint64
	if len(spans) > 0 {
		total = spans[len(spans)-1].end
	}
	isList := make([]bool, len(path))
	for k, f := range path {
		switch f.Type.(type) {
		case *arrow.ListType, *arrow.LargeListType, *arrow.MapType:
			isList[k] = true
		}
	}
	cache := map[int]arrow.Array{}
	layouts := layoutCache{}
	defer func() {
		for _, a := range cache {
			a.Release()
		}
	}()
	var pieces []arrow.Array
	defer func() {
		for _, p := range pieces {
			p.Release()
		}
	}()
	// Rows requested per page decide between decoding a page whole (and
	// reusing it) and decoding just the requested rows.
	wanted := make([]uint64, len(spans))
	for _, r := range ranges {
		i := sort.Search(len(spans), func(i int) bool { return spans[i].end > r.start })
		for ; i < len(spans) && spans[i].start < r.end; i++ {
			wanted[i] += min(r.end, spans[i].end) - max(r.start, spans[i].start)
		}
	}
	pi := 0
	for _, r := range ranges {
		if r.end > total {
			return nil, fmt.Errorf("%w: rows [%d,%d) beyond %d", lanceerr.ErrInvalidArgument, r.start, r.end, total)
		}
		for at := r.start; at < r.end; {
			for pi > 0 && spans[pi].start > at {
				pi--
			}
			for spans[pi].end <= at {
				pi++
			}
			sp := spans[pi]
			stop := min(r.end, sp.end)
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			pg := &col.Pages[sp.idx]
			var piece arrow.Array
			if a, ok := cache[sp.idx]; ok {
				piece = array.NewSlice(a, int64(at-sp.start), int64(stop-sp.start))
			} else if l, err := layouts.get(sp.idx, pg); err != nil {
				return nil, fmt.Errorf("page %d: %w", sp.idx, err)
			} else if direct, ok, err := directPage(ctx, src, path, isList, pg, l, at-sp.start, stop-sp.start, wanted[sp.idx]*8 <= pg.NumRows); err != nil {
				return nil, fmt.Errorf("page %d: %w", sp.idx, err)
			} else if ok {
				piece = direct
			} else {
				a, err := decodePageLayout(ctx, src, path, isList, pg, l)
				if err != nil {
					return nil, fmt.Errorf("page %d: %w", sp.idx, err)
				}
				cache[sp.idx] = a
				piece = array.NewSlice(a, int64(at-sp.start), int64(stop-sp.start))
			}
			pieces = append(pieces, piece)
			at = stop
		}
	}
	switch len(pieces) {
	case 0:
		t := skeletonType(path, 0)
		return array.MakeArrayOfNull(memory.DefaultAllocator, t, 0), nil
	case 1:
		p := pieces[0]
		pieces = nil
		return p, nil
	}
	return array.Concatenate(pieces, memory.DefaultAllocator)
}

func skeletonType(path []arrow.Field, k int) arrow.DataType {
	if k == len(path)-1 {
		return path[k].Type
	}
	child := path[k+1]
	child.Type = skeletonType(path, k+1)
	switch t := path[k].Type.(type) {
	case *arrow.StructType:
		return arrow.StructOf(child)
	case *arrow.LargeListType:
		return arrow.LargeListOfField(child)
	case *arrow.MapType:
		return t
	}
	return arrow.ListOfField(child)
}

func parseLayout(pg *page.Page) (*pb.PageLayout, error) {
	if pg.Encoding == nil {
		return nil, corruptf("page without encoding")
	}
	if u := pg.Encoding.GetTypeUrl(); u != PageLayoutTypeURL && u != "type.googleapis.com/lance.encodings21.PageLayout" {
		return nil, unsupportedf("page encoding %q", u)
	}
	var l pb.PageLayout
	if err := proto.Unmarshal(pg.Encoding.GetValue(), &l); err != nil {
		return nil, corruptf("page layout: %v", err)
	}
	return &l, nil
}

// layoutCache keeps the parsed layouts of the pages one call touches.
type layoutCache map[int]*pb.PageLayout

func (c layoutCache) get(idx int, pg *page.Page) (*pb.PageLayout, error) {
	if l, ok := c[idx]; ok {
		return l, nil
	}
	l, err := parseLayout(pg)
	if err != nil {
		return nil, err
	}
	c[idx] = l
	return l, nil
}

// decodePage decodes a whole page into Arrow data of the path's skeleton.
func decodePage(ctx context.Context, src page.Source, path []arrow.Field, isList []bool, pg *page.Page) (arrow.Array, error) {
	l, err := parseLayout(pg)
	if err != nil {
		return nil, err
	}
	return decodePageLayout(ctx, src, path, isList, pg, l)
}

func decodePageLayout(ctx context.Context, src page.Source, path []arrow.Field, isList []bool, pg *page.Page, l *pb.PageLayout) (arrow.Array, error) {
	bufs, err := src.ReadRanges(ctx, pg.Buffers)
	if err != nil {
		return nil, err
	}
	if len(bufs) != len(pg.Buffers) {
		return nil, corruptf("read %d of %d page buffers", len(bufs), len(pg.Buffers))
	}
	var lp *leafPage
	switch x := l.GetLayout().(type) {
	case *pb.PageLayout_MiniBlockLayout:
		lp, err = decodeMiniBlockPage(x.MiniBlockLayout, bufs, pg.NumRows)
	case *pb.PageLayout_FullZipLayout:
		lp, err = decodeFullZipPage(x.FullZipLayout, bufs, pg.NumRows)
	case *pb.PageLayout_ConstantLayout:
		lp, err = decodeConstantPage(x.ConstantLayout, bufs, pg.NumRows)
	case nil:
		return nil, corruptf("empty page layout")
	default:
		return nil, unsupportedf("page layout %T", x)
	}
	if err != nil {
		return nil, err
	}
	nodes, err := unravel(lp, isList)
	if err != nil {
		return nil, err
	}
	d, err := pathData(path, nodes, lp.vals, 0)
	if err != nil {
		return nil, err
	}
	defer d.Release()
	return array.MakeFromData(d), nil
}

// directPage serves some rows of a page without decoding all of it, for
// layouts where rows sit at known places: full-zip fixed-width pages
// without levels and constant pages without levels.
// With few rows wanted from the page (sparse), other layouts that locate
// rows are decoded partially (partialPage).
func directPage(ctx context.Context, src page.Source, path []arrow.Field, isList []bool, pg *page.Page, l *pb.PageLayout, a, b uint64, sparse bool) (arrow.Array, bool, error) {
	if c := l.GetConstantLayout(); c != nil && len(pg.Buffers) == 0 {
		return directConstant(path, c, pg, a, b)
	}
	arr, ok, err := directFullZip(ctx, src, path, l, pg, a, b)
	if err != nil || ok || !sparse {
		return arr, ok, err
	}
	return partialPage(ctx, src, path, isList, pg, l, a, b)
}

// directConstant materialises rows [a, b) of a constant page that has no
// levels and an inline (or no) scalar.
func directConstant(path []arrow.Field, c *pb.ConstantLayout, pg *page.Page, a, b uint64) (arrow.Array, bool, error) {
	n := b - a
	if n > maxItems {
		return nil, false, corruptf("constant page read of %d rows", n)
	}
	if c.InlineValue == nil {
		t := skeletonType(path, 0)
		return array.MakeArrayOfNull(memory.DefaultAllocator, t, int(n)), true, nil
	}
	if len(path) != 1 {
		return nil, false, nil
	}
	vals, err := constantBlock(c.GetInlineValue(), int(n))
	if err != nil {
		return nil, false, err
	}
	d, err := leafData(path[0].Type, vals, int(n), nil, 0)
	if err != nil {
		return nil, false, err
	}
	defer d.Release()
	return array.MakeFromData(d), true, nil
}

// directFullZip serves rows [a, b) of a full-zip page of fixed-width values
// without levels (the vector case) by reading only those rows' bytes. The
// result aliases the bytes the source returns.
func directFullZip(ctx context.Context, src page.Source, path []arrow.Field, l *pb.PageLayout, pg *page.Page, a, b uint64) (arrow.Array, bool, error) {
	if len(path) != 1 || len(pg.Buffers) == 0 {
		return nil, false, nil
	}
	fz := l.GetFullZipLayout()
	if fz == nil || fz.GetBitsRep() != 0 || fz.GetBitsDef() != 0 || fz.GetBitsPerValue() == 0 || fz.GetBitsPerValue()%8 != 0 {
		return nil, false, nil
	}
	if fsl := fz.GetValueCompression().GetFixedSizeList(); fsl != nil && fsl.GetHasValidity() {
		return nil, false, nil
	}
	size := uint64(fz.GetBitsPerValue() / 8)
	if uint64(fz.GetNumItems()) != pg.NumRows || pg.NumRows*size > pg.Buffers[0].Size {
		return nil, false, corruptf("full-zip page of %d rows x %d bytes in %d", pg.NumRows, size, pg.Buffers[0].Size)
	}
	rng := page.Range{Offset: pg.Buffers[0].Offset + a*size, Size: (b - a) * size}
	bufs, err := src.ReadRanges(ctx, []page.Range{rng})
	if err != nil {
		return nil, false, err
	}
	if len(bufs) != 1 || uint64(len(bufs[0])) != rng.Size {
		return nil, false, corruptf("short read of full-zip rows")
	}
	vals, err := decodeFixedPerValue(fz.GetValueCompression(), bufs[0], int(size))
	if err != nil {
		return nil, false, err
	}
	d, err := leafData(path[0].Type, vals, int(b-a), nil, 0)
	if err != nil {
		return nil, false, err
	}
	defer d.Release()
	return array.MakeFromData(d), true, nil
}

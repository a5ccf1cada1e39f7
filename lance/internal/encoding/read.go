package encoding

import (
	"context"
	"fmt"
	"math"
	"sort"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/resona-go/resona/lance/internal/encoding/page"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb/enc20"
)

// DefaultMaxBytes is the default bound on the bytes one Read may allocate.
const DefaultMaxBytes = 1 << 36

// RowRange is the half-open row range [Start, End).
type RowRange struct {
	Start, End uint64
}

// FieldReader decodes fields of a format 2.0 file.
//
// In 2.0 every field of the schema gets physical columns in pre-order:
//   - a primitive, string/binary or fixed_size_list field has one column;
//   - a struct has a header column (one SimpleStruct page per file, no
//     validity: 2.0 does not store struct nulls) followed by the columns of
//     its children in order;
//   - a list or large_list has an offsets column (List pages) followed by
//     the column(s) of its item field, whose rows are the list items.
//
// A struct whose field metadata asks for packing ("packed": "true", or
// "lance-encoding:packed") is stored in one column instead: PackedStruct
// pages whose rows are the children's fixed-width values back to back
// (LanceDB 0.13 records only the struct's field id in the DataFile then).
type FieldReader struct {
	Source  page.Source
	Columns []page.Column
	// MaxBytes bounds what one Read may allocate; 0 means DefaultMaxBytes.
	MaxBytes int64
	// Encodings, when set, memoizes the decoded page encodings of Columns
	// across reads (nil: every read decodes the encodings of its pages).
	Encodings *EncodingCache
}

// ColumnsUsed is the number of physical 2.0 columns a field occupies.
func ColumnsUsed(f arrow.Field) int {
	switch t := f.Type.(type) {
	case *arrow.StructType:
		if packed(f) {
			return 1
		}
		n := 1
		for _, c := range t.Fields() {
			n += ColumnsUsed(c)
		}
		return n
	case *arrow.ListType:
		return 1 + ColumnsUsed(t.ElemField())
	case *arrow.LargeListType:
		return 1 + ColumnsUsed(t.ElemField())
	default:
		return 1
	}
}

func packed(f arrow.Field) bool {
	for _, k := range []string{"packed", "lance-encoding:packed"} {
		if i := f.Metadata.FindKey(k); i >= 0 {
			return k == "lance-encoding:packed" || f.Metadata.Values()[i] == "true"
		}
	}
	return false
}

// Read decodes the rows of ranges (ascending, possibly touching) of field,
// whose columns start at firstColumn, into one array of type field.Type.
func (fr *FieldReader) Read(ctx context.Context, field arrow.Field, firstColumn int, ranges []RowRange) (arrow.Array, error) {
	clean := make([]RowRange, 0, len(ranges))
	for i, r := range ranges {
		if r.End < r.Start || (i > 0 && r.Start < ranges[i-1].Start) {
			return nil, fmt.Errorf("%w: row ranges must be ascending", lanceerr.ErrInvalidArgument)
		}
		if r.End > r.Start {
			clean = append(clean, r)
		}
	}
	limit := fr.MaxBytes
	if limit <= 0 {
		limit = DefaultMaxBytes
	}
	st := &state{ctx: ctx, fr: fr, b: &budget{left: limit}}
	d, err := st.field(field, firstColumn, clean)
	if err != nil {
		return nil, err
	}
	defer d.Release()
	return array.MakeFromData(d), nil
}

type state struct {
	ctx context.Context
	fr  *FieldReader
	b   *budget
}

func (s *state) column(i int) (*page.Column, error) {
	if i < 0 || i >= len(s.fr.Columns) {
		return nil, fmt.Errorf("%w: %s: column %d of %d", lanceerr.ErrCorrupt, s.fr.Source.Path(), i, len(s.fr.Columns))
	}
	return &s.fr.Columns[i], nil
}

func rowsIn(ranges []RowRange) uint64 {
	n := uint64(0)
	for _, r := range ranges {
		n += r.End - r.Start
	}
	return n
}

func (s *state) field(f arrow.Field, col int, ranges []RowRange) (arrow.ArrayData, error) {
	switch t := f.Type.(type) {
	case *arrow.StructType:
		if packed(f) {
			return s.packedStruct(t, col, ranges)
		}
		return s.structField(t, col, ranges)
	case *arrow.ListType:
		return s.listField(t, t.ElemField(), col, ranges)
	case *arrow.LargeListType:
		return s.listField(t, t.ElemField(), col, ranges)
	default:
		return s.leaf(f.Type, col, ranges)
	}
}

func (s *state) structField(t *arrow.StructType, col int, ranges []RowRange) (arrow.ArrayData, error) {
	c, err := s.column(col)
	if err != nil {
		return nil, err
	}
	// The header column only records the row count.
	total := uint64(0)
	for i := range c.Pages {
		e, err := s.fr.Encodings.get(c.Pages[i].Encoding)
		if err != nil {
			return nil, fmt.Errorf("%s: column %d: %w", s.fr.Source.Path(), col, err)
		}
		if e.GetStruct() == nil {
			return nil, fmt.Errorf("%w: %s: column %d: struct header page is not SimpleStruct", lanceerr.ErrCorrupt, s.fr.Source.Path(), col)
		}
		total += c.Pages[i].NumRows
	}
	if len(ranges) > 0 && ranges[len(ranges)-1].End > total {
		return nil, fmt.Errorf("%w: %s: struct column %d has %d rows, row %d requested", lanceerr.ErrCorrupt, s.fr.Source.Path(), col, total, ranges[len(ranges)-1].End-1)
	}
	n := rowsIn(ranges)
	kids := make([]arrow.ArrayData, 0, t.NumFields())
	defer func() {
		for _, k := range kids {
			k.Release()
		}
	}()
	next := col + 1
	for _, cf := range t.Fields() {
		d, err := s.field(cf, next, ranges)
		if err != nil {
			return nil, err
		}
		kids = append(kids, d)
		if uint64(d.Len()) != n {
			return nil, fmt.Errorf("%w: %s: struct child %q has %d rows, want %d", lanceerr.ErrCorrupt, s.fr.Source.Path(), cf.Name, d.Len(), n)
		}
		next += ColumnsUsed(cf)
	}
	return array.NewData(t, int(n), []*memory.Buffer{nil}, kids, 0, 0), nil
}

// prefetchBytesPerPiece is the page size per requested piece up to which
// a page is read whole rather than piece by piece.
const prefetchBytesPerPiece = 16 << 10

// pieces splits row ranges at page boundaries; each piece is page-local.
type piece struct {
	page       int
	start, end uint64 // rows within the page
}

func (s *state) pieces(c *page.Column, ranges []RowRange) ([]piece, error) {
	starts := make([]uint64, len(c.Pages)+1)
	for i := range c.Pages {
		if starts[i]+c.Pages[i].NumRows < starts[i] {
			return nil, fmt.Errorf("%w: %s: column %d row count overflows", lanceerr.ErrCorrupt, s.fr.Source.Path(), c.Index)
		}
		starts[i+1] = starts[i] + c.Pages[i].NumRows
	}
	total := starts[len(c.Pages)]
	var out []piece
	for _, r := range ranges {
		if r.End > total {
			return nil, fmt.Errorf("%w: %s: column %d has %d rows, row %d requested", lanceerr.ErrCorrupt, s.fr.Source.Path(), c.Index, total, r.End-1)
		}
		// First page whose end is beyond r.Start.
		p := sort.Search(len(c.Pages), func(i int) bool { return starts[i+1] > r.Start })
		for pos := r.Start; pos < r.End; p++ {
			end := min(r.End, starts[p+1])
			if end > pos {
				out = append(out, piece{page: p, start: pos - starts[p], end: end - starts[p]})
			}
			pos = end
		}
	}
	return out, nil
}

// eachPage calls fn for every page touched by pcs with that page's pieces,
// the page's buffers being fetched whole when much of it is needed.
func (s *state) eachPage(c *page.Column, pcs []piece, fn func(pd *pageData, e *enc20.ArrayEncoding, pcs []piece) error) error {
	for len(pcs) > 0 {
		k := 1
		for k < len(pcs) && pcs[k].page == pcs[0].page {
			k++
		}
		pg := &c.Pages[pcs[0].page]
		e, err := s.fr.Encodings.get(pg.Encoding)
		if err != nil {
			return fmt.Errorf("%s: column %d: %w", s.fr.Source.Path(), c.Index, err)
		}
		pd := newPageData(s.ctx, s.fr.Source, c, pg, s.b)
		covered, size := uint64(0), uint64(0)
		for _, p := range pcs[:k] {
			covered += p.end - p.start
		}
		for _, r := range pg.Buffers {
			size += r.Size
		}
		// A single piece reads exactly its bytes (a batched scan must not
		// read a page once per batch). Several pieces are served by one read
		// of the whole page when they cover half of it or are many for the
		// page's size.
		if k > 1 && (2*covered >= pg.NumRows || uint64(k)*prefetchBytesPerPiece >= size) {
			if err := pd.prefetch(); err != nil {
				return err
			}
		}
		if err := fn(pd, e, pcs[:k]); err != nil {
			return err
		}
		pcs = pcs[k:]
	}
	return nil
}

func (s *state) leaf(t arrow.DataType, col int, ranges []RowRange) (arrow.ArrayData, error) {
	l, err := leafLayout(t)
	if err != nil {
		return nil, err
	}
	c, err := s.column(col)
	if err != nil {
		return nil, err
	}
	pcs, err := s.pieces(c, ranges)
	if err != nil {
		return nil, err
	}
	var chunks []*chunk
	err = s.eachPage(c, pcs, func(pd *pageData, e *enc20.ArrayEncoding, pcs []piece) error {
		for _, p := range pcs {
			ch, err := pd.decode(e, l, p.start, p.end-p.start, 0)
			if err != nil {
				return err
			}
			chunks = append(chunks, ch)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(chunks) == 0 {
		chunks = []*chunk{emptyChunk(l)}
	}
	all, err := concat(l, chunks, s.b)
	if err != nil {
		return nil, err
	}
	return toData(t, l, all)
}

func emptyChunk(l *layout) *chunk {
	c := &chunk{values: []byte{}}
	switch l.kind {
	case kindBinary:
		c.offsets = []uint64{0}
	case kindFSL:
		c.child = emptyChunk(l.item)
	}
	return c
}

// listField decodes list rows: the list column holds u64 end offsets
// relative to the page's first item (no leading 0; a null list stores its
// end plus null_offset_adjustment) and the page's item count, so a page's
// items start after the items of all earlier pages.
func (s *state) listField(t arrow.DataType, item arrow.Field, col int, ranges []RowRange) (arrow.ArrayData, error) {
	c, err := s.column(col)
	if err != nil {
		return nil, err
	}
	pcs, err := s.pieces(c, ranges)
	if err != nil {
		return nil, err
	}
	// Item bases of the pages up to the last one needed.
	lastPage := -1
	if len(pcs) > 0 {
		lastPage = pcs[len(pcs)-1].page
	}
	bases := make([]uint64, lastPage+1)
	for i := 0; i < lastPage; i++ {
		e, err := s.fr.Encodings.get(c.Pages[i].Encoding)
		if err != nil {
			return nil, fmt.Errorf("%s: column %d: %w", s.fr.Source.Path(), col, err)
		}
		if e.GetList() == nil {
			return nil, fmt.Errorf("%w: %s: column %d: list page %d is not a List encoding", lanceerr.ErrCorrupt, s.fr.Source.Path(), col, i)
		}
		bases[i+1] = bases[i] + e.GetList().GetNumItems()
		if bases[i+1] < bases[i] {
			return nil, fmt.Errorf("%w: %s: column %d: item counts overflow", lanceerr.ErrCorrupt, s.fr.Source.Path(), col)
		}
	}

	n := rowsIn(ranges)
	if err := s.b.takeN(n, 9); err != nil {
		return nil, err
	}
	offsets := make([]uint64, 1, n+1)
	var validity []byte
	var items []RowRange
	row := 0
	err = s.eachPage(c, pcs, func(pd *pageData, e *enc20.ArrayEncoding, pcs []piece) error {
		le := e.GetList()
		if le == nil {
			return pd.corrupt("list page is not a List encoding")
		}
		adj := le.GetNullOffsetAdjustment()
		if adj == 0 {
			return pd.corrupt("list page with a zero null_offset_adjustment")
		}
		base := bases[pcs[0].page]
		for _, p := range pcs {
			first, count := p.start, p.end-p.start
			if p.start > 0 {
				first, count = p.start-1, count+1
			}
			ends, err := pd.u64s(le.GetOffsets(), first, count, 0)
			if err != nil {
				return err
			}
			begin := uint64(0)
			if p.start > 0 {
				begin = ends[0] % adj
				ends = ends[1:]
			}
			prev := begin
			for _, v := range ends {
				end := v % adj
				if end < prev || end > le.GetNumItems() {
					return pd.corrupt("list offset %d after %d (page has %d items)", end, prev, le.GetNumItems())
				}
				if v >= adj {
					if validity == nil {
						validity = make([]byte, bitutil.BytesForBits(int64(n)))
						bitutil.SetBitsTo(validity, 0, int64(n), true)
					}
					bitutil.ClearBit(validity, row)
				}
				offsets = append(offsets, offsets[len(offsets)-1]+end-prev)
				prev = end
				row++
			}
			if prev > begin {
				r := RowRange{Start: base + begin, End: base + prev}
				if k := len(items) - 1; k >= 0 && items[k].End == r.Start {
					items[k].End = r.End
				} else {
					items = append(items, r)
				}
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	child, err := s.field(item, col+1, items)
	if err != nil {
		return nil, err
	}
	defer child.Release()
	if uint64(child.Len()) != offsets[len(offsets)-1] {
		return nil, fmt.Errorf("%w: %s: list column %d: %d items decoded, offsets say %d", lanceerr.ErrCorrupt, s.fr.Source.Path(), col, child.Len(), offsets[len(offsets)-1])
	}
	var offBuf []byte
	if t.ID() == arrow.LIST {
		if offsets[len(offsets)-1] > math.MaxInt32 {
			return nil, fmt.Errorf("%w: %d list items exceed 32-bit offsets; read fewer rows", lanceerr.ErrInvalidArgument, offsets[len(offsets)-1])
		}
		o := make([]int32, len(offsets))
		for i, v := range offsets {
			o[i] = int32(v)
		}
		offBuf = arrow.Int32Traits.CastToBytes(o)
	} else {
		o := make([]int64, len(offsets))
		for i, v := range offsets {
			o[i] = int64(v)
		}
		offBuf = arrow.Int64Traits.CastToBytes(o)
	}
	nulls := 0
	if validity != nil {
		nulls = int(n) - bitutil.CountSetBits(validity, 0, int(n))
	}
	return array.NewData(t, int(n), []*memory.Buffer{buffer(validity), memory.NewBufferBytes(offBuf)}, []arrow.ArrayData{child}, nulls, 0), nil
}

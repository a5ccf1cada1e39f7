package v21

import (
	"context"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/resona-go/resona/lance/internal/encoding/page"
	pb "github.com/resona-go/resona/lance/internal/pb/enc21"
)

// partialPage decodes rows [a, b) of a page while reading only the bytes
// that hold them, for small requests (a Take of a few rows) on layouts that
// locate rows: mini-block pages without repetition (rows are values, and
// chunk metadata counts values), full-zip pages with a repetition index
// (byte offsets of every row) and full-zip fixed-width pages without
// repetition (rows have one size). It reports false when the layout does
// not allow it.
func partialPage(ctx context.Context, src page.Source, path []arrow.Field, isList []bool, pg *page.Page, l *pb.PageLayout, a, b uint64) (arrow.Array, bool, error) {
	var lp *leafPage
	var first uint64
	var err error
	switch {
	case l.GetMiniBlockLayout() != nil:
		lp, first, err = partialMiniBlock(ctx, src, pg, l.GetMiniBlockLayout(), a, b)
	case l.GetFullZipLayout() != nil:
		lp, first, err = partialFullZip(ctx, src, pg, l.GetFullZipLayout(), a, b)
	}
	if err != nil || lp == nil {
		return nil, false, err
	}
	nodes, err := unravel(lp, isList)
	if err != nil {
		return nil, false, err
	}
	d, err := pathData(path, nodes, lp.vals, 0)
	if err != nil {
		return nil, false, err
	}
	defer d.Release()
	whole := array.MakeFromData(d)
	defer whole.Release()
	return array.NewSlice(whole, int64(a-first), int64(b-first)), true, nil
}

// partialMiniBlock decodes the chunks holding rows [a, b) of a mini-block
// page without repetition. It returns the page part and its first row.
func partialMiniBlock(ctx context.Context, src page.Source, pg *page.Page, l *pb.MiniBlockLayout, a, b uint64) (*leafPage, uint64, error) {
	if l.GetRepCompression() != nil || l.GetRepetitionIndexDepth() > 0 {
		return nil, 0, nil
	}
	if err := checkMiniBlockBuffers(l, len(pg.Buffers)); err != nil {
		return nil, 0, err
	}
	if l.GetNumItems() != pg.NumRows {
		return nil, 0, corruptf("mini-block page of %d rows holds %d items without repetition", pg.NumRows, l.GetNumItems())
	}
	want := []page.Range{pg.Buffers[0]}
	if l.GetDictionary() != nil {
		want = append(want, pg.Buffers[2])
	}
	bufs, err := src.ReadRanges(ctx, want)
	if err != nil {
		return nil, 0, err
	}
	if len(bufs) != len(want) {
		return nil, 0, corruptf("short read of mini-block metadata")
	}
	chunks, err := ParseChunkMeta(bufs[0], l.GetHasLargeChunk(), l.GetNumItems(), int(min(pg.Buffers[1].Size, 1<<62)))
	if err != nil {
		return nil, 0, err
	}
	var row uint64
	lo, hi := -1, -1
	var first, rows uint64
	for i, c := range chunks {
		end := row + uint64(c.NumValues)
		if lo < 0 && end > a {
			lo, first = i, row
		}
		if lo >= 0 {
			hi = i
			rows = end - first
		}
		if end >= b {
			break
		}
		row = end
	}
	if lo < 0 || first+rows < b {
		return nil, 0, corruptf("mini-block chunks do not cover rows [%d,%d)", a, b)
	}
	start := chunks[lo].Offset
	sub := append([]ChunkMeta(nil), chunks[lo:hi+1]...)
	for i := range sub {
		sub[i].Offset -= start
	}
	size := chunks[hi].Offset + chunks[hi].Size - start
	data, err := src.ReadRanges(ctx, []page.Range{{Offset: pg.Buffers[1].Offset + uint64(start), Size: uint64(size)}})
	if err != nil {
		return nil, 0, err
	}
	if len(data) != 1 || len(data[0]) != size {
		return nil, 0, corruptf("short read of mini-block chunks")
	}
	var dict []byte
	if l.GetDictionary() != nil {
		dict = bufs[1]
	}
	lp, err := decodeChunks(l, data[0], sub, dict, rows)
	return lp, first, err
}

// partialFullZip reads rows [a, b) of a full-zip page through its
// repetition index, or by stride when fixed-width rows have one size.
func partialFullZip(ctx context.Context, src page.Source, pg *page.Page, l *pb.FullZipLayout, a, b uint64) (*leafPage, uint64, error) {
	if len(pg.Buffers) == 0 {
		return nil, 0, corruptf("full-zip page without buffers")
	}
	data := pg.Buffers[0]
	var start, end uint64
	switch {
	case len(pg.Buffers) >= 2 && pg.Buffers[1].Size > 0:
		idx := pg.Buffers[1]
		w := idx.Size / (pg.NumRows + 1)
		if w*(pg.NumRows+1) != idx.Size || (w != 1 && w != 2 && w != 4 && w != 8) {
			return nil, 0, corruptf("full-zip repetition index of %d bytes for %d rows", idx.Size, pg.NumRows)
		}
		ends, err := src.ReadRanges(ctx, []page.Range{{Offset: idx.Offset + a*w, Size: w}, {Offset: idx.Offset + b*w, Size: w}})
		if err != nil {
			return nil, 0, err
		}
		if len(ends) != 2 || uint64(len(ends[0])) != w || uint64(len(ends[1])) != w {
			return nil, 0, corruptf("short read of full-zip repetition index")
		}
		start, end = readUint(ends[0], int(w)), readUint(ends[1], int(w))
	case l.GetBitsRep() == 0 && l.GetBitsPerValue() > 0 && l.GetBitsPerValue()%8 == 0:
		stride := uint64(ControlWordSize(0, l.GetBitsDef())) + uint64(l.GetBitsPerValue()/8)
		start, end = a*stride, b*stride
	default:
		return nil, 0, nil
	}
	if start > end || end > data.Size {
		return nil, 0, corruptf("full-zip rows [%d,%d) at bytes [%d,%d) of %d", a, b, start, end, data.Size)
	}
	bufs, err := src.ReadRanges(ctx, []page.Range{{Offset: data.Offset + start, Size: end - start}})
	if err != nil {
		return nil, 0, err
	}
	if len(bufs) != 1 || uint64(len(bufs[0])) != end-start {
		return nil, 0, corruptf("short read of full-zip rows")
	}
	lp, err := decodeFullZip(l, bufs[0], -1, b-a)
	return lp, a, err
}

package v21

import (
	"github.com/resona-go/resona/lance/internal/encoding/page"
	pb "github.com/resona-go/resona/lance/internal/pb/enc21"
)

// PlainFixedSizeList reports where rows [a, b) of a 2.1+ page are stored
// as back-to-back fixed-size lists of dim itemBits-bit values: a full-zip
// page without repetition or definition levels whose values are an
// uncompressed fixed-size list without item validity. Readers of vectors
// use it to read the bytes straight into their own buffers. ok is false
// for any other layout; the rows must lie within the page.
func PlainFixedSizeList(pg *page.Page, dim, itemBits int, a, b uint64) (rng page.Range, ok bool, err error) {
	if a > b || b > pg.NumRows || dim <= 0 || itemBits <= 0 || itemBits%8 != 0 || len(pg.Buffers) == 0 {
		return page.Range{}, false, nil
	}
	l, err := parseLayout(pg)
	if err != nil {
		return page.Range{}, false, nil // not for this fast path; the decoders report it
	}
	fz := l.GetFullZipLayout()
	row := uint64(dim) * uint64(itemBits/8)
	if fz == nil || fz.GetBitsRep() != 0 || fz.GetBitsDef() != 0 || uint64(fz.GetBitsPerValue()) != row*8 {
		return page.Range{}, false, nil
	}
	c, isFSL := fz.GetValueCompression().GetCompression().(*pb.CompressiveEncoding_FixedSizeList)
	if !isFSL {
		return page.Range{}, false, nil
	}
	f := c.FixedSizeList
	flat := f.GetValues().GetFlat()
	if f.GetHasValidity() || f.GetItemsPerValue() != uint64(dim) || flat == nil || flat.GetData() != nil || flat.GetBitsPerValue() != uint64(itemBits) {
		return page.Range{}, false, nil
	}
	if uint64(fz.GetNumItems()) != pg.NumRows || pg.NumRows > pg.Buffers[0].Size/row {
		return page.Range{}, false, corruptf("full-zip page of %d rows × %d bytes in %d", pg.NumRows, row, pg.Buffers[0].Size)
	}
	return page.Range{Offset: pg.Buffers[0].Offset + a*row, Size: (b - a) * row}, true, nil
}

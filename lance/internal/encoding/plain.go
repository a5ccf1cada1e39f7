package encoding

import (
	"fmt"

	"github.com/resona-go/resona/lance/internal/encoding/page"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb/enc20"
)

// PlainFixedSizeList reports where rows [a, b) of a 2.0 page are stored as
// back-to-back fixed-size lists of dim itemBits-bit values: a FixedSizeList
// over an uncompressed Flat buffer, with no nulls at either level (Nullable
// wrappers saying NoNulls are allowed). Readers of vectors use it to read
// the bytes straight into their own buffers. ok is false for any other
// encoding; the rows must lie within the page.
func (c *EncodingCache) PlainFixedSizeList(col *page.Column, pg *page.Page, dim, itemBits int, a, b uint64) (rng page.Range, ok bool, err error) {
	if a > b || b > pg.NumRows || dim <= 0 || itemBits <= 0 || itemBits%8 != 0 {
		return page.Range{}, false, nil
	}
	e, err := c.get(pg.Encoding)
	if err != nil {
		return page.Range{}, false, nil // not for this fast path; the decoders report it
	}
	e = noNulls(e)
	fsl := e.GetFixedSizeList()
	if fsl == nil || fsl.GetDimension() != uint32(dim) {
		return page.Range{}, false, nil
	}
	flat := noNulls(fsl.GetItems()).GetFlat()
	if flat == nil || flat.GetBitsPerValue() != uint64(itemBits) {
		return page.Range{}, false, nil
	}
	if s := flat.GetCompression().GetScheme(); s != "" && s != "none" {
		return page.Range{}, false, nil
	}
	var buf page.Range
	i := int(flat.GetBuffer().GetBufferIndex())
	switch flat.GetBuffer().GetBufferType() {
	case enc20.Buffer_page:
		if i >= len(pg.Buffers) {
			return page.Range{}, false, nil
		}
		buf = pg.Buffers[i]
	case enc20.Buffer_column:
		if i >= len(col.Buffers) {
			return page.Range{}, false, nil
		}
		buf = col.Buffers[i]
	default:
		return page.Range{}, false, nil
	}
	row := uint64(dim) * uint64(itemBits/8)
	if pg.NumRows > buf.Size/row {
		return page.Range{}, false, fmt.Errorf("%w: column %d: %d rows of %d bytes in a %d-byte buffer", lanceerr.ErrCorrupt, col.Index, pg.NumRows, row, buf.Size)
	}
	return page.Range{Offset: buf.Offset + a*row, Size: (b - a) * row}, true, nil
}

// noNulls unwraps Nullable encodings that declare no nulls.
func noNulls(e *enc20.ArrayEncoding) *enc20.ArrayEncoding {
	for {
		nn := e.GetNullable().GetNoNulls()
		if nn == nil {
			return e
		}
		e = nn.GetValues()
	}
}

package file

import (
	"context"
	"fmt"
	"sort"

	"github.com/resona-go/resona/lance/internal/encoding/page"
	"github.com/resona-go/resona/lance/internal/encoding/v21"
	"github.com/resona-go/resona/lance/internal/lanceerr"
)

// PlainFixedSizeList reports where rows [start, end) of column col, a
// fixed-size list of dim itemBits-bit values, are stored back to back and
// uncompressed with no nulls, so that they can be read with ReadInto
// instead of decoded. ok is false when they are not stored that way or
// span pages.
func (rd *Reader) PlainFixedSizeList(col, dim, itemBits int, start, end uint64) (page.Range, bool, error) {
	if col < 0 || col >= len(rd.columns) || start >= end {
		return page.Range{}, false, nil
	}
	c := &rd.columns[col]
	i := sort.Search(len(c.Pages), func(i int) bool { return c.Pages[i].FirstRow+c.Pages[i].NumRows > start })
	if i == len(c.Pages) {
		return page.Range{}, false, nil
	}
	pg := &c.Pages[i]
	if pg.FirstRow > start || end > pg.FirstRow+pg.NumRows {
		return page.Range{}, false, nil
	}
	a, b := start-pg.FirstRow, end-pg.FirstRow
	var rng page.Range
	var ok bool
	var err error
	if rd.version.AtLeast(2, 1) {
		rng, ok, err = v21.PlainFixedSizeList(pg, dim, itemBits, a, b)
	} else {
		rng, ok, err = rd.encodings.PlainFixedSizeList(c, pg, dim, itemBits, a, b)
	}
	if err != nil || !ok {
		return page.Range{}, false, err
	}
	if err := rd.checkRange(rng); err != nil {
		return page.Range{}, false, err
	}
	return rng, true, nil
}

// ReadInto fills dst with the bytes of rng (len(dst) == rng.Size).
func (rd *Reader) ReadInto(ctx context.Context, rng page.Range, dst []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if uint64(len(dst)) != rng.Size {
		return fmt.Errorf("%w: %s: read of %d bytes into a %d-byte buffer", lanceerr.ErrInvalidArgument, rd.path, rng.Size, len(dst))
	}
	if err := rd.checkRange(rng); err != nil {
		return err
	}
	return rd.readFull(dst, rng.Offset)
}

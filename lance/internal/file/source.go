package file

import (
	"context"
	"fmt"
	"sort"

	"github.com/resona-go/resona/lance/internal/encoding/page"
	"github.com/resona-go/resona/lance/internal/lanceerr"
)

// coalesceGap is the largest hole between two requested ranges that
// ReadRanges reads through to save a call; local and object stores both
// serve a few extra KiB cheaper than another request.
const coalesceGap = 16 << 10

// maxCoalesced bounds a merged read so that one request never grows far
// beyond what was asked for.
const maxCoalesced = 64 << 20

var _ page.Source = (*Reader)(nil)

// ReadRanges reads each range and returns one slice per range, in request
// order. Nearby ranges are read together. Ranges beyond the file are
// ErrCorrupt.
func (rd *Reader) ReadRanges(ctx context.Context, ranges []page.Range) ([][]byte, error) {
	out := make([][]byte, len(ranges))
	order := make([]int, 0, len(ranges))
	for i, rg := range ranges {
		if err := rd.checkRange(rg); err != nil {
			return nil, err
		}
		if rg.Size == 0 {
			out[i] = []byte{}
			continue
		}
		order = append(order, i)
	}
	sort.Slice(order, func(a, b int) bool { return ranges[order[a]].Offset < ranges[order[b]].Offset })
	for len(order) > 0 {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		start := ranges[order[0]].Offset
		end := start + ranges[order[0]].Size
		n := 1
		for n < len(order) {
			rg := ranges[order[n]]
			if rg.Offset > end+coalesceGap {
				break
			}
			newEnd := max(end, rg.Offset+rg.Size)
			if newEnd-start > maxCoalesced {
				break
			}
			end = newEnd
			n++
		}
		if end-start > uint64(rd.maxBytes) {
			return nil, fmt.Errorf("%w: %s: read of %d bytes exceeds the decode limit", lanceerr.ErrInvalidArgument, rd.path, end-start)
		}
		buf := make([]byte, end-start)
		if err := rd.readFull(buf, start); err != nil {
			return nil, err
		}
		for _, i := range order[:n] {
			rg := ranges[i]
			off := rg.Offset - start
			out[i] = buf[off : off+rg.Size : off+rg.Size]
		}
		order = order[n:]
	}
	return out, nil
}

package v21

import (
	"encoding/binary"

	pb "github.com/resona-go/resona/lance/internal/pb/enc21"
)

// decodeConstantPage decodes a constant page (lance 2.2; it replaced the
// all-null layout, which it reads identically). The scalar is either
// inline_value (fixed width, at most 32 bytes) or a value buffer; with
// repetition or definition levels two more buffers follow (raw u16 levels
// unless rep/def compression says otherwise). No scalar means all null.
func decodeConstantPage(l *pb.ConstantLayout, bufs [][]byte, numRows uint64) (*leafPage, error) {
	p := &leafPage{layers: l.GetLayers(), numRows: numRows}
	inline := l.GetInlineValue()
	hasInline := l.InlineValue != nil
	var scalar []byte
	var levelBufs [][]byte
	switch {
	case hasInline && (len(bufs) == 0 || len(bufs) == 2):
		levelBufs = bufs
	case !hasInline && (len(bufs) == 1 || len(bufs) == 3):
		scalar, levelBufs = bufs[0], bufs[1:]
	case !hasInline && (len(bufs) == 0 || len(bufs) == 2):
		levelBufs = bufs
	default:
		return nil, corruptf("constant page with %d buffers (inline value: %v)", len(bufs), hasInline)
	}
	if len(levelBufs) == 2 {
		var err error
		if p.rep, err = constantLevels(l.GetRepCompression(), levelBufs[0], l.GetNumRepValues()); err != nil {
			return nil, err
		}
		if p.def, err = constantLevels(l.GetDefCompression(), levelBufs[1], l.GetNumDefValues()); err != nil {
			return nil, err
		}
		if p.rep != nil && p.def != nil && len(p.rep) != len(p.def) {
			return nil, corruptf("constant page: %d rep and %d def levels", len(p.rep), len(p.def))
		}
	}
	if !hasInline && scalar == nil && p.def == nil && p.rep == nil {
		// An all-null page without levels: every row is null at the
		// outermost nullable layer.
		lv, ok := outermostNullLevel(p.layers)
		if !ok {
			return nil, corruptf("all-null page without a nullable layer")
		}
		if numRows > maxItems {
			return nil, corruptf("constant page of %d rows", numRows)
		}
		p.def = make([]uint16, numRows)
		for i := range p.def {
			p.def[i] = lv
		}
	}
	n := visibleCount(p, numRows)
	if n > maxItems {
		return nil, corruptf("constant page of %d values", n)
	}
	switch {
	case hasInline:
		b, err := constantBlock(inline, n)
		if err != nil {
			return nil, err
		}
		p.vals = b
	case scalar != nil:
		b, err := scalarBlock(scalar, n)
		if err != nil {
			return nil, err
		}
		p.vals = b
	default:
		p.vals = block{n: n, dim: 1, zero: true}
	}
	return p, nil
}

// outermostNullLevel returns the definition level meaning "null" at the
// outermost layer that can be null.
func outermostNullLevel(layers []pb.RepDefLayer) (uint16, bool) {
	var lv uint16
	var best uint16
	ok := false
	for _, l := range layers {
		switch l {
		case pb.RepDefLayer_REPDEF_NULLABLE_ITEM, pb.RepDefLayer_REPDEF_NULLABLE_LIST:
			lv++
			best, ok = lv, true
		case pb.RepDefLayer_REPDEF_NULL_AND_EMPTY_LIST:
			best, ok = lv+1, true
			lv += 2
		case pb.RepDefLayer_REPDEF_EMPTYABLE_LIST:
			lv++
		}
	}
	return best, ok
}

// constantLevels reads constant-page levels: raw u16 unless compressed.
func constantLevels(enc *pb.CompressiveEncoding, buf []byte, n uint64) ([]uint16, error) {
	if len(buf) == 0 {
		return nil, nil
	}
	if enc == nil {
		if len(buf)%2 != 0 {
			return nil, corruptf("constant page levels of %d bytes", len(buf))
		}
		out := make([]uint16, len(buf)/2)
		for i := range out {
			out[i] = binary.LittleEndian.Uint16(buf[2*i:])
		}
		return out, nil
	}
	if n > maxItems {
		return nil, corruptf("constant page of %d levels", n)
	}
	b, err := decodeBlock(enc, buf, int(n))
	if err != nil {
		return nil, err
	}
	return widenToU16(b)
}

// visibleCount is the number of value slots a page's levels describe.
func visibleCount(p *leafPage, numRows uint64) int {
	switch {
	case p.def != nil && p.rep != nil:
		maxVis := maxVisibleDef(p.layers)
		n := 0
		for _, d := range p.def {
			if d <= maxVis {
				n++
			}
		}
		return n
	case p.def != nil:
		return len(p.def)
	case p.rep != nil:
		return len(p.rep)
	}
	return int(min(numRows, maxItems+1))
}

// scalarBlock parses a serialized scalar: u32 buffer count, u32 length of
// each buffer, then the buffers back to back. One buffer is a fixed-width
// value; two are the offsets and bytes of one variable-width value.
func scalarBlock(b []byte, n int) (block, error) {
	if len(b) < 4 {
		return block{}, corruptf("constant scalar of %d bytes", len(b))
	}
	count := int(binary.LittleEndian.Uint32(b))
	if count < 1 || count > 4 || 4+4*count > len(b) {
		return block{}, corruptf("constant scalar with %d buffers", count)
	}
	pos := 4 + 4*count
	parts := make([][]byte, count)
	for i := range parts {
		l := int(binary.LittleEndian.Uint32(b[4+4*i:]))
		if l < 0 || l > len(b)-pos {
			return block{}, corruptf("constant scalar buffer %d of %d bytes", i, l)
		}
		parts[i] = b[pos : pos+l]
		pos += l
	}
	switch count {
	case 1:
		return constantBlock(parts[0], n)
	case 2:
		var start, end uint64
		switch len(parts[0]) {
		case 8:
			start, end = uint64(binary.LittleEndian.Uint32(parts[0])), uint64(binary.LittleEndian.Uint32(parts[0][4:]))
		case 16:
			start, end = binary.LittleEndian.Uint64(parts[0]), binary.LittleEndian.Uint64(parts[0][8:])
		default:
			return block{}, corruptf("constant scalar offsets of %d bytes", len(parts[0]))
		}
		if start > end || end > uint64(len(parts[1])) {
			return block{}, corruptf("constant scalar value [%d,%d) of %d bytes", start, end, len(parts[1]))
		}
		v := parts[1][start:end]
		if uint64(len(v))*uint64(n) > maxDecompressed {
			return block{}, corruptf("constant page expands beyond limits")
		}
		data := make([]byte, 0, len(v)*n)
		offs := make([]uint64, n+1)
		for i := 0; i < n; i++ {
			data = append(data, v...)
			offs[i+1] = uint64(len(data))
		}
		return block{n: n, data: data, offs: offs}, nil
	}
	return block{}, unsupportedf("constant scalar with %d buffers", count)
}

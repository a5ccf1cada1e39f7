package v21

import "encoding/binary"

// block is decoded column data before it becomes Arrow: either n fixed-width
// values of dim items of bitsPer bits each (bitsPer 1 is an LSB bitmap), or n
// variable-width values given by offs (n+1 entries) into data.
type block struct {
	n       int
	bitsPer int
	dim     int
	data    []byte
	offs    []uint64
	// valid is an LSB bitmap of item validity inside fixed-size lists
	// (n*dim bits), or nil when every item is valid.
	valid []byte
	// zero marks n values that are all null: no data is stored and readers
	// materialise zeroed buffers.
	zero bool
}

func (b *block) variable() bool { return b.offs != nil }

// fixedBytes is the byte size of n values of a fixed-width block.
func fixedBytes(n, dim, bitsPer int) int {
	return (n*dim*bitsPer + 7) / 8
}

// newFixed checks that data holds n values and wraps it.
func newFixed(data []byte, n, dim, bitsPer int) (block, error) {
	if n < 0 || dim <= 0 || bitsPer <= 0 || bitsPer > 1<<20 {
		return block{}, corruptf("fixed-width block: n=%d dim=%d bits=%d", n, dim, bitsPer)
	}
	need := fixedBytes(n, dim, bitsPer)
	if uint64(n)*uint64(dim)*uint64(bitsPer) > uint64(len(data))*8 {
		return block{}, corruptf("fixed-width block: %d values of %d bits need %d bytes, have %d", n*dim, bitsPer, need, len(data))
	}
	return block{n: n, bitsPer: bitsPer, dim: dim, data: data[:need]}, nil
}

// newVariable builds a variable-width block from offsets that may start at a
// non-zero base; the result's offsets start at zero.
func newVariable(data []byte, offs []uint64) (block, error) {
	if len(offs) == 0 {
		return block{}, corruptf("variable-width block without offsets")
	}
	base := offs[0]
	prev := base
	for _, o := range offs {
		if o < prev || o > uint64(len(data)) {
			return block{}, corruptf("variable-width block: offset %d after %d, data %d bytes", o, prev, len(data))
		}
		prev = o
	}
	norm := offs
	if base != 0 {
		norm = make([]uint64, len(offs))
		for i, o := range offs {
			norm[i] = o - base
		}
	}
	return block{n: len(offs) - 1, data: data[base:prev], offs: norm}, nil
}

// readOffsets reads n+1 little-endian offsets of width bytes.
func readOffsets(b []byte, n int, width int) ([]uint64, error) {
	if n < 0 || (width != 4 && width != 8) || uint64(n+1)*uint64(width) > uint64(len(b)) {
		return nil, corruptf("offsets: %d of width %d in %d bytes", n+1, width, len(b))
	}
	out := make([]uint64, n+1)
	if width == 4 {
		for i := range out {
			out[i] = uint64(binary.LittleEndian.Uint32(b[4*i:]))
		}
	} else {
		for i := range out {
			out[i] = binary.LittleEndian.Uint64(b[8*i:])
		}
	}
	return out, nil
}

// concatBlocks joins the blocks of one page's chunks (all of one kind and
// width) with a single allocation per buffer.
func concatBlocks(parts []block) (block, error) {
	switch len(parts) {
	case 0:
		return block{dim: 1}, nil
	case 1:
		return parts[0], nil
	}
	first := parts[0]
	out := block{bitsPer: first.bitsPer, dim: first.dim}
	var dataLen, items int
	anyValid := false
	for _, p := range parts {
		if p.variable() != first.variable() || p.bitsPer != first.bitsPer || p.dim != first.dim || p.zero {
			return block{}, corruptf("chunks of one page disagree on value layout")
		}
		out.n += p.n
		dataLen += len(p.data)
		items += p.n * p.dim
		anyValid = anyValid || p.valid != nil
	}
	if first.variable() {
		out.data = make([]byte, 0, dataLen)
		out.offs = make([]uint64, 1, out.n+1)
		for _, p := range parts {
			base := uint64(len(out.data))
			out.data = append(out.data, p.data...)
			for _, o := range p.offs[1:] {
				out.offs = append(out.offs, base+o)
			}
		}
		return out, nil
	}
	if anyValid {
		out.valid = make([]byte, (items+7)/8)
		at := 0
		for _, p := range parts {
			copyBits(out.valid, at, p.valid, p.n*p.dim)
			at += p.n * p.dim
		}
	}
	if first.bitsPer%8 == 0 {
		out.data = make([]byte, 0, dataLen)
		for _, p := range parts {
			out.data = append(out.data, p.data...)
		}
		return out, nil
	}
	out.data = make([]byte, (items*first.bitsPer+7)/8)
	at := 0
	for _, p := range parts {
		copyBits(out.data, at, p.data, p.n*p.dim*first.bitsPer)
		at += p.n * p.dim * first.bitsPer
	}
	return out, nil
}

// copyBits copies n bits from src (from bit 0) into dst at bit offset at; a
// nil src means all ones.
func copyBits(dst []byte, at int, src []byte, n int) {
	if src == nil {
		for i := 0; i < n; i++ {
			dst[(at+i)>>3] |= 1 << uint((at+i)&7)
		}
		return
	}
	if at&7 == 0 {
		copy(dst[at>>3:], src[:(n+7)/8])
		if r := n & 7; r != 0 {
			dst[(at+n)>>3] &= byte(1)<<uint(r) - 1
		}
		return
	}
	for i := 0; i < n; i++ {
		if src[i>>3]&(1<<uint(i&7)) != 0 {
			dst[(at+i)>>3] |= 1 << uint((at+i)&7)
		}
	}
}

// widenToU16 converts a fixed-width block of unsigned integers to uint16
// levels.
func widenToU16(b block) ([]uint16, error) {
	out := make([]uint16, b.n*b.dim)
	switch b.bitsPer {
	case 8:
		for i := range out {
			out[i] = uint16(b.data[i])
		}
	case 16:
		for i := range out {
			out[i] = binary.LittleEndian.Uint16(b.data[2*i:])
		}
	case 32:
		for i := range out {
			v := binary.LittleEndian.Uint32(b.data[4*i:])
			if v > 0xFFFF {
				return nil, corruptf("level %d out of range", v)
			}
			out[i] = uint16(v)
		}
	default:
		if b.bitsPer > 16 {
			return nil, corruptf("levels of %d bits", b.bitsPer)
		}
		// Sub-byte widths are packed LSB first.
		for i := range out {
			bit := i * b.bitsPer
			var v uint32
			for k := 0; k < b.bitsPer; k++ {
				if b.data[(bit+k)>>3]&(1<<uint((bit+k)&7)) != 0 {
					v |= 1 << uint(k)
				}
			}
			out[i] = uint16(v)
		}
	}
	return out, nil
}

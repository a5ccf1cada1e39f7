package v21

import "encoding/binary"

// FSST symbol tables are stored as a little-endian u64 header, the symbols
// (8 bytes each, n of them) and then one length byte per symbol. The header
// carries "FSST" in its top 32 bits, a flag at bit 24 that says whether the
// data was compressed at all, and the symbol count in its low byte.
const (
	fsstMagic       = uint64(0x46535354) << 32
	fsstEscape      = 255
	fsstTableMaxLen = 8 + 256*8 + 256
)

// FSSTTable is a parsed symbol table.
type FSSTTable struct {
	compressed bool
	n          int
	symbols    [256][8]byte
	lens       [256]uint8
}

// ParseFSSTTable validates and parses a serialized symbol table.
func ParseFSSTTable(b []byte) (*FSSTTable, error) {
	if len(b) < 8 || len(b) > fsstTableMaxLen {
		return nil, corruptf("fsst: symbol table of %d bytes", len(b))
	}
	h := binary.LittleEndian.Uint64(b)
	if h&(uint64(0xFFFFFFFF)<<32) != fsstMagic {
		return nil, corruptf("fsst: bad symbol table magic %#x", h>>32)
	}
	t := &FSSTTable{compressed: h&(1<<24) != 0, n: int(h & 0xFF)}
	if 8+9*t.n > len(b) {
		return nil, corruptf("fsst: %d symbols in a %d-byte table", t.n, len(b))
	}
	for i := 0; i < t.n; i++ {
		copy(t.symbols[i][:], b[8+8*i:])
		l := b[8+8*t.n+i]
		if l == 0 || l > 8 {
			return nil, corruptf("fsst: symbol %d has length %d", i, l)
		}
		t.lens[i] = l
	}
	return t, nil
}

// Decompress decodes concatenated compressed strings with the given offsets
// (len n+1, non-decreasing, within data) and returns the decompressed bytes
// and their offsets. Output grows on demand, so a hostile table cannot force
// a large allocation up front; maxOut caps the total output size.
func (t *FSSTTable) Decompress(data []byte, offsets []uint64, maxOut int) ([]byte, []uint64, error) {
	outOffs := make([]uint64, len(offsets))
	if len(offsets) == 0 {
		return nil, outOffs, nil
	}
	if !t.compressed {
		if offsets[len(offsets)-1] > uint64(len(data)) {
			return nil, nil, corruptf("fsst: offsets beyond data")
		}
		copy(outOffs, offsets)
		return data, outOffs, nil
	}
	out := make([]byte, 0, min(len(data)*3, maxOut))
	for i := 1; i < len(offsets); i++ {
		start, end := offsets[i-1], offsets[i]
		if start > end || end > uint64(len(data)) {
			return nil, nil, corruptf("fsst: value %d spans [%d,%d) of %d bytes", i-1, start, end, len(data))
		}
		s := data[start:end]
		for j := 0; j < len(s); j++ {
			c := s[j]
			if c == fsstEscape {
				j++
				if j >= len(s) {
					return nil, nil, corruptf("fsst: escape at end of value %d", i-1)
				}
				out = append(out, s[j])
				continue
			}
			if int(c) >= t.n {
				return nil, nil, corruptf("fsst: code %d beyond %d symbols", c, t.n)
			}
			out = append(out, t.symbols[c][:t.lens[c]]...)
		}
		if len(out) > maxOut {
			return nil, nil, corruptf("fsst: output exceeds %d bytes", maxOut)
		}
		outOffs[i] = uint64(len(out))
	}
	return out, outOffs, nil
}

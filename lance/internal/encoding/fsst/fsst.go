// Package fsst decodes strings compressed with FSST (fast static symbol
// tables) as Lance stores them, shared by the 2.0 and the 2.1/2.2 decoders.
//
// A symbol table is a little-endian u64 header, then the n symbols (8
// bytes each, little-endian), then one length byte per symbol. The header
// carries "FSST" in its top 32 bits, a flag at bit 24 that says whether the
// encoder compressed at all (Lance passes inputs below 32 KiB through
// unchanged and clears it), and n in its low byte. Format 2.0 pads the
// table to MaxTableSize bytes; 2.1 may store it packed. In compressed data
// code 255 escapes a literal byte; any other code names a symbol.
package fsst

import (
	"encoding/binary"
	"fmt"

	"github.com/resona-go/resona/lance/internal/lanceerr"
)

// MaxTableSize is the size of a full symbol table: header, 256 symbols
// and 256 lengths.
const MaxTableSize = 8 + 256*8 + 256

const (
	magic  = uint64(0x46535354) << 32
	escape = 255
)

// Table is a parsed symbol table.
type Table struct {
	compressed bool
	n          int
	symbols    [256][8]byte
	lens       [256]uint8
}

func corruptf(format string, args ...any) error {
	return fmt.Errorf("%w: fsst: %s", lanceerr.ErrCorrupt, fmt.Sprintf(format, args...))
}

// ParseTable validates and parses a serialized symbol table, padded or
// packed. Errors wrap lanceerr.ErrCorrupt.
func ParseTable(b []byte) (*Table, error) {
	if len(b) < 8 || len(b) > MaxTableSize {
		return nil, corruptf("symbol table of %d bytes", len(b))
	}
	h := binary.LittleEndian.Uint64(b)
	if h&(uint64(0xFFFFFFFF)<<32) != magic {
		return nil, corruptf("bad symbol table magic %#x", h>>32)
	}
	t := &Table{compressed: h&(1<<24) != 0, n: int(h & 0xFF)}
	if 8+9*t.n > len(b) {
		return nil, corruptf("%d symbols in a %d-byte table", t.n, len(b))
	}
	for i := 0; i < t.n; i++ {
		copy(t.symbols[i][:], b[8+8*i:])
		l := b[8+8*t.n+i]
		if l == 0 || l > 8 {
			return nil, corruptf("symbol %d has length %d", i, l)
		}
		t.lens[i] = l
	}
	return t, nil
}

// Compressed reports whether values were compressed; when not, they are
// stored as they are.
func (t *Table) Compressed() bool { return t.compressed }

// DecompressedLen is an upper bound of the decompressed size of src (exact
// for well-formed input).
func (t *Table) DecompressedLen(src []byte) uint64 {
	if !t.compressed {
		return uint64(len(src))
	}
	total := uint64(0)
	for i := 0; i < len(src); i++ {
		if c := src[i]; c == escape {
			total++
			i++
		} else {
			total += uint64(t.lens[c])
		}
	}
	return total
}

// AppendValue appends the decompressed form of one compressed value to
// dst.
func (t *Table) AppendValue(dst, src []byte) ([]byte, error) {
	if !t.compressed {
		return append(dst, src...), nil
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c == escape {
			i++
			if i == len(src) {
				return nil, corruptf("value ends inside an escape")
			}
			dst = append(dst, src[i])
			continue
		}
		if int(c) >= t.n {
			return nil, corruptf("code %d beyond %d symbols", c, t.n)
		}
		dst = append(dst, t.symbols[c][:t.lens[c]]...)
	}
	return dst, nil
}

package encoding

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// FsstTableSize is the size of a serialized FSST symbol table: an 8-byte
// header, 256 8-byte symbols and 256 symbol lengths.
const FsstTableSize = 8 + 256*8 + 256

// fsstMagic marks the upper 32 bits of the table header ("FSST").
const fsstMagic = 0x46535354

// fsstEscape announces a literal byte in compressed data.
const fsstEscape = 255

// FsstTable is a parsed FSST symbol table as Lance writes it.
type FsstTable struct {
	// raw is set when the encoder passed its input through unchanged (Lance
	// does that below 32 KiB of input).
	raw     bool
	n       int
	lens    [256]uint8
	symbols [256][8]byte
}

// ParseFsstTable parses a Lance FSST symbol table. The header holds, from
// the top: the magic (32 bits), the encoder switch (8), the suffix limit
// (8), the terminator (8) and the symbol count (8); symbols are stored
// little-endian and the lengths follow them.
func ParseFsstTable(b []byte) (*FsstTable, error) {
	if len(b) != FsstTableSize {
		return nil, fmt.Errorf("fsst symbol table of %d bytes, want %d", len(b), FsstTableSize)
	}
	h := binary.LittleEndian.Uint64(b)
	if h>>32 != fsstMagic {
		return nil, errors.New("fsst symbol table without its magic")
	}
	t := &FsstTable{raw: h&(1<<24) == 0, n: int(h & 0xff)}
	pos := 8
	for i := 0; i < t.n; i++ {
		copy(t.symbols[i][:], b[pos:pos+8])
		pos += 8
	}
	for i := 0; i < t.n; i++ {
		t.lens[i] = b[pos]
		if t.lens[i] == 0 || t.lens[i] > 8 {
			return nil, fmt.Errorf("fsst symbol %d has length %d", i, t.lens[i])
		}
		pos++
	}
	return t, nil
}

// DecompressedLen is an upper bound of the decompressed size of src (exact
// for well-formed input).
func (t *FsstTable) DecompressedLen(src []byte) uint64 {
	if t.raw {
		return uint64(len(src))
	}
	total := uint64(0)
	for i := 0; i < len(src); i++ {
		if c := src[i]; c == fsstEscape {
			total++
			i++
		} else {
			total += uint64(t.lens[c])
		}
	}
	return total
}

// AppendDecompressed appends the decompressed form of one compressed value
// to dst.
func (t *FsstTable) AppendDecompressed(dst, src []byte) ([]byte, error) {
	if t.raw {
		return append(dst, src...), nil
	}
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c == fsstEscape {
			i++
			if i == len(src) {
				return nil, errors.New("fsst data ends inside an escape")
			}
			dst = append(dst, src[i])
			continue
		}
		if int(c) >= t.n {
			return nil, fmt.Errorf("fsst code %d of %d symbols", c, t.n)
		}
		dst = append(dst, t.symbols[c][:t.lens[c]]...)
	}
	return dst, nil
}

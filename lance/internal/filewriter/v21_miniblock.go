package filewriter

import (
	"encoding/binary"
	"math/bits"

	"github.com/resona-go/resona/lance/internal/pb/enc21"
)

const (
	// miniChunkBytes bounds the value bytes of one mini-block chunk; Lance
	// aims for chunks below 8 KiB.
	miniChunkBytes = 8192
	// miniChunkValues is the most values a chunk holds.
	miniChunkValues = 4096
	miniAlign       = 8
	miniFill        = 0xFE
)

// miniBlock encodes the page as mini-block chunks. Buffers: the chunk
// metadata (one word per chunk: (8-byte words − 1) << 4 | log2(values),
// u16, or u32 in 2.2) and the chunks. A chunk is a u16 level count (0
// without levels), a u16 def size when the page has nulls, the value
// buffer's size (u16, or u32 in 2.2), padding to 8, the def levels (plain
// u16) padded to 8, then the values padded to 8. Every chunk but the last
// holds a power of two values; the last records 0 as its log2.
func (l *leafNode) miniBlock(layers []enc21.RepDefLayer, def []uint16) ([][]byte, *enc21.PageLayout) {
	large := l.w.version.largeChunks()
	var meta, data []byte
	for start := 0; start < l.rows; {
		n := l.chunkRows(start)
		final := start+n == l.rows
		at := len(data)
		levels := 0
		if def != nil {
			levels = n
		}
		data = binary.LittleEndian.AppendUint16(data, uint16(levels))
		if def != nil {
			data = binary.LittleEndian.AppendUint16(data, uint16(2*n))
		}
		vals := l.chunkValues(start, n)
		if large {
			data = binary.LittleEndian.AppendUint32(data, uint32(len(vals)))
		} else {
			data = binary.LittleEndian.AppendUint16(data, uint16(len(vals)))
		}
		data = padMini(data)
		if def != nil {
			for _, d := range def[start : start+n] {
				data = binary.LittleEndian.AppendUint16(data, d)
			}
			data = padMini(data)
		}
		data = append(data, vals...)
		data = padMini(data)
		word := uint64(len(data)-at)/miniAlign - 1
		word <<= 4
		if !final {
			word |= uint64(bits.TrailingZeros(uint(n)))
		}
		if large {
			meta = binary.LittleEndian.AppendUint32(meta, uint32(word))
		} else {
			meta = binary.LittleEndian.AppendUint16(meta, uint16(word))
		}
		start += n
	}
	mb := &enc21.MiniBlockLayout{
		ValueCompression: l.valueCompression(),
		Layers:           layers,
		NumBuffers:       1,
		NumItems:         uint64(l.rows),
		HasLargeChunk:    large,
	}
	if def != nil {
		mb.DefCompression = flat21(16)
	}
	return [][]byte{meta, data}, &enc21.PageLayout{Layout: &enc21.PageLayout_MiniBlockLayout{MiniBlockLayout: mb}}
}

func padMini(b []byte) []byte {
	for len(b)%miniAlign != 0 {
		b = append(b, miniFill)
	}
	return b
}

// chunkRows picks the rows of the chunk starting at start: all the rest
// when they fit, else the largest power of two that fits.
func (l *leafNode) chunkRows(start int) int {
	rest := l.rows - start
	switch l.kind {
	case leafBool:
		return min(rest, miniChunkValues)
	case leafFixed:
		k := miniChunkValues
		for k > 1 && k*l.width > miniChunkBytes {
			k /= 2
		}
		return min(rest, k)
	}
	if rest <= miniChunkValues && l.variableBytes(start, rest) <= miniChunkBytes {
		return rest
	}
	k := 1 << (bits.Len(uint(min(rest, miniChunkValues))) - 1)
	for k > 1 && l.variableBytes(start, k) > miniChunkBytes {
		k /= 2
	}
	return k
}

// variableBytes is the size of n variable-width values from start in a
// chunk: n+1 offsets and the bytes.
func (l *leafNode) variableBytes(start, n int) int {
	return l.offsetWidth()*(n+1) + int(l.ends[start+n-1]-l.endBefore(start))
}

// offsetWidth is the byte width of variable-width offsets and full-zip
// lengths: 8 for the large types, as Lance requires, else 4.
func (l *leafNode) offsetWidth() int {
	if l.large {
		return 8
	}
	return 4
}

func (l *leafNode) endBefore(i int) uint64 {
	if i == 0 {
		return 0
	}
	return l.ends[i-1]
}

// chunkValues returns the value buffer of rows [start, start+n).
func (l *leafNode) chunkValues(start, n int) []byte {
	switch l.kind {
	case leafBool:
		// Chunks of booleans start at multiples of 4096 rows, so at a byte.
		return l.bits.buf[start/8 : (start+n+7)/8]
	case leafFixed:
		return l.vals[start*l.width : (start+n)*l.width]
	}
	// Offsets count from the start of the buffer, past the offsets; the
	// buffer is padded to a multiple of the offset width, since Lance reads
	// it as whole offset words.
	w := l.offsetWidth()
	base := l.endBefore(start)
	first := uint64(w * (n + 1))
	out := make([]byte, 0, int(first)+int(l.ends[start+n-1]-base)+w)
	put := func(v uint64) {
		if w == 8 {
			out = binary.LittleEndian.AppendUint64(out, v)
		} else {
			out = binary.LittleEndian.AppendUint32(out, uint32(v))
		}
	}
	put(first)
	for i := start; i < start+n; i++ {
		put(first + l.ends[i] - base)
	}
	out = append(out, l.data[base:l.ends[start+n-1]]...)
	for len(out)%w != 0 {
		out = append(out, 0)
	}
	return out
}

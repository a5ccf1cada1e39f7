package v21

import (
	"encoding/binary"

	pb "github.com/resona-go/resona/lance/internal/pb/enc21"
)

// Mini-block pages hold buffers [chunk metadata, chunk data, dictionary
// (when present), repetition index (when the page has repetition)].
//
// Each metadata word describes one chunk: (size in 8-byte words − 1) << 4 |
// log2(value count). Words are u16, or u32 when has_large_chunk is set
// (lance 2.2). Every chunk but the last holds a power-of-two number of
// values; the last holds the rest (its log2 field may be 0).
const miniBlockAlign = 8

// maxChunkValues bounds a chunk's value count: the 4-bit log2 field allows
// at most 2^15, and writers use at most 4096.
const maxChunkValues = 1 << 15

// maxDictItems bounds a page dictionary; dictionaries are only chosen for
// low-cardinality data.
const maxDictItems = 1 << 24

// ChunkMeta locates one mini-block chunk inside the chunk data buffer.
type ChunkMeta struct {
	Offset    int
	Size      int
	NumValues int
}

// ParseChunkMeta parses chunk metadata for a page of numValues values whose
// chunk data buffer is dataLen bytes long.
func ParseChunkMeta(meta []byte, large bool, numValues uint64, dataLen int) ([]ChunkMeta, error) {
	width := 2
	if large {
		width = 4
	}
	if len(meta)%width != 0 {
		return nil, corruptf("mini-block metadata of %d bytes", len(meta))
	}
	count := len(meta) / width
	if count == 0 {
		if numValues != 0 {
			return nil, corruptf("mini-block page with %d values and no chunks", numValues)
		}
		return nil, nil
	}
	if uint64(count) > numValues {
		return nil, corruptf("%d mini-block chunks for %d values", count, numValues)
	}
	chunks := make([]ChunkMeta, count)
	offset := 0
	var seen uint64
	for i := range chunks {
		var w uint64
		if large {
			w = uint64(binary.LittleEndian.Uint32(meta[4*i:]))
		} else {
			w = uint64(binary.LittleEndian.Uint16(meta[2*i:]))
		}
		size := int((w>>4)+1) * miniBlockAlign
		logN := w & 0xF
		var n uint64
		if i < count-1 {
			if logN == 0 {
				return nil, corruptf("mini-block chunk %d without a value count", i)
			}
			n = 1 << logN
		} else {
			if seen >= numValues {
				return nil, corruptf("mini-block chunks hold more than %d values", numValues)
			}
			n = numValues - seen
			if n > maxChunkValues {
				return nil, corruptf("last mini-block chunk of %d values", n)
			}
			if logN != 0 && n != 1<<logN {
				return nil, corruptf("last mini-block chunk: %d values, metadata says %d", n, 1<<logN)
			}
		}
		seen += n
		if seen > numValues {
			return nil, corruptf("mini-block chunks hold more than %d values", numValues)
		}
		if size > dataLen-offset {
			return nil, corruptf("mini-block chunk %d (%d bytes at %d) beyond %d-byte buffer", i, size, offset, dataLen)
		}
		chunks[i] = ChunkMeta{Offset: offset, Size: size, NumValues: int(n)}
		offset += size
	}
	return chunks, nil
}

// Chunk is one parsed mini-block chunk: its level count and its buffers.
type Chunk struct {
	NumLevels int
	Rep, Def  []byte // nil when the page has no such levels
	Buffers   [][]byte
}

// ParseChunk splits a chunk: u16 level count, u16 rep size (when hasRep),
// u16 def size (when hasDef), one size per value buffer (u16, or u32 when
// large), padding to 8, then each buffer padded to 8.
func ParseChunk(b []byte, hasRep, hasDef bool, numBuffers int, large bool) (Chunk, error) {
	if numBuffers < 0 || numBuffers > 64 {
		return Chunk{}, corruptf("mini-block chunk with %d buffers", numBuffers)
	}
	pos := 0
	u16 := func() (int, error) {
		if pos+2 > len(b) {
			return 0, corruptf("mini-block chunk header truncated")
		}
		v := int(binary.LittleEndian.Uint16(b[pos:]))
		pos += 2
		return v, nil
	}
	var c Chunk
	var err error
	if c.NumLevels, err = u16(); err != nil {
		return Chunk{}, err
	}
	repSize, defSize := -1, -1
	if hasRep {
		if repSize, err = u16(); err != nil {
			return Chunk{}, err
		}
	}
	if hasDef {
		if defSize, err = u16(); err != nil {
			return Chunk{}, err
		}
	}
	sizes := make([]int, numBuffers)
	for i := range sizes {
		if large {
			if pos+4 > len(b) {
				return Chunk{}, corruptf("mini-block chunk header truncated")
			}
			sizes[i] = int(binary.LittleEndian.Uint32(b[pos:]))
			pos += 4
		} else if sizes[i], err = u16(); err != nil {
			return Chunk{}, err
		}
	}
	take := func(n int) ([]byte, error) {
		pos = alignUp(pos)
		if n < 0 || n > len(b)-pos {
			return nil, corruptf("mini-block chunk buffer of %d bytes at %d beyond %d", n, pos, len(b))
		}
		s := b[pos : pos+n : pos+n]
		pos += n
		return s, nil
	}
	if repSize >= 0 {
		if c.Rep, err = take(repSize); err != nil {
			return Chunk{}, err
		}
	}
	if defSize >= 0 {
		if c.Def, err = take(defSize); err != nil {
			return Chunk{}, err
		}
	}
	c.Buffers = make([][]byte, numBuffers)
	for i, s := range sizes {
		if c.Buffers[i], err = take(s); err != nil {
			return Chunk{}, err
		}
	}
	return c, nil
}

func alignUp(p int) int { return (p + miniBlockAlign - 1) &^ (miniBlockAlign - 1) }

// decodeMiniBlockPage decodes every chunk of a mini-block page.
func decodeMiniBlockPage(l *pb.MiniBlockLayout, bufs [][]byte, numRows uint64) (*leafPage, error) {
	if err := checkMiniBlockBuffers(l, len(bufs)); err != nil {
		return nil, err
	}
	if l.GetNumItems() > maxItems {
		return nil, corruptf("mini-block page of %d items", l.GetNumItems())
	}
	chunks, err := ParseChunkMeta(bufs[0], l.GetHasLargeChunk(), l.GetNumItems(), len(bufs[1]))
	if err != nil {
		return nil, err
	}
	var dict []byte
	if l.GetDictionary() != nil {
		dict = bufs[2]
	}
	return decodeChunks(l, bufs[1], chunks, dict, numRows)
}

// checkMiniBlockBuffers checks the page has the buffers its layout names:
// metadata, data, dictionary (optional), repetition index (optional).
func checkMiniBlockBuffers(l *pb.MiniBlockLayout, n int) error {
	want := 2
	if l.GetDictionary() != nil {
		want++
	}
	if l.GetRepetitionIndexDepth() > 0 {
		want++
	}
	if n < want {
		return corruptf("mini-block page has %d buffers, needs %d", n, want)
	}
	return nil
}

// decodeChunks decodes the given chunks, whose offsets are relative to
// data, into a page of numRows rows.
func decodeChunks(l *pb.MiniBlockLayout, data []byte, chunks []ChunkMeta, dictBuf []byte, numRows uint64) (*leafPage, error) {
	hasRep := l.GetRepCompression() != nil
	hasDef := l.GetDefCompression() != nil
	p := &leafPage{layers: l.GetLayers(), numRows: numRows}
	parts := make([]block, 0, len(chunks))
	var rep, def []uint16
	for i, cm := range chunks {
		if cm.Offset < 0 || cm.Size > len(data)-cm.Offset {
			return nil, corruptf("mini-block chunk %d beyond its buffer", i)
		}
		c, err := ParseChunk(data[cm.Offset:cm.Offset+cm.Size], hasRep, hasDef, int(min(l.GetNumBuffers(), 1<<10)), l.GetHasLargeChunk())
		if err != nil {
			return nil, err
		}
		b, err := decodeMini(l.GetValueCompression(), c.Buffers, cm.NumValues)
		if err != nil {
			return nil, err
		}
		parts = append(parts, b)
		levels := c.NumLevels
		if !hasRep && levels == 0 {
			// Without repetition there is one level per value.
			levels = cm.NumValues
		}
		if hasRep {
			if rep, err = appendLevels(rep, l.GetRepCompression(), c.Rep, levels); err != nil {
				return nil, corruptf("chunk %d repetition: %v", i, err)
			}
		}
		if hasDef {
			if def, err = appendLevels(def, l.GetDefCompression(), c.Def, levels); err != nil {
				return nil, corruptf("chunk %d definition: %v", i, err)
			}
		}
	}
	vals, err := concatBlocks(parts)
	if err != nil {
		return nil, err
	}
	if l.GetDictionary() != nil {
		if l.GetNumDictionaryItems() > maxDictItems {
			return nil, corruptf("dictionary of %d items", l.GetNumDictionaryItems())
		}
		dict, err := decodeBlock(l.GetDictionary(), dictBuf, int(l.GetNumDictionaryItems()))
		if err != nil {
			return nil, err
		}
		if vals, err = gather(dict, vals); err != nil {
			return nil, err
		}
	}
	p.rep, p.def, p.vals = rep, def, vals
	return p, nil
}

// appendLevels decodes the levels of one chunk. A chunk without levels in a
// page that has them stands for all zeros.
func appendLevels(dst []uint16, enc *pb.CompressiveEncoding, buf []byte, n int) ([]uint16, error) {
	if len(buf) == 0 {
		return append(dst, make([]uint16, n)...), nil
	}
	b, err := decodeBlock(enc, buf, n)
	if err != nil {
		return nil, err
	}
	lv, err := widenToU16(b)
	if err != nil {
		return nil, err
	}
	return append(dst, lv...), nil
}

// gather replaces dictionary indices by the dictionary items they name.
// Indices of null slots may point anywhere; they become empty or zero items.
func gather(dict block, idx block) (block, error) {
	if idx.variable() || idx.dim != 1 || idx.bitsPer%8 != 0 || idx.bitsPer > 64 {
		return block{}, corruptf("dictionary indices of %d bits", idx.bitsPer)
	}
	size := idx.bitsPer / 8
	at := func(i int) uint64 { return readUint(idx.data[i*size:], size) }
	n := idx.n
	if dict.variable() {
		offs := make([]uint64, n+1)
		total := uint64(0)
		for i := 0; i < n; i++ {
			if k := at(i); k < uint64(dict.n) {
				total += dict.offs[k+1] - dict.offs[k]
			}
			offs[i+1] = total
		}
		if total > maxDecompressed {
			return block{}, corruptf("dictionary expands to %d bytes", total)
		}
		data := make([]byte, 0, total)
		for i := 0; i < n; i++ {
			if k := at(i); k < uint64(dict.n) {
				data = append(data, dict.data[dict.offs[k]:dict.offs[k+1]]...)
			}
		}
		return block{n: n, data: data, offs: offs}, nil
	}
	if dict.bitsPer%8 != 0 {
		return block{}, unsupportedf("dictionary of %d-bit items", dict.bitsPer)
	}
	w := dict.bitsPer / 8 * dict.dim
	data := make([]byte, n*w)
	for i := 0; i < n; i++ {
		if k := at(i); k < uint64(dict.n) {
			copy(data[i*w:], dict.data[int(k)*w:int(k+1)*w])
		}
	}
	return block{n: n, bitsPer: dict.bitsPer, dim: dict.dim, data: data}, nil
}

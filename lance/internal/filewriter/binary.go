package filewriter

import (
	"encoding/binary"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/resona-go/resona/lance/internal/pb/enc20"
)

// dictThreshold is LANCE_DICT_ENCODING_THRESHOLD's default: a utf8 page is
// dictionary encoded when it has at least this many rows and fewer than this
// many distinct values.
const dictThreshold = 100

// binaryBuilder holds variable-width values (utf8, binary and their large
// variants) as cumulative end offsets and concatenated bytes.
type binaryBuilder struct {
	large bool
	// dictionary is set for utf8 (not large_utf8 or binary), the only type
	// Lance's 2.0 writer dictionary-encodes.
	dictionary bool
	valid      validity
	ends       []uint64
	data       []byte
	// distinct tracks the page's distinct non-null values until there are
	// too many for a dictionary.
	distinct    map[string]struct{}
	tooDistinct bool
	scratch     []byte
}

func (b *binaryBuilder) add(d arrow.ArrayData, _ bool) {
	b.valid.add(d)
	off, n := d.Offset(), d.Len()
	var bytes []byte
	if vb := d.Buffers()[2]; vb != nil {
		bytes = vb.Bytes()
	}
	last := uint64(0)
	if len(b.ends) > 0 {
		last = b.ends[len(b.ends)-1]
	}
	var lo, hi int64
	if b.large {
		o := arrow.Int64Traits.CastFromBytes(d.Buffers()[1].Bytes())[off : off+n+1]
		for i := 0; i < n; i++ {
			last += uint64(o[i+1] - o[i])
			b.ends = append(b.ends, last)
		}
		lo, hi = o[0], o[n]
	} else {
		o := arrow.Int32Traits.CastFromBytes(d.Buffers()[1].Bytes())[off : off+n+1]
		for i := 0; i < n; i++ {
			last += uint64(o[i+1] - o[i])
			b.ends = append(b.ends, last)
		}
		lo, hi = int64(o[0]), int64(o[n])
	}
	start := len(b.data)
	b.data = append(b.data, bytes[lo:hi]...)
	if b.dictionary && !b.tooDistinct {
		b.track(d, b.data[start:], n)
	}
}

// track records the distinct non-null values of the n rows just added,
// whose bytes are page.
func (b *binaryBuilder) track(d arrow.ArrayData, page []byte, n int) {
	if b.distinct == nil {
		b.distinct = make(map[string]struct{}, dictThreshold)
	}
	first := len(b.ends) - n
	base := uint64(0)
	if first > 0 {
		base = b.ends[first-1]
	}
	nulls := d.Buffers()[0] != nil && nullCount(d) > 0
	prev := base
	for i := 0; i < n; i++ {
		end := b.ends[first+i]
		if nulls && !b.valid.bits.get(first+i) {
			prev = end
			continue
		}
		v := page[prev-base : end-base]
		prev = end
		if _, ok := b.distinct[string(v)]; !ok {
			b.distinct[string(v)] = struct{}{}
			if len(b.distinct) >= dictThreshold {
				b.tooDistinct = true
				clear(b.distinct)
				return
			}
		}
	}
}

func (b *binaryBuilder) rows() int { return len(b.ends) }

func (b *binaryBuilder) useDictionary() bool {
	return b.dictionary && !b.tooDistinct && len(b.ends) >= dictThreshold
}

func (b *binaryBuilder) encode(bufs [][]byte, next *uint32) ([][]byte, *enc20.ArrayEncoding) {
	if b.useDictionary() {
		return b.encodeDictionary(bufs, next)
	}
	n := len(b.ends)
	idx := b.indices(n)
	data := b.data
	var adj uint64
	if b.valid.nulls == n {
		// Lance rebuilds an all-null page with zero-length values.
		data = nil
		adj = 1
		for i := 0; i < n; i++ {
			binary.LittleEndian.PutUint64(idx[i*8:], adj)
		}
	} else {
		adj = b.ends[n-1] + 1
		for i, e := range b.ends {
			if b.valid.nulls > 0 && !b.valid.bits.get(i) {
				e += adj
			}
			binary.LittleEndian.PutUint64(idx[i*8:], e)
		}
	}
	return binaryBuffers(bufs, next, idx, data, adj)
}

// indices returns a scratch buffer for n u64 values.
func (b *binaryBuilder) indices(n int) []byte {
	if cap(b.scratch) < n*8 {
		b.scratch = make([]byte, n*8)
	}
	return b.scratch[:n*8]
}

// binaryBuffers appends end offsets and bytes as a Binary encoding.
func binaryBuffers(bufs [][]byte, next *uint32, idx, data []byte, adj uint64) ([][]byte, *enc20.ArrayEncoding) {
	ii := *next
	bi := ii + 1
	*next += 2
	bufs = append(bufs, idx, data)
	return bufs, binaryEnc(noNullEnc(flatEnc(64, ii)), flatEnc(8, bi), adj)
}

// encodeDictionary writes u8 indices (0 = null, items numbered from 1 in
// order of first appearance) and the items as a Binary.
func (b *binaryBuilder) encodeDictionary(bufs [][]byte, next *uint32) ([][]byte, *enc20.ArrayEncoding) {
	n := len(b.ends)
	codes := make([]byte, n)
	lookup := make(map[string]uint8, dictThreshold)
	var itemEnds []byte
	var items []byte
	prev := uint64(0)
	for i, end := range b.ends {
		if b.valid.nulls > 0 && !b.valid.bits.get(i) {
			prev = end
			continue
		}
		v := b.data[prev:end]
		prev = end
		c, ok := lookup[string(v)]
		if !ok {
			c = uint8(len(lookup) + 1)
			lookup[string(v)] = c
			items = append(items, v...)
			itemEnds = binary.LittleEndian.AppendUint64(itemEnds, uint64(len(items)))
		}
		codes[i] = c
	}
	numItems := uint32(len(lookup))
	adj := uint64(len(items)) + 1
	if numItems == 0 {
		// Lance stores a single null item when the page has no values.
		numItems = 1
		adj = 1
		itemEnds = binary.LittleEndian.AppendUint64(itemEnds, 1)
	}
	ci := *next
	*next++
	bufs = append(bufs, codes)
	bufs, itemsEnc := binaryBuffers(bufs, next, itemEnds, items, adj)
	return bufs, dictEnc(noNullEnc(flatEnc(8, ci)), itemsEnc, numItems)
}

func (b *binaryBuilder) reset() {
	b.valid.reset()
	b.ends = b.ends[:0]
	b.data = b.data[:0]
	b.tooDistinct = false
	clear(b.distinct)
}

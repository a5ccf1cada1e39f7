package encoding

import (
	"github.com/apache/arrow-go/v18/arrow/bitutil"

	"github.com/resona-go/resona/lance/internal/encoding/fsst"
	"github.com/resona-go/resona/lance/internal/pb/enc20"
)

// decodeBinary decodes rows [start, start+n) of a Binary encoding: u64 end
// offsets without the leading 0 (a null row stores its end plus
// null_adjustment) and the concatenated bytes.
func (p *pageData) decodeBinary(e *enc20.Binary, start, n uint64, depth int) (*chunk, error) {
	if n == 0 {
		return &chunk{offsets: []uint64{0}, values: []byte{}}, nil
	}
	// Row start-1's end is where row start begins.
	first, count := start, n
	if start > 0 {
		first, count = start-1, n+1
	}
	if err := p.b.takeN(n, 8); err != nil {
		return nil, err
	}
	ends, err := p.u64s(e.GetIndices(), first, count, depth)
	if err != nil {
		return nil, err
	}
	adj := e.GetNullAdjustment()
	norm := func(v uint64) (uint64, bool) {
		if v >= adj {
			return v - adj, false
		}
		return v, true
	}
	begin := uint64(0)
	if start > 0 {
		begin, _ = norm(ends[0])
		ends = ends[1:]
	}
	c := &chunk{n: n, offsets: make([]uint64, n+1)}
	prev := begin
	for i, v := range ends {
		end, ok := norm(v)
		if end < prev {
			return nil, p.corrupt("binary offsets decrease (%d after %d)", end, prev)
		}
		if !ok {
			if c.validity == nil {
				c.validity = make([]byte, bitutil.BytesForBits(int64(n)))
				bitutil.SetBitsTo(c.validity, 0, int64(n), true)
			}
			bitutil.ClearBit(c.validity, i)
		}
		c.offsets[i+1] = end - begin
		prev = end
	}
	bytes, err := p.decode(e.GetBytes(), byteLayout, begin, prev-begin, depth+1)
	if err != nil {
		return nil, err
	}
	c.values = bytes.values
	return c, nil
}

// decodeDictionary decodes a page-local dictionary: u8 indices where 0 is
// null and k is item k-1, the items being a Binary of their own.
func (p *pageData) decodeDictionary(e *enc20.Dictionary, start, n uint64, depth int) (*chunk, error) {
	dict, ok := p.dicts[e]
	if !ok {
		var err error
		if dict, err = p.decode(e.GetItems(), binLayout, 0, uint64(e.GetNumDictionaryItems()), depth+1); err != nil {
			return nil, err
		}
		if p.dicts == nil {
			p.dicts = map[*enc20.Dictionary]*chunk{}
		}
		p.dicts[e] = dict
	}
	idx, err := p.decode(e.GetIndices(), byteLayout, start, n, depth+1)
	if err != nil {
		return nil, err
	}
	total := uint64(0)
	for i, k := range idx.values[:n] {
		if k == 0 || (idx.validity != nil && !bitutil.BitIsSet(idx.validity, i)) {
			continue
		}
		if uint64(k) > dict.n {
			return nil, p.corrupt("dictionary index %d of %d items", k, dict.n)
		}
		total += dict.offsets[k] - dict.offsets[k-1]
	}
	if err := p.b.takeN(n, 8); err != nil {
		return nil, err
	}
	if err := p.b.take(total); err != nil {
		return nil, err
	}
	c := &chunk{n: n, offsets: make([]uint64, n+1), values: make([]byte, 0, total)}
	for i, k := range idx.values[:n] {
		valid := k != 0 && (idx.validity == nil || bitutil.BitIsSet(idx.validity, i))
		if valid && dict.validity != nil && !bitutil.BitIsSet(dict.validity, int(k-1)) {
			valid = false
		}
		if valid {
			c.values = append(c.values, dict.values[dict.offsets[k-1]:dict.offsets[k]]...)
		} else {
			if c.validity == nil {
				c.validity = make([]byte, bitutil.BytesForBits(int64(n)))
				bitutil.SetBitsTo(c.validity, 0, int64(n), true)
			}
			bitutil.ClearBit(c.validity, i)
		}
		c.offsets[i+1] = uint64(len(c.values))
	}
	return c, nil
}

// decodeFsst decodes FSST-compressed strings: a Binary of compressed values
// plus the symbol table.
func (p *pageData) decodeFsst(e *enc20.Fsst, start, n uint64, depth int) (*chunk, error) {
	t, ok := p.fsst[e]
	if !ok {
		var err error
		// Format 2.0 always stores the padded table.
		tab := e.GetSymbolTable()
		if len(tab) != fsst.MaxTableSize {
			return nil, p.corrupt("fsst symbol table of %d bytes, want %d", len(tab), fsst.MaxTableSize)
		}
		if t, err = fsst.ParseTable(tab); err != nil {
			return nil, p.corrupt("%v", err)
		}
		if p.fsst == nil {
			p.fsst = map[*enc20.Fsst]*fsst.Table{}
		}
		p.fsst[e] = t
	}
	in, err := p.decode(e.GetBinary(), binLayout, start, n, depth+1)
	if err != nil {
		return nil, err
	}
	size := t.DecompressedLen(in.values)
	if err := p.b.take(size); err != nil {
		return nil, err
	}
	out := &chunk{n: n, validity: in.validity, offsets: make([]uint64, n+1), values: make([]byte, 0, size)}
	for i := uint64(0); i < n; i++ {
		out.values, err = t.AppendValue(out.values, in.values[in.offsets[i]:in.offsets[i+1]])
		if err != nil {
			return nil, p.corrupt("%v", err)
		}
		out.offsets[i+1] = uint64(len(out.values))
	}
	return out, nil
}

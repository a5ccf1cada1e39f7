package v21

import (
	"encoding/binary"

	"github.com/resona-go/resona/lance/internal/encoding/fsst"
	pb "github.com/resona-go/resona/lance/internal/pb/enc21"
)

// ControlWordSize is the byte width of a full-zip control word holding
// bitsRep repetition bits above bitsDef definition bits.
func ControlWordSize(bitsRep, bitsDef uint32) int {
	switch t := bitsRep + bitsDef; {
	case t == 0:
		return 0
	case t <= 8:
		return 1
	case t <= 16:
		return 2
	default:
		return 4
	}
}

// ParseControlWord splits a control word into its levels.
func ParseControlWord(b []byte, bitsRep, bitsDef uint32) (rep, def uint16) {
	var w uint32
	switch len(b) {
	case 1:
		w = uint32(b[0])
	case 2:
		w = uint32(binary.LittleEndian.Uint16(b))
	case 4:
		w = binary.LittleEndian.Uint32(b)
	}
	defMask := uint32(1)<<min(bitsDef, 31) - 1
	return uint16(w >> min(bitsDef, 31)), uint16(w & defMask)
}

// maxVisibleDef is the highest definition level that still has a value
// slot: the levels of item layers inside the innermost list.
func maxVisibleDef(layers []pb.RepDefLayer) uint16 {
	var lv uint16
	for _, l := range layers {
		if isListLayer(l) {
			break
		}
		if l == pb.RepDefLayer_REPDEF_NULLABLE_ITEM {
			lv++
		}
	}
	return lv
}

func isListLayer(l pb.RepDefLayer) bool {
	switch l {
	case pb.RepDefLayer_REPDEF_ALL_VALID_LIST, pb.RepDefLayer_REPDEF_NULLABLE_LIST,
		pb.RepDefLayer_REPDEF_EMPTYABLE_LIST, pb.RepDefLayer_REPDEF_NULL_AND_EMPTY_LIST:
		return true
	}
	return false
}

// decodeFullZipPage decodes a full-zip page: buffer 0 zips a control word
// with each item's value; fixed-width values are present for every visible
// item, variable-width values (a length then the bytes) only for valid ones.
func decodeFullZipPage(l *pb.FullZipLayout, bufs [][]byte, numRows uint64) (*leafPage, error) {
	if len(bufs) < 1 {
		return nil, corruptf("full-zip page without buffers")
	}
	p, err := decodeFullZip(l, bufs[0], int(l.GetNumItems()), numRows)
	if err != nil {
		return nil, err
	}
	if uint64(p.vals.n) != uint64(l.GetNumVisibleItems()) && l.GetNumVisibleItems() != 0 {
		return nil, corruptf("full-zip page: %d visible values, layout says %d", p.vals.n, l.GetNumVisibleItems())
	}
	return p, nil
}

// decodeFullZip decodes numItems zipped items from data; numItems < 0
// means every item up to the end of data (a slice of whole rows found
// through the repetition index).
func decodeFullZip(l *pb.FullZipLayout, data []byte, numItems int, numRows uint64) (*leafPage, error) {
	bitsRep, bitsDef := l.GetBitsRep(), l.GetBitsDef()
	if bitsRep > 16 || bitsDef > 16 {
		return nil, corruptf("full-zip control word of %d+%d bits", bitsRep, bitsDef)
	}
	cw := ControlWordSize(bitsRep, bitsDef)
	toEnd := numItems < 0
	if toEnd {
		if cw == 0 {
			numItems = int(min(numRows, maxItems+1))
			toEnd = false
		} else {
			numItems = len(data) / cw
		}
	}
	if numItems > maxItems || (cw > 0 && numItems > len(data)/cw) {
		return nil, corruptf("full-zip page of %d items in %d bytes", numItems, len(data))
	}
	p := &leafPage{layers: l.GetLayers(), numRows: numRows}
	if bitsRep > 0 {
		p.rep = make([]uint16, numItems)
	}
	if bitsDef > 0 {
		p.def = make([]uint16, numItems)
	}
	// done reports the end of the items; in toEnd mode numItems is only an
	// upper bound and the levels are trimmed at the end.
	done := func(i, pos int) bool {
		if toEnd {
			return pos >= len(data)
		}
		return i >= numItems
	}
	last := 0
	maxVis := maxVisibleDef(p.layers)
	visible := func(def uint16) bool { return bitsRep == 0 || def <= maxVis }

	switch d := l.GetDetails().(type) {
	case *pb.FullZipLayout_BitsPerValue:
		if d.BitsPerValue%8 != 0 || d.BitsPerValue == 0 {
			return nil, unsupportedf("full-zip values of %d bits", d.BitsPerValue)
		}
		size := int(d.BitsPerValue / 8)
		var raw []byte
		if cw == 0 {
			if numItems*size > len(data) {
				return nil, corruptf("full-zip page: %d values of %d bytes in %d", numItems, size, len(data))
			}
			raw = data[: numItems*size : numItems*size]
		} else {
			raw = make([]byte, 0, min(numItems*size, len(data)))
			pos := 0
			for i := 0; !done(i, pos); i++ {
				last = i + 1
				if pos+cw > len(data) {
					return nil, corruptf("full-zip page truncated at item %d", i)
				}
				r, df := ParseControlWord(data[pos:pos+cw], bitsRep, bitsDef)
				pos += cw
				if p.rep != nil {
					p.rep[i] = r
				}
				if p.def != nil {
					p.def[i] = df
				}
				if !visible(df) {
					continue
				}
				if pos+size > len(data) {
					return nil, corruptf("full-zip page truncated at item %d", i)
				}
				raw = append(raw, data[pos:pos+size]...)
				pos += size
			}
		}
		vals, err := decodeFixedPerValue(l.GetValueCompression(), raw, size)
		if err != nil {
			return nil, err
		}
		p.vals = vals
	case *pb.FullZipLayout_BitsPerOffset:
		lw := int(d.BitsPerOffset / 8)
		if lw != 4 && lw != 8 {
			return nil, corruptf("full-zip lengths of %d bits", d.BitsPerOffset)
		}
		decodeValue, err := newVarDecoder(l.GetValueCompression())
		if err != nil {
			return nil, err
		}
		offs := make([]uint64, 1, min(numItems, len(data))+1)
		var out []byte
		pos := 0
		for i := 0; !done(i, pos); i++ {
			last = i + 1
			if pos+cw > len(data) {
				return nil, corruptf("full-zip page truncated at item %d", i)
			}
			r, df := ParseControlWord(data[pos:pos+cw], bitsRep, bitsDef)
			pos += cw
			if p.rep != nil {
				p.rep[i] = r
			}
			if p.def != nil {
				p.def[i] = df
			}
			if !visible(df) {
				continue
			}
			if df == 0 {
				if pos+lw > len(data) {
					return nil, corruptf("full-zip page truncated at item %d", i)
				}
				n := readUint(data[pos:], lw)
				pos += lw
				if n > uint64(len(data)-pos) {
					return nil, corruptf("full-zip value %d of %d bytes beyond page", i, n)
				}
				v := data[pos : pos+int(n)]
				pos += int(n)
				if v, err = decodeValue(v); err != nil {
					return nil, err
				}
				out = append(out, v...)
			}
			offs = append(offs, uint64(len(out)))
		}
		p.vals = block{n: len(offs) - 1, data: out, offs: offs}
	default:
		return nil, corruptf("full-zip page without value width")
	}
	if toEnd {
		if p.rep != nil {
			p.rep = p.rep[:last]
		}
		if p.def != nil {
			p.def = p.def[:last]
		}
	}
	return p, nil
}

// decodeFixedPerValue interprets concatenated fixed-width full-zip values.
// A fixed-size list with validity stores each value as its item bitmap
// (ceil(dim/8) bytes) then the items.
func decodeFixedPerValue(enc *pb.CompressiveEncoding, raw []byte, size int) (block, error) {
	n := len(raw) / size
	switch c := enc.GetCompression().(type) {
	case *pb.CompressiveEncoding_Flat:
		if c.Flat.GetData() != nil {
			return block{}, unsupportedf("compressed full-zip fixed values")
		}
		if c.Flat.GetBitsPerValue() != uint64(size)*8 {
			return block{}, corruptf("full-zip: %d-bit values in %d-byte slots", c.Flat.GetBitsPerValue(), size)
		}
		return newFixed(raw, n, 1, size*8)
	case *pb.CompressiveEncoding_FixedSizeList:
		f := c.FixedSizeList
		dim := int(min(f.GetItemsPerValue(), 1<<20))
		flat := f.GetValues().GetFlat()
		if flat == nil || flat.GetData() != nil || dim == 0 {
			return block{}, unsupportedf("full-zip fixed-size list over %T", f.GetValues().GetCompression())
		}
		if b := flat.GetBitsPerValue(); b == 0 || b > 64 {
			return block{}, corruptf("full-zip fixed-size list of %d-bit items", b)
		}
		bitsPer := int(flat.GetBitsPerValue())
		valBytes := (dim*bitsPer + 7) / 8
		if !f.GetHasValidity() {
			if valBytes != size {
				return block{}, corruptf("full-zip fixed-size list: %d-byte values in %d-byte slots", valBytes, size)
			}
			b, err := newFixed(raw, n, dim, bitsPer)
			return b, err
		}
		vb := (dim + 7) / 8
		if vb+valBytes != size {
			return block{}, corruptf("full-zip fixed-size list with validity: %d+%d bytes in %d-byte slots", vb, valBytes, size)
		}
		valid := make([]byte, (n*dim+7)/8)
		data := make([]byte, n*valBytes)
		for i := 0; i < n; i++ {
			slot := raw[i*size : (i+1)*size]
			copyBits(valid, i*dim, slot[:vb], dim)
			copy(data[i*valBytes:], slot[vb:])
		}
		b, err := newFixed(data, n, dim, bitsPer)
		b.valid = valid
		return b, err
	}
	return block{}, unsupportedf("full-zip fixed value compression %T", enc.GetCompression())
}

// varDecoder undoes the per-value compression of one full-zip value.
type varDecoder func(v []byte) ([]byte, error)

// newVarDecoder prepares the per-value decoder once per page (FSST tables
// are parsed once, not per value).
func newVarDecoder(enc *pb.CompressiveEncoding) (varDecoder, error) {
	switch c := enc.GetCompression().(type) {
	case *pb.CompressiveEncoding_Variable:
		return func(v []byte) ([]byte, error) { return v, nil }, nil
	case *pb.CompressiveEncoding_General:
		inner, err := newVarDecoder(c.General.GetValues())
		if err != nil {
			return nil, err
		}
		scheme := c.General.GetCompression().GetScheme()
		return func(v []byte) ([]byte, error) {
			out, err := Decompress(scheme, v)
			if err != nil {
				return nil, err
			}
			return inner(out)
		}, nil
	case *pb.CompressiveEncoding_Fsst:
		t, err := fsst.ParseTable(c.Fsst.GetSymbolTable())
		if err != nil {
			return nil, err
		}
		inner, err := newVarDecoder(c.Fsst.GetValues())
		if err != nil {
			return nil, err
		}
		return func(v []byte) ([]byte, error) {
			out, _, err := fsstDecompress(t, v, []uint64{0, uint64(len(v))}, maxDecompressed)
			if err != nil {
				return nil, err
			}
			return inner(out)
		}, nil
	}
	return nil, unsupportedf("full-zip variable value compression %T", enc.GetCompression())
}

package v21

import (
	"encoding/binary"

	"github.com/resona-go/resona/lance/internal/encoding/fsst"
	pb "github.com/resona-go/resona/lance/internal/pb/enc21"
)

// maxItems bounds the item count of one page, so that corrupt counts
// cannot drive allocations.
const maxItems = 1 << 28

// maxChunkItems bounds the items of one mini-block chunk after flattening
// fixed-size lists. Mini-block pages are only written for values below 256
// bytes in chunks of at most 4096 values.
const maxChunkItems = 1 << 20

// maxExpanded bounds the output of encodings that expand without reading
// input (constants, runs).
const maxExpanded = 1 << 28

// decodeMini decodes the value buffers of one mini-block chunk holding n
// values.
func decodeMini(enc *pb.CompressiveEncoding, bufs [][]byte, n int) (block, error) {
	if n < 0 || n > maxItems {
		return block{}, corruptf("mini-block chunk of %d values", n)
	}
	if enc == nil {
		return block{}, corruptf("missing value compression")
	}
	need := func(k int) error {
		if len(bufs) < k {
			return corruptf("%d buffers for %T, need %d", len(bufs), enc.GetCompression(), k)
		}
		return nil
	}
	switch c := enc.GetCompression().(type) {
	case *pb.CompressiveEncoding_Flat:
		if err := need(1); err != nil {
			return block{}, err
		}
		data, err := maybeDecompress(c.Flat.GetData(), bufs[0])
		if err != nil {
			return block{}, err
		}
		return newFixed(data, n, 1, int(min(c.Flat.GetBitsPerValue(), 1<<21)))
	case *pb.CompressiveEncoding_InlineBitpacking:
		if err := need(1); err != nil {
			return block{}, err
		}
		data, err := maybeDecompress(c.InlineBitpacking.GetValues(), bufs[0])
		if err != nil {
			return block{}, err
		}
		bitsPer := int(min(c.InlineBitpacking.GetUncompressedBitsPerValue(), 128))
		out, err := UnpackInline(data, bitsPer, n)
		if err != nil {
			return block{}, err
		}
		return newFixed(out, n, 1, bitsPer)
	case *pb.CompressiveEncoding_Variable:
		if err := need(1); err != nil {
			return block{}, err
		}
		width, err := offsetWidth(c.Variable.GetOffsets())
		if err != nil {
			return block{}, err
		}
		offs, err := readOffsets(bufs[0], n, width)
		if err != nil {
			return block{}, err
		}
		return newVariable(bufs[0], offs)
	case *pb.CompressiveEncoding_Fsst:
		inner, err := decodeMini(c.Fsst.GetValues(), bufs, n)
		if err != nil {
			return block{}, err
		}
		return fsstBlock(c.Fsst.GetSymbolTable(), inner)
	case *pb.CompressiveEncoding_General:
		if err := need(1); err != nil {
			return block{}, err
		}
		first, err := Decompress(c.General.GetCompression().GetScheme(), bufs[0])
		if err != nil {
			return block{}, err
		}
		rest := append([][]byte{first}, bufs[1:]...)
		return decodeMini(c.General.GetValues(), rest, n)
	case *pb.CompressiveEncoding_Rle:
		if err := need(2); err != nil {
			return block{}, err
		}
		return decodeRLE(c.Rle, bufs[0], bufs[1], n)
	case *pb.CompressiveEncoding_FixedSizeList:
		return decodeFSL(c.FixedSizeList, bufs, n, decodeMini)
	case *pb.CompressiveEncoding_ByteStreamSplit:
		inner, err := decodeMini(c.ByteStreamSplit.GetValues(), bufs, n)
		if err != nil {
			return block{}, err
		}
		return unsplitBytes(inner)
	case *pb.CompressiveEncoding_Constant:
		return constantBlock(c.Constant.GetValue(), n)
	case *pb.CompressiveEncoding_Range:
		return rangeBlock(c.Range, n)
	case *pb.CompressiveEncoding_Delta:
		return deltaBlock(c.Delta, n, func(enc *pb.CompressiveEncoding, m int) (block, error) { return decodeMini(enc, bufs, m) })
	}
	return block{}, unsupportedf("mini-block value compression %T", enc.GetCompression())
}

// decodeBlock decodes a whole-buffer ("block") encoding holding n values:
// repetition and definition levels, dictionaries, constant-page levels.
func decodeBlock(enc *pb.CompressiveEncoding, buf []byte, n int) (block, error) {
	if n < 0 || n > maxItems {
		return block{}, corruptf("block of %d values", n)
	}
	if enc == nil {
		return block{}, corruptf("missing block compression")
	}
	switch c := enc.GetCompression().(type) {
	case *pb.CompressiveEncoding_Flat:
		data, err := maybeDecompress(c.Flat.GetData(), buf)
		if err != nil {
			return block{}, err
		}
		return newFixed(data, n, 1, int(min(c.Flat.GetBitsPerValue(), 1<<21)))
	case *pb.CompressiveEncoding_OutOfLineBitpacking:
		o := c.OutOfLineBitpacking
		flat := o.GetValues().GetFlat()
		if flat == nil {
			return block{}, unsupportedf("out-of-line bitpacking over %T", o.GetValues().GetCompression())
		}
		data, err := maybeDecompress(flat.GetData(), buf)
		if err != nil {
			return block{}, err
		}
		bitsPer := int(min(o.GetUncompressedBitsPerValue(), 128))
		out, err := UnpackOutOfLine(data, bitsPer, int(min(flat.GetBitsPerValue(), 128)), n)
		if err != nil {
			return block{}, err
		}
		return newFixed(out, n, 1, bitsPer)
	case *pb.CompressiveEncoding_InlineBitpacking:
		data, err := maybeDecompress(c.InlineBitpacking.GetValues(), buf)
		if err != nil {
			return block{}, err
		}
		bitsPer := int(min(c.InlineBitpacking.GetUncompressedBitsPerValue(), 128))
		out, err := UnpackInline(data, bitsPer, n)
		if err != nil {
			return block{}, err
		}
		return newFixed(out, n, 1, bitsPer)
	case *pb.CompressiveEncoding_Variable:
		return decodeVariableBlock(buf, n)
	case *pb.CompressiveEncoding_General:
		data, err := Decompress(c.General.GetCompression().GetScheme(), buf)
		if err != nil {
			return block{}, err
		}
		return decodeBlock(c.General.GetValues(), data, n)
	case *pb.CompressiveEncoding_Fsst:
		inner, err := decodeBlock(c.Fsst.GetValues(), buf, n)
		if err != nil {
			return block{}, err
		}
		return fsstBlock(c.Fsst.GetSymbolTable(), inner)
	case *pb.CompressiveEncoding_Rle:
		return decodeRLEBlock(c.Rle, buf, n)
	case *pb.CompressiveEncoding_Range:
		return rangeBlock(c.Range, n)
	case *pb.CompressiveEncoding_Delta:
		return deltaBlock(c.Delta, n, func(enc *pb.CompressiveEncoding, m int) (block, error) { return decodeBlock(enc, buf, m) })
	case *pb.CompressiveEncoding_Constant:
		return constantBlock(c.Constant.GetValue(), n)
	}
	return block{}, unsupportedf("block compression %T", enc.GetCompression())
}

// decodeVariableBlock reads the self-describing variable-width block: a
// header naming the offset width and where the bytes start, then n+1
// offsets, then the bytes. Older writers used a u8 width and a value count.
func decodeVariableBlock(buf []byte, n int) (block, error) {
	if len(buf) < 8 {
		return block{}, corruptf("variable block of %d bytes", len(buf))
	}
	var width int
	var start uint64
	var offStart int
	if buf[1] != 0 || buf[2] != 0 || buf[3] != 0 {
		switch buf[0] {
		case 32:
			if len(buf) < 9 {
				return block{}, corruptf("variable block header truncated")
			}
			width, start, offStart = 4, uint64(binary.LittleEndian.Uint32(buf[5:])), 9
		case 64:
			if len(buf) < 17 {
				return block{}, corruptf("variable block header truncated")
			}
			width, start, offStart = 8, binary.LittleEndian.Uint64(buf[9:]), 17
		default:
			return block{}, corruptf("variable block with %d-bit offsets", buf[0])
		}
	} else {
		switch binary.LittleEndian.Uint32(buf) {
		case 32:
			width, start, offStart = 4, uint64(binary.LittleEndian.Uint32(buf[4:])), 8
		case 64:
			if len(buf) < 16 {
				return block{}, corruptf("variable block header truncated")
			}
			width, start, offStart = 8, binary.LittleEndian.Uint64(buf[8:]), 16
		default:
			return block{}, corruptf("variable block with %d-bit offsets", binary.LittleEndian.Uint32(buf))
		}
	}
	if start < uint64(offStart) || start > uint64(len(buf)) {
		return block{}, corruptf("variable block: bytes start at %d of %d", start, len(buf))
	}
	offs, err := readOffsets(buf[offStart:start], n, width)
	if err != nil {
		return block{}, err
	}
	return newVariable(buf[start:], offs)
}

func maybeDecompress(bc *pb.BufferCompression, buf []byte) ([]byte, error) {
	if bc == nil {
		return buf, nil
	}
	return Decompress(bc.GetScheme(), buf)
}

func offsetWidth(enc *pb.CompressiveEncoding) (int, error) {
	f := enc.GetFlat()
	if f == nil || f.GetData() != nil {
		return 0, unsupportedf("variable-width offsets encoded as %T", enc.GetCompression())
	}
	switch f.GetBitsPerValue() {
	case 32:
		return 4, nil
	case 64:
		return 8, nil
	}
	return 0, corruptf("%d-bit offsets", f.GetBitsPerValue())
}

func fsstBlock(table []byte, inner block) (block, error) {
	if !inner.variable() {
		return block{}, corruptf("fsst over fixed-width data")
	}
	t, err := fsst.ParseTable(table)
	if err != nil {
		return block{}, err
	}
	data, offs, err := fsstDecompress(t, inner.data, inner.offs, maxDecompressed)
	if err != nil {
		return block{}, err
	}
	return block{n: inner.n, data: data, offs: offs}, nil
}

// decodeRLE expands run values (one per run) by their run lengths (u8
// unless the encoding says otherwise). Mini-block chunks must cover exactly
// n values; the whole-buffer form may carry runs past n, which are cut.
func decodeRLE(r *pb.Rle, valBuf, runBuf []byte, n int) (block, error) {
	return expandRLE(r, valBuf, runBuf, n, false)
}

func expandRLE(r *pb.Rle, valBuf, runBuf []byte, n int, lenient bool) (block, error) {
	rf := r.GetRunLengths().GetFlat()
	vf := r.GetValues().GetFlat()
	if rf == nil || vf == nil || rf.GetData() != nil || vf.GetData() != nil {
		return block{}, unsupportedf("rle layout %v", r)
	}
	lw := int(rf.GetBitsPerValue() / 8)
	if lw != 1 && lw != 2 && lw != 4 || rf.GetBitsPerValue()%8 != 0 {
		return block{}, corruptf("rle run lengths of %d bits", rf.GetBitsPerValue())
	}
	if b := vf.GetBitsPerValue(); b%8 != 0 || b == 0 || b > 128 {
		return block{}, corruptf("rle of %d-bit values", b)
	}
	bitsPer := int(vf.GetBitsPerValue())
	size := bitsPer / 8
	runs := len(runBuf) / lw
	if runs*size > len(valBuf) {
		return block{}, corruptf("rle: %d runs, %d value bytes", runs, len(valBuf))
	}
	covered := 0
	for i := 0; i < runs && covered < n; i++ {
		covered += int(readUint(runBuf[i*lw:], lw))
	}
	if covered < n || (!lenient && covered > n) {
		return block{}, corruptf("rle: runs cover %d of %d values", covered, n)
	}
	if uint64(n)*uint64(size) > maxExpanded {
		return block{}, corruptf("rle expands to %d values", n)
	}
	out := make([]byte, n*size)
	pos := 0
	for i := 0; i < runs && pos < n; i++ {
		l := int(readUint(runBuf[i*lw:], lw))
		if pos+l > n {
			if !lenient {
				return block{}, corruptf("rle: runs exceed %d values", n)
			}
			l = n - pos
		}
		v := valBuf[i*size : (i+1)*size]
		for k := 0; k < l; k++ {
			copy(out[(pos+k)*size:], v)
		}
		pos += l
	}
	if pos != n {
		return block{}, corruptf("rle: runs cover %d of %d values", pos, n)
	}
	return block{n: n, bitsPer: bitsPer, dim: 1, data: out}, nil
}

// decodeRLEBlock reads the whole-buffer RLE frame: a u64 size of the run
// values, the values, then the run lengths.
func decodeRLEBlock(r *pb.Rle, buf []byte, n int) (block, error) {
	if len(buf) < 8 {
		return block{}, corruptf("rle block of %d bytes", len(buf))
	}
	vs := binary.LittleEndian.Uint64(buf)
	if vs > uint64(len(buf)-8) {
		return block{}, corruptf("rle block: %d value bytes in %d", vs, len(buf)-8)
	}
	return expandRLE(r, buf[8:8+vs], buf[8+vs:], n, true)
}

type miniDecoder func(enc *pb.CompressiveEncoding, bufs [][]byte, n int) (block, error)

// decodeFSL flattens a fixed-size-list layer: with validity, buffer 0 is the
// item validity bitmap and the rest hold the items.
func decodeFSL(f *pb.FixedSizeList, bufs [][]byte, n int, inner miniDecoder) (block, error) {
	dim := f.GetItemsPerValue()
	if dim == 0 || dim > 1<<20 || uint64(n)*dim > maxChunkItems {
		return block{}, corruptf("fixed-size list of %d items x %d", n, dim)
	}
	items := n * int(dim)
	var valid []byte
	if f.GetHasValidity() {
		if len(bufs) < 2 {
			return block{}, corruptf("fixed-size list with validity needs 2 buffers")
		}
		if len(bufs[0])*8 < items {
			return block{}, corruptf("fixed-size list validity: %d bytes for %d items", len(bufs[0]), items)
		}
		valid = bufs[0][:(items+7)/8]
		bufs = bufs[1:]
	}
	b, err := inner(f.GetValues(), bufs, items)
	if err != nil {
		return block{}, err
	}
	if b.variable() || b.valid != nil {
		return block{}, unsupportedf("nested fixed-size list items")
	}
	b.n, b.dim, b.valid = n, b.dim*int(dim), valid
	return b, nil
}

func unsplitBytes(b block) (block, error) {
	if b.variable() || b.bitsPer%8 != 0 {
		return block{}, corruptf("byte-stream split over %d-bit values", b.bitsPer)
	}
	size := b.bitsPer / 8
	count := b.n * b.dim
	out := make([]byte, len(b.data))
	for s := 0; s < size; s++ {
		stream := b.data[s*count : (s+1)*count]
		for i, v := range stream {
			out[i*size+s] = v
		}
	}
	b.data = out
	return b, nil
}

func constantBlock(v []byte, n int) (block, error) {
	if len(v) == 0 || len(v) > 64 {
		return block{}, corruptf("constant of %d bytes", len(v))
	}
	if uint64(n)*uint64(len(v)) > maxExpanded {
		return block{}, corruptf("constant expands to %d values", n)
	}
	out := make([]byte, n*len(v))
	for i := 0; i < n; i++ {
		copy(out[i*len(v):], v)
	}
	return block{n: n, bitsPer: len(v) * 8, dim: 1, data: out}, nil
}

// rangeBlock materialises the arithmetic sequence start + step*i.
func rangeBlock(r *pb.Range, n int) (block, error) {
	bitsPer := r.GetUncompressedBitsPerValue()
	if bitsPer != 32 && bitsPer != 64 {
		return block{}, corruptf("range of %d-bit values", bitsPer)
	}
	size := int(bitsPer / 8)
	if uint64(n)*uint64(size) > maxExpanded {
		return block{}, corruptf("range expands to %d values", n)
	}
	out := make([]byte, n*size)
	v := r.GetStart()
	for i := 0; i < n; i++ {
		if size == 4 {
			binary.LittleEndian.PutUint32(out[4*i:], uint32(v))
		} else {
			binary.LittleEndian.PutUint64(out[8*i:], v)
		}
		v += r.GetStep()
	}
	return block{n: n, bitsPer: size * 8, dim: 1, data: out}, nil
}

// deltaBlock rebuilds a non-decreasing sequence from its first value and
// the n-1 differences the child encoding holds.
func deltaBlock(d *pb.Delta, n int, child func(*pb.CompressiveEncoding, int) (block, error)) (block, error) {
	bitsPer := d.GetUncompressedBitsPerValue()
	if bitsPer != 32 && bitsPer != 64 {
		return block{}, corruptf("delta of %d-bit values", bitsPer)
	}
	size := int(bitsPer / 8)
	if uint64(n)*uint64(size) > maxExpanded {
		return block{}, corruptf("delta expands to %d values", n)
	}
	out := make([]byte, n*size)
	if n == 0 {
		return block{n: 0, bitsPer: size * 8, dim: 1, data: out}, nil
	}
	var deltas block
	if n > 1 {
		var err error
		if deltas, err = child(d.GetDeltas(), n-1); err != nil {
			return block{}, err
		}
		if deltas.variable() || deltas.dim != 1 || deltas.bitsPer%8 != 0 || deltas.bitsPer > 64 || deltas.n != n-1 {
			return block{}, corruptf("delta differences of %d bits", deltas.bitsPer)
		}
	}
	v := d.GetBase()
	ds := deltas.bitsPer / 8
	for i := 0; i < n; i++ {
		if i > 0 {
			v += readUint(deltas.data[(i-1)*ds:], ds)
		}
		if size == 4 {
			binary.LittleEndian.PutUint32(out[4*i:], uint32(v))
		} else {
			binary.LittleEndian.PutUint64(out[8*i:], v)
		}
	}
	return block{n: n, bitsPer: size * 8, dim: 1, data: out}, nil
}

package format

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"
)

// Arrow IPC file constants (Arrow columnar format, "IPC File Format").
const (
	arrowFileMagic       = "ARROW1"
	ipcContinuation      = 0xFFFFFFFF
	ipcHeaderRecordBatch = 3
	arrowTypeInt         = 2
	ipcCodecLZ4Frame     = 0
	ipcCodecZstd         = 1
	// maxDeletionRows bounds the rows of a deletion batch: offsets are u32.
	maxDeletionRows = 1 << 32
	// minExpansionCap and maxExpansion bound the decompressed size of a
	// buffer relative to its compressed size, so that a hostile length
	// prefix cannot make the reader allocate without limit.
	minExpansionCap = 1 << 20
	maxExpansion    = 256
	// zstdMinMemory lets the decoder allocate its window even for tiny
	// outputs; the output itself is checked against the declared length.
	zstdMinMemory = 16 << 20
)

// decodeDeletionArrow parses an Arrow IPC file holding one non-null uint32
// column and returns its values as a bitmap. Only what Lance writes is
// accepted: a single-column schema of unsigned 32-bit ints and record
// batches whose buffers are raw, LZ4-frame or ZSTD compressed. Batches are
// located through the file footer (writers may pad after the leading magic).
func decodeDeletionArrow(path string, data []byte) (*roaring.Bitmap, error) {
	const trailer = 4 + len(arrowFileMagic) // footer length + magic
	if len(data) < 8+trailer || string(data[:6]) != arrowFileMagic || string(data[len(data)-6:]) != arrowFileMagic {
		return nil, corruptf(path, "not an Arrow IPC file (%d bytes)", len(data))
	}
	flen := int64(int32(binary.LittleEndian.Uint32(data[len(data)-trailer:])))
	if flen <= 0 || flen > int64(len(data)-trailer-8) {
		return nil, corruptf(path, "Arrow footer length %d out of range", flen)
	}
	footerBuf := data[int64(len(data)-trailer)-flen : len(data)-trailer]
	footer, err := fbRoot(footerBuf)
	if err != nil {
		return nil, corruptf(path, "Arrow footer: %v", err)
	}
	schema, ok, err := footer.table(1)
	if err != nil || !ok {
		return nil, corruptf(path, "Arrow footer has no schema")
	}
	if err := checkDeletionSchema(schema); err != nil {
		return nil, corruptf(path, "deletion file schema: %v", err)
	}
	const blockSize = 24 // offset i64, metadata length i32, padding, body length i64
	nb, bstart, err := footer.vector(3, blockSize)
	if err != nil {
		return nil, corruptf(path, "Arrow footer record batches: %v", err)
	}
	out := roaring.New()
	for i := 0; i < nb; i++ {
		blk := footerBuf[bstart+i*blockSize:]
		off := int64(binary.LittleEndian.Uint64(blk))
		metaLen := int64(int32(binary.LittleEndian.Uint32(blk[8:])))
		bodyLen := int64(binary.LittleEndian.Uint64(blk[16:]))
		meta, body, err := ipcBlock(data, off, metaLen, bodyLen)
		if err != nil {
			return nil, corruptf(path, "record batch %d: %v", i, err)
		}
		msg, err := fbRoot(meta)
		if err != nil {
			return nil, corruptf(path, "record batch %d: %v", i, err)
		}
		htype, err := msg.u8(1, 0)
		if err != nil {
			return nil, corruptf(path, "record batch %d: %v", i, err)
		}
		header, ok, err := msg.table(2)
		if err != nil || !ok || htype != ipcHeaderRecordBatch {
			return nil, corruptf(path, "block %d is not a record batch (type %d)", i, htype)
		}
		if err := readDeletionBatch(header, body, out); err != nil {
			return nil, corruptf(path, "record batch %d: %v", i, err)
		}
	}
	return out, nil
}

// ipcBlock returns the message flatbuffer and body of the footer block
// [off, off+metaLen+bodyLen). The metadata starts with an optional
// continuation marker and an i32 length.
func ipcBlock(data []byte, off, metaLen, bodyLen int64) (meta, body []byte, err error) {
	size := int64(len(data))
	if off < 0 || metaLen < 8 || bodyLen < 0 || off > size || metaLen > size-off || bodyLen > size-off-metaLen {
		return nil, nil, fmt.Errorf("block [%d, +%d+%d) outside the %d-byte file", off, metaLen, bodyLen, size)
	}
	m := data[off : off+metaLen]
	hdr := 4
	n := int64(binary.LittleEndian.Uint32(m))
	if uint32(n) == ipcContinuation {
		n = int64(binary.LittleEndian.Uint32(m[4:]))
		hdr = 8
	}
	if n > metaLen-int64(hdr) {
		return nil, nil, fmt.Errorf("message length %d exceeds its block", n)
	}
	return m[hdr : int64(hdr)+n], data[off+metaLen : off+metaLen+bodyLen], nil
}

// checkDeletionSchema requires exactly one field of type uint32.
func checkDeletionSchema(schema fbTable) error {
	n, start, err := schema.vector(1, 4)
	if err != nil {
		return err
	}
	if n != 1 {
		return fmt.Errorf("%d fields, want 1", n)
	}
	field, err := schema.vectorTable(start, 0)
	if err != nil {
		return err
	}
	tt, err := field.u8(2, 0)
	if err != nil {
		return err
	}
	typ, ok, err := field.table(3)
	if err != nil {
		return err
	}
	if tt != arrowTypeInt || !ok {
		return fmt.Errorf("column type id %d, want uint32", tt)
	}
	width, err := typ.i32(0, 0)
	if err != nil {
		return err
	}
	signed, err := typ.u8(1, 0)
	if err != nil {
		return err
	}
	if width != 32 || signed != 0 {
		return fmt.Errorf("column is a %d-bit int (signed=%v), want uint32", width, signed != 0)
	}
	return nil
}

// readDeletionBatch adds the values of one record batch to out.
func readDeletionBatch(rb fbTable, body []byte, out *roaring.Bitmap) error {
	length, err := rb.i64(0, 0)
	if err != nil {
		return err
	}
	if length < 0 || length > maxDeletionRows {
		return fmt.Errorf("row count %d out of range", length)
	}
	nn, nstart, err := rb.vector(1, 16)
	if err != nil {
		return err
	}
	if nn != 1 {
		return fmt.Errorf("%d field nodes, want 1", nn)
	}
	nodeLen := int64(binary.LittleEndian.Uint64(rb.buf[nstart:]))
	nulls := int64(binary.LittleEndian.Uint64(rb.buf[nstart+8:]))
	if nodeLen != length || nulls != 0 {
		return fmt.Errorf("field node has %d rows and %d nulls, batch has %d rows", nodeLen, nulls, length)
	}
	nb, bstart, err := rb.vector(2, 16)
	if err != nil {
		return err
	}
	if nb != 2 {
		return fmt.Errorf("%d buffers, want 2 (validity, values)", nb)
	}
	codec := -1
	if comp, ok, err := rb.table(3); err != nil {
		return err
	} else if ok {
		c, err := comp.u8(0, 0)
		if err != nil {
			return err
		}
		codec = int(c)
	}
	off := int64(binary.LittleEndian.Uint64(rb.buf[bstart+16:]))
	blen := int64(binary.LittleEndian.Uint64(rb.buf[bstart+24:]))
	if off < 0 || blen < 0 || off > int64(len(body)) || blen > int64(len(body))-off {
		return fmt.Errorf("values buffer [%d,+%d) outside the %d-byte body", off, blen, len(body))
	}
	values, err := ipcBuffer(body[off:off+blen], codec, length*4)
	if err != nil {
		return err
	}
	if int64(len(values)) < length*4 {
		return fmt.Errorf("values buffer holds %d bytes, want %d", len(values), length*4)
	}
	vals := make([]uint32, length)
	for i := range vals {
		vals[i] = binary.LittleEndian.Uint32(values[4*i:])
	}
	out.AddMany(vals)
	return nil
}

// ipcBuffer returns the uncompressed content of a body buffer. With a codec,
// the buffer starts with an i64 uncompressed length (-1: stored raw).
func ipcBuffer(b []byte, codec int, want int64) ([]byte, error) {
	if codec < 0 || len(b) == 0 {
		return b, nil
	}
	if len(b) < 8 {
		return nil, fmt.Errorf("compressed buffer of %d bytes has no length prefix", len(b))
	}
	ulen := int64(binary.LittleEndian.Uint64(b))
	src := b[8:]
	if ulen == -1 {
		return src, nil
	}
	if ulen != want {
		return nil, fmt.Errorf("buffer decompresses to %d bytes, want %d", ulen, want)
	}
	if ulen > max(minExpansionCap, maxExpansion*int64(len(src))) {
		return nil, fmt.Errorf("buffer claims %d bytes from %d compressed", ulen, len(src))
	}
	var out []byte
	switch codec {
	case ipcCodecZstd:
		dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(max(uint64(ulen)+1, zstdMinMemory)))
		if err != nil {
			return nil, err
		}
		defer dec.Close()
		out, err = dec.DecodeAll(src, make([]byte, 0, ulen))
		if err != nil {
			return nil, fmt.Errorf("zstd: %w", err)
		}
	case ipcCodecLZ4Frame:
		r := lz4.NewReader(bytes.NewReader(src))
		out = make([]byte, ulen)
		if _, err := io.ReadFull(r, out); err != nil {
			return nil, fmt.Errorf("lz4: %w", err)
		}
	default:
		return nil, fmt.Errorf("unknown IPC compression codec %d", codec)
	}
	if int64(len(out)) != ulen {
		return nil, fmt.Errorf("buffer decompressed to %d bytes, header says %d", len(out), ulen)
	}
	return out, nil
}

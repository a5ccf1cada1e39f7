package format

import (
	"encoding/binary"
	"errors"
)

// A minimal, bounds-checked reader of the FlatBuffers wire format, enough
// to decode the Arrow IPC messages of deletion files. Every offset is
// checked against the buffer before use, so hostile input yields an error.

var errFlatbuf = errors.New("flatbuffer offset out of range")

type fbTable struct {
	buf []byte
	pos int // table start
	vt  int // vtable start
	vtn int // vtable size in bytes
}

func fbU32(buf []byte, off int) (uint32, error) {
	if off < 0 || off > len(buf)-4 {
		return 0, errFlatbuf
	}
	return binary.LittleEndian.Uint32(buf[off:]), nil
}

// fbRoot returns the root table of a flatbuffer.
func fbRoot(buf []byte) (fbTable, error) {
	off, err := fbU32(buf, 0)
	if err != nil {
		return fbTable{}, err
	}
	return fbTableAt(buf, int64(off))
}

func fbTableAt(buf []byte, pos int64) (fbTable, error) {
	if pos < 0 || pos > int64(len(buf))-4 {
		return fbTable{}, errFlatbuf
	}
	soff := int64(int32(binary.LittleEndian.Uint32(buf[pos:])))
	vt := pos - soff
	if vt < 0 || vt > int64(len(buf))-4 {
		return fbTable{}, errFlatbuf
	}
	vtn := int64(binary.LittleEndian.Uint16(buf[vt:]))
	if vtn < 4 || vtn%2 != 0 || vt+vtn > int64(len(buf)) {
		return fbTable{}, errFlatbuf
	}
	return fbTable{buf: buf, pos: int(pos), vt: int(vt), vtn: int(vtn)}, nil
}

// field returns the absolute position of field i, or -1 when absent.
func (t fbTable) field(i int) int {
	e := 4 + 2*i
	if e+2 > t.vtn {
		return -1
	}
	off := int(binary.LittleEndian.Uint16(t.buf[t.vt+e:]))
	if off == 0 {
		return -1
	}
	return t.pos + off
}

func (t fbTable) scalar(i, size int) ([]byte, bool, error) {
	p := t.field(i)
	if p < 0 {
		return nil, false, nil
	}
	if p > len(t.buf)-size {
		return nil, false, errFlatbuf
	}
	return t.buf[p : p+size], true, nil
}

func (t fbTable) u8(i int, def uint8) (uint8, error) {
	b, ok, err := t.scalar(i, 1)
	if err != nil || !ok {
		return def, err
	}
	return b[0], nil
}

func (t fbTable) i32(i int, def int32) (int32, error) {
	b, ok, err := t.scalar(i, 4)
	if err != nil || !ok {
		return def, err
	}
	return int32(binary.LittleEndian.Uint32(b)), nil
}

func (t fbTable) i64(i int, def int64) (int64, error) {
	b, ok, err := t.scalar(i, 8)
	if err != nil || !ok {
		return def, err
	}
	return int64(binary.LittleEndian.Uint64(b)), nil
}

// indirect follows the offset stored in field i.
func (t fbTable) indirect(i int) (int64, bool, error) {
	p := t.field(i)
	if p < 0 {
		return 0, false, nil
	}
	rel, err := fbU32(t.buf, p)
	if err != nil {
		return 0, false, err
	}
	return int64(p) + int64(rel), true, nil
}

// table returns the sub-table in field i.
func (t fbTable) table(i int) (fbTable, bool, error) {
	p, ok, err := t.indirect(i)
	if err != nil || !ok {
		return fbTable{}, false, err
	}
	sub, err := fbTableAt(t.buf, p)
	return sub, err == nil, err
}

// vector returns the element count and start of the vector in field i,
// checking that count elements of elemSize bytes fit in the buffer.
func (t fbTable) vector(i, elemSize int) (n, start int, err error) {
	p, ok, err := t.indirect(i)
	if err != nil || !ok {
		return 0, 0, err
	}
	if p > int64(len(t.buf)) {
		return 0, 0, errFlatbuf
	}
	cnt, err := fbU32(t.buf, int(p))
	if err != nil {
		return 0, 0, err
	}
	s := p + 4
	if int64(cnt)*int64(elemSize) > int64(len(t.buf))-s {
		return 0, 0, errFlatbuf
	}
	return int(cnt), int(s), nil
}

// vectorTable returns element j of a vector of tables starting at start.
func (t fbTable) vectorTable(start, j int) (fbTable, error) {
	p := start + 4*j
	rel, err := fbU32(t.buf, p)
	if err != nil {
		return fbTable{}, err
	}
	return fbTableAt(t.buf, int64(p)+int64(rel))
}

package filewriter

import (
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
)

// bitmap is a growable LSB-first bit buffer whose unused trailing bits stay
// zero, the layout Arrow and Lance use for validity and booleans.
type bitmap struct {
	buf []byte
	n   int
}

func (b *bitmap) reset() {
	b.buf = b.buf[:0]
	b.n = 0
}

// grow makes room for k more bits, zeroing the new bytes.
func (b *bitmap) grow(k int) {
	need := int(bitutil.BytesForBits(int64(b.n + k)))
	if old := len(b.buf); need > old {
		b.buf = slices.Grow(b.buf, need-old)[:need]
		clear(b.buf[old:])
	}
}

// appendBits copies bits [off, off+k) of src. A nil src means all set.
func (b *bitmap) appendBits(src []byte, off, k int) {
	if k == 0 {
		return
	}
	b.grow(k)
	if src == nil {
		bitutil.SetBitsTo(b.buf, int64(b.n), int64(k), true)
	} else {
		bitutil.CopyBitmap(src, off, k, b.buf, b.n)
	}
	b.n += k
}

// appendConst appends k bits all set to v.
func (b *bitmap) appendConst(v bool, k int) {
	if k == 0 {
		return
	}
	b.grow(k)
	if v {
		bitutil.SetBitsTo(b.buf, int64(b.n), int64(k), true)
	}
	b.n += k
}

func (b *bitmap) bytes() []byte { return b.buf[:bitutil.BytesForBits(int64(b.n))] }

func (b *bitmap) get(i int) bool { return bitutil.BitIsSet(b.buf, i) }

// nullCount returns the nulls of d. Sliced ArrayData reports an unknown
// (negative) count, so it is computed from the validity bitmap then.
func nullCount(d arrow.ArrayData) int {
	if n := d.NullN(); n >= 0 {
		return n
	}
	nb := d.Buffers()[0]
	if nb == nil {
		return 0
	}
	return d.Len() - bitutil.CountSetBits(nb.Bytes(), d.Offset(), d.Len())
}

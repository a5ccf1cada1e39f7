package v21

import (
	"encoding/binary"
	"unsafe"
)

// FastLanes bitpacking works on blocks of 1024 values. For a word type of T
// bits there are 1024/T lanes; the W-bit values of one lane are packed LSB
// first into W consecutive words of that lane (word k of lane l sits at
// index k*lanes+l). Row r of lane l holds logical value
// flOrder[r/8]*16 + (r%8)*128 + l, the transposed order that lets the packer
// vectorise.
const blockValues = 1024

var flOrder = [8]int{0, 4, 2, 6, 1, 5, 3, 7}

type word interface {
	~uint8 | ~uint16 | ~uint32 | ~uint64
}

// unpackBlock expands one FastLanes block of width w into out (1024 values).
// in must hold exactly 1024*w/T words; the caller checks sizes.
func unpackBlock[T word](w int, in []T, out []T) {
	tBits := int(unsafe.Sizeof(T(0))) * 8
	lanes := blockValues / tBits
	out = out[:blockValues]
	if w == 0 {
		clear(out)
		return
	}
	in = in[:lanes*w]
	if w == tBits {
		for row := 0; row < tBits; row++ {
			base := flOrder[row/8]*16 + (row%8)*128
			src := in[row*lanes : row*lanes+lanes]
			for lane, v := range src {
				out[base+lane] = v
			}
		}
		return
	}
	// Row r of every lane starts at the same bit (r*w), so each row is one
	// pass over all lanes, reading one or two packed words per lane and
	// writing a contiguous run of outputs.
	mask := T(1)<<uint(w) - 1
	for row := 0; row < tBits; row++ {
		bit := row * w
		wi, shift := bit/tBits, uint(bit%tBits)
		base := flOrder[row/8]*16 + (row%8)*128
		dst := out[base : base+lanes]
		src := in[wi*lanes : wi*lanes+lanes]
		if int(shift)+w <= tBits {
			for l := range dst {
				dst[l] = (src[l] >> shift) & mask
			}
			continue
		}
		hi := in[(wi+1)*lanes : (wi+1)*lanes+lanes]
		back := uint(tBits) - shift
		for l := range dst {
			dst[l] = (src[l]>>shift | hi[l]<<back) & mask
		}
	}
}

// wordsOf reinterprets little-endian bytes as words. It copies when the
// input is misaligned so that callers can hand in any slice.
func wordsOf[T word](b []byte) []T {
	size := int(unsafe.Sizeof(T(0)))
	n := len(b) / size
	if n == 0 {
		return nil
	}
	if uintptr(unsafe.Pointer(&b[0]))%uintptr(size) == 0 {
		return unsafe.Slice((*T)(unsafe.Pointer(&b[0])), n)
	}
	out := make([]T, n)
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&out[0])), n*size), b)
	return out
}

func bytesOf[T word](v []T) []byte {
	if len(v) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(&v[0])), len(v)*int(unsafe.Sizeof(T(0))))
}

// UnpackInline decodes inline bitpacking: a sequence of blocks, each a
// little-endian word (of the value width) holding the packed width followed
// by 1024*width/bits words. It returns n little-endian values of bits bits.
func UnpackInline(data []byte, bits int, n int) ([]byte, error) {
	switch bits {
	case 8:
		return unpackInline[uint8](data, n)
	case 16:
		return unpackInline[uint16](data, n)
	case 32:
		return unpackInline[uint32](data, n)
	case 64:
		return unpackInline[uint64](data, n)
	}
	return nil, corruptf("inline bitpacking of %d-bit values", bits)
}

func unpackInline[T word](data []byte, n int) ([]byte, error) {
	size := int(unsafe.Sizeof(T(0)))
	tBits := size * 8
	blocks := (n + blockValues - 1) / blockValues
	if n < 0 || blocks > len(data)/size {
		// Every block carries at least its width word.
		return nil, corruptf("inline bitpacking: %d values in %d bytes", n, len(data))
	}
	out := make([]T, blocks*blockValues)
	pos := 0
	for b := 0; b < blocks; b++ {
		if pos+size > len(data) {
			return nil, corruptf("inline bitpacking: block %d truncated", b)
		}
		rawW := readUint(data[pos:pos+size], size)
		pos += size
		if rawW > uint64(tBits) {
			return nil, corruptf("inline bitpacking: width %d for %d-bit values", rawW, tBits)
		}
		w := int(rawW)
		nb := blockValues * w / 8
		if pos+nb > len(data) {
			return nil, corruptf("inline bitpacking: block %d needs %d bytes, %d left", b, nb, len(data)-pos)
		}
		unpackBlock(w, wordsOf[T](data[pos:pos+nb]), out[b*blockValues:(b+1)*blockValues])
		pos += nb
	}
	return bytesOf(out)[:n*size], nil
}

// UnpackOutOfLine decodes out-of-line bitpacking: whole blocks of width w
// and, for a partial last block, either a packed block or the raw tail
// values (the writer keeps the tail raw when packing it would cost more).
func UnpackOutOfLine(data []byte, bits, w int, n int) ([]byte, error) {
	switch bits {
	case 8:
		return unpackOutOfLine[uint8](data, w, n)
	case 16:
		return unpackOutOfLine[uint16](data, w, n)
	case 32:
		return unpackOutOfLine[uint32](data, w, n)
	case 64:
		return unpackOutOfLine[uint64](data, w, n)
	}
	return nil, corruptf("out-of-line bitpacking of %d-bit values", bits)
}

func unpackOutOfLine[T word](data []byte, w int, n int) ([]byte, error) {
	size := int(unsafe.Sizeof(T(0)))
	tBits := size * 8
	if w < 0 || w > tBits {
		return nil, corruptf("out-of-line bitpacking: width %d for %d-bit values", w, tBits)
	}
	wordsPerBlock := (blockValues*w + tBits - 1) / tBits
	words := len(data) / size
	whole, tail := n/blockValues, n%blockValues
	need := whole * wordsPerBlock
	rawTail := tail > 0 && words == need+tail
	switch {
	case n < 0:
		return nil, corruptf("out-of-line bitpacking: negative count")
	case rawTail:
	case tail > 0 && words >= need+wordsPerBlock:
	case tail == 0 && words >= need:
	default:
		return nil, corruptf("out-of-line bitpacking: %d values of width %d in %d bytes", n, w, len(data))
	}
	in := wordsOf[T](data[:words*size])
	blocks := whole
	if tail > 0 && !rawTail {
		blocks++
	}
	out := make([]T, blocks*blockValues+tail)
	for b := 0; b < blocks; b++ {
		unpackBlock(w, in[b*wordsPerBlock:(b+1)*wordsPerBlock], out[b*blockValues:(b+1)*blockValues])
	}
	if rawTail {
		copy(out[whole*blockValues:], in[need:need+tail])
	}
	return bytesOf(out)[:n*size], nil
}

func readUint(b []byte, size int) uint64 {
	switch size {
	case 1:
		return uint64(b[0])
	case 2:
		return uint64(binary.LittleEndian.Uint16(b))
	case 4:
		return uint64(binary.LittleEndian.Uint32(b))
	default:
		return binary.LittleEndian.Uint64(b)
	}
}

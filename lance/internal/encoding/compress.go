package encoding

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"

	"github.com/resona-go/resona/lance/internal/lanceerr"
)

// maxZstdWindow bounds the window a frame may ask for, so that a corrupt
// header cannot make the decoder allocate gigabytes; Lance compresses one
// page buffer (a few MiB) per frame.
const maxZstdWindow = 1 << 28

// zstdMagic starts every zstd frame.
const zstdMagic = 0xFD2FB528

// Decompress inflates a buffer compressed with a Lance general-purpose
// scheme ("zstd" or "lz4"), producing at most limit bytes.
//
// zstd buffers come in two framings: older writers store a bare zstd frame,
// newer ones prefix it with the u64 uncompressed length. A buffer starting
// with the zstd magic whose frame header has its reserved bit clear is taken
// as a bare frame, as Lance's reader does. lz4 buffers are a u32
// uncompressed length followed by a raw lz4 block.
func Decompress(scheme string, src []byte, limit int64) ([]byte, error) {
	switch scheme {
	case "zstd":
		return inflateZstd(src, limit)
	case "lz4":
		if len(src) < 4 {
			return nil, fmt.Errorf("%w: lz4 buffer of %d bytes", lanceerr.ErrCorrupt, len(src))
		}
		n := int64(binary.LittleEndian.Uint32(src))
		if n > limit {
			return nil, fmt.Errorf("%w: lz4 buffer inflates to %d bytes, over the limit", lanceerr.ErrInvalidArgument, n)
		}
		out := make([]byte, n)
		got, err := lz4.UncompressBlock(src[4:], out)
		if err != nil {
			return nil, fmt.Errorf("%w: lz4: %v", lanceerr.ErrCorrupt, err)
		}
		return out[:got], nil
	default:
		return nil, fmt.Errorf("%w: compression scheme %q", lanceerr.ErrUnsupported, scheme)
	}
}

func inflateZstd(src []byte, limit int64) ([]byte, error) {
	if len(src) == 0 {
		return []byte{}, nil
	}
	frame := src
	want := int64(-1)
	bare := len(src) < 8 || (binary.LittleEndian.Uint32(src) == zstdMagic && src[4]&0x10 == 0)
	if !bare {
		want = int64(binary.LittleEndian.Uint64(src))
		if want < 0 || want > limit {
			return nil, fmt.Errorf("%w: zstd buffer inflates to %d bytes, over the limit", lanceerr.ErrInvalidArgument, uint64(want))
		}
		frame = src[8:]
	}
	dec, err := zstd.NewReader(bytes.NewReader(frame), zstd.WithDecoderConcurrency(1),
		zstd.WithDecoderMaxMemory(uint64(max(limit, 1))), zstd.WithDecoderMaxWindow(maxZstdWindow))
	if err != nil {
		return nil, fmt.Errorf("%w: zstd: %v", lanceerr.ErrCorrupt, err)
	}
	defer dec.Close()
	var out bytes.Buffer
	if want >= 0 {
		out.Grow(int(want))
	}
	n, err := io.Copy(&out, io.LimitReader(dec, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%w: zstd: %v", lanceerr.ErrCorrupt, err)
	}
	if n > limit {
		return nil, fmt.Errorf("%w: zstd buffer inflates beyond the limit", lanceerr.ErrInvalidArgument)
	}
	if want >= 0 && n != want {
		return nil, fmt.Errorf("%w: zstd buffer inflated to %d bytes, header says %d", lanceerr.ErrCorrupt, n, want)
	}
	return out.Bytes(), nil
}

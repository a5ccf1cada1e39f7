package v21

import (
	"encoding/binary"
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"

	pb "github.com/resona-go/resona/lance/internal/pb/enc21"
)

// maxDecompressed bounds any single decompressed buffer. Lance pages are far
// smaller; a larger declared size is corruption.
const maxDecompressed = 1 << 30

const zstdMagic = 0xFD2FB528

var zstdDecoder = sync.OnceValues(func() (*zstd.Decoder, error) {
	return zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxDecompressed))
})

// Decompress undoes a general compression scheme. Zstd data is a u64
// uncompressed length then one frame (or, from older writers, a bare
// frame); LZ4 data is a u32 uncompressed length then one raw LZ4 block.
func Decompress(scheme pb.CompressionScheme, in []byte) ([]byte, error) {
	switch scheme {
	case pb.CompressionScheme_COMPRESSION_ALGORITHM_ZSTD:
		return decompressZstd(in)
	case pb.CompressionScheme_COMPRESSION_ALGORITHM_LZ4:
		return decompressLZ4(in)
	}
	return nil, unsupportedf("general compression scheme %v", scheme)
}

func decompressZstd(in []byte) ([]byte, error) {
	if len(in) == 0 {
		return nil, nil
	}
	dec, err := zstdDecoder()
	if err != nil {
		return nil, err
	}
	want := -1
	if len(in) >= 8 && binary.LittleEndian.Uint32(in) != zstdMagic {
		n := binary.LittleEndian.Uint64(in)
		if n > maxDecompressed {
			return nil, corruptf("zstd: declared size %d", n)
		}
		want = int(n)
		in = in[8:]
	}
	capHint := 0
	if want >= 0 {
		capHint = min(want, len(in)*64+4096)
	}
	out, err := dec.DecodeAll(in, make([]byte, 0, capHint))
	if err != nil {
		return nil, corruptf("zstd: %v", err)
	}
	if want >= 0 && len(out) != want {
		return nil, corruptf("zstd: %d bytes decoded, %d declared", len(out), want)
	}
	return out, nil
}

func decompressLZ4(in []byte) ([]byte, error) {
	if len(in) < 4 {
		return nil, corruptf("lz4: %d bytes", len(in))
	}
	n := binary.LittleEndian.Uint32(in)
	if n > maxDecompressed || uint64(n) > uint64(len(in)-4)*255+16 {
		return nil, corruptf("lz4: declared size %d for %d input bytes", n, len(in)-4)
	}
	out := make([]byte, n)
	got, err := lz4.UncompressBlock(in[4:], out)
	if err != nil {
		return nil, corruptf("lz4: %v", err)
	}
	if got != int(n) {
		return nil, corruptf("lz4: %d bytes decoded, %d declared", got, n)
	}
	return out, nil
}

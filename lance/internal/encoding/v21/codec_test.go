package v21

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/pierrec/lz4/v4"

	"github.com/resona-go/resona/lance/internal/encoding/fsst"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	pb "github.com/resona-go/resona/lance/internal/pb/enc21"
)

// fsstTable builds a symbol table in the on-disk layout.
func fsstTable(symbols ...string) []byte {
	b := make([]byte, 8, fsst.MaxTableSize)
	binary.LittleEndian.PutUint64(b, uint64(0x46535354)<<32|1<<24|uint64(len(symbols)))
	for _, s := range symbols {
		var w [8]byte
		copy(w[:], s)
		b = append(b, w[:]...)
	}
	for _, s := range symbols {
		b = append(b, byte(len(s)))
	}
	return b
}

func TestFSSTDecompress(t *testing.T) {
	tab, err := fsst.ParseTable(fsstTable("hello", " ", "world!!!"))
	if err != nil {
		t.Fatal(err)
	}
	data := []byte{0, 1, 2, 255, '?', 0, 255, 'x'}
	out, offs, err := fsstDecompress(tab, data, []uint64{0, 5, 5, 8}, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"hello world!!!?", "", "hellox"}
	for i, w := range want {
		if g := string(out[offs[i]:offs[i+1]]); g != w {
			t.Errorf("value %d: %q want %q", i, g, w)
		}
	}
	bad := map[string]func() error{
		"unknown code":    func() error { _, _, err := fsstDecompress(tab, []byte{7}, []uint64{0, 1}, 100); return err },
		"trailing escape": func() error { _, _, err := fsstDecompress(tab, []byte{255}, []uint64{0, 1}, 100); return err },
		"offsets":         func() error { _, _, err := fsstDecompress(tab, []byte{0}, []uint64{0, 4}, 100); return err },
		"output cap":      func() error { _, _, err := fsstDecompress(tab, []byte{2, 2}, []uint64{0, 2}, 10); return err },
		"magic":           func() error { _, err := fsst.ParseTable(make([]byte, 16)); return err },
	}
	for name, f := range bad {
		if err := f(); !errors.Is(err, lanceerr.ErrCorrupt) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestGeneralCompression(t *testing.T) {
	payload := []byte("lance lance lance lance lance lance lance lance lance")
	enc, _ := zstd.NewWriter(nil)
	frame := enc.EncodeAll(payload, nil)
	prefixed := binary.LittleEndian.AppendUint64(nil, uint64(len(payload)))
	prefixed = append(prefixed, frame...)
	for name, in := range map[string][]byte{"prefixed": prefixed, "bare": frame} {
		got, err := Decompress(pb.CompressionScheme_COMPRESSION_ALGORITHM_ZSTD, in)
		if err != nil || string(got) != string(payload) {
			t.Errorf("zstd %s: %q %v", name, got, err)
		}
	}
	buf := make([]byte, lz4.CompressBlockBound(len(payload)))
	var c lz4.Compressor
	n, err := c.CompressBlock(payload, buf)
	if err != nil {
		t.Fatal(err)
	}
	lz := binary.LittleEndian.AppendUint32(nil, uint32(len(payload)))
	lz = append(lz, buf[:n]...)
	got, err := Decompress(pb.CompressionScheme_COMPRESSION_ALGORITHM_LZ4, lz)
	if err != nil || string(got) != string(payload) {
		t.Errorf("lz4: %q %v", got, err)
	}
	binary.LittleEndian.PutUint64(prefixed, 5)
	if _, err := Decompress(pb.CompressionScheme_COMPRESSION_ALGORITHM_ZSTD, prefixed); !errors.Is(err, lanceerr.ErrCorrupt) {
		t.Errorf("zstd wrong length: %v", err)
	}
}

func TestRLE(t *testing.T) {
	flat := func(bits uint64) *pb.CompressiveEncoding {
		return &pb.CompressiveEncoding{Compression: &pb.CompressiveEncoding_Flat{Flat: &pb.Flat{BitsPerValue: bits}}}
	}
	r := &pb.Rle{Values: flat(16), RunLengths: flat(8)}
	vals := []byte{1, 0, 2, 0, 1, 0}
	b, err := decodeRLE(r, vals, []byte{2, 3, 1}, 6)
	if err != nil {
		t.Fatal(err)
	}
	want := []uint16{1, 1, 2, 2, 2, 1}
	for i, w := range want {
		if g := binary.LittleEndian.Uint16(b.data[2*i:]); g != w {
			t.Errorf("value %d: %d want %d", i, g, w)
		}
	}
	if _, err := decodeRLE(r, vals, []byte{2, 3, 2}, 6); !errors.Is(err, lanceerr.ErrCorrupt) {
		t.Errorf("overlong runs: %v", err)
	}
	if _, err := decodeRLE(r, vals[:4], []byte{2, 3, 1}, 6); !errors.Is(err, lanceerr.ErrCorrupt) {
		t.Errorf("short values: %v", err)
	}
}

func TestChunkMeta(t *testing.T) {
	// Two chunks of 1024 values (24 and 16 bytes) and a last one of 100.
	meta := binary.LittleEndian.AppendUint32(nil, 2<<4|10)
	meta = binary.LittleEndian.AppendUint32(meta, 1<<4|10)
	meta = binary.LittleEndian.AppendUint32(meta, 0<<4)
	cm, err := ParseChunkMeta(meta, true, 2148, 48)
	if err != nil {
		t.Fatal(err)
	}
	want := []ChunkMeta{{0, 24, 1024}, {24, 16, 1024}, {40, 8, 100}}
	for i := range want {
		if cm[i] != want[i] {
			t.Errorf("chunk %d: %+v want %+v", i, cm[i], want[i])
		}
	}
	small := binary.LittleEndian.AppendUint16(nil, 2<<4|10)
	small = binary.LittleEndian.AppendUint16(small, 0)
	if cm, err := ParseChunkMeta(small, false, 1030, 32); err != nil || cm[1].NumValues != 6 || cm[1].Offset != 24 {
		t.Errorf("u16 metadata: %+v %v", cm, err)
	}
	for name, c := range map[string]struct {
		meta []byte
		n    uint64
		size int
	}{
		"beyond buffer":   {meta, 2148, 40},
		"too many values": {meta, 2000, 48},
		"odd length":      {meta[:5], 2148, 48},
		"missing count":   {binary.LittleEndian.AppendUint32(binary.LittleEndian.AppendUint32(nil, 0), 0), 10, 16},
	} {
		if _, err := ParseChunkMeta(c.meta, true, c.n, c.size); !errors.Is(err, lanceerr.ErrCorrupt) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestParseChunk(t *testing.T) {
	// levels=3, rep size 2, def size 1, one u32 value buffer of 5 bytes.
	b := []byte{3, 0, 2, 0, 1, 0, 5, 0, 0, 0, 0xFE, 0xFE, 0xFE, 0xFE, 0xFE, 0xFE}
	b = append(b, 0xAA, 0xBB, 0, 0, 0, 0, 0, 0)
	b = append(b, 0xCC, 0, 0, 0, 0, 0, 0, 0)
	b = append(b, 1, 2, 3, 4, 5, 0, 0, 0)
	c, err := ParseChunk(b, true, true, 1, true)
	if err != nil {
		t.Fatal(err)
	}
	if c.NumLevels != 3 || string(c.Rep) != "\xAA\xBB" || string(c.Def) != "\xCC" || string(c.Buffers[0]) != "\x01\x02\x03\x04\x05" {
		t.Errorf("parsed %+v", c)
	}
	if _, err := ParseChunk(b[:30], true, true, 1, true); !errors.Is(err, lanceerr.ErrCorrupt) {
		t.Errorf("truncated: %v", err)
	}
}

func TestControlWords(t *testing.T) {
	for _, c := range []struct {
		rep, def uint32
		size     int
		word     []byte
		r, d     uint16
	}{
		{0, 0, 0, nil, 0, 0},
		{0, 1, 1, []byte{1}, 0, 1},
		{1, 2, 1, []byte{0b110}, 1, 2},
		{5, 6, 2, []byte{0x85, 0x06}, 0x1A, 5},
		{9, 9, 4, []byte{0xFF, 0xFF, 0x03, 0}, 0x1FF, 0x1FF},
	} {
		if s := ControlWordSize(c.rep, c.def); s != c.size {
			t.Errorf("size(%d,%d)=%d want %d", c.rep, c.def, s, c.size)
		}
		if c.size == 0 {
			continue
		}
		r, d := ParseControlWord(c.word, c.rep, c.def)
		if r != c.r || d != c.d {
			t.Errorf("word %x (%d,%d): rep %d def %d, want %d %d", c.word, c.rep, c.def, r, d, c.r, c.d)
		}
	}
}

func TestRangeAndDelta(t *testing.T) {
	r, err := rangeBlock(&pb.Range{UncompressedBitsPerValue: 32, Start: 10, Step: 3}, 4)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range []uint32{10, 13, 16, 19} {
		if g := binary.LittleEndian.Uint32(r.data[4*i:]); g != w {
			t.Errorf("range %d: %d want %d", i, g, w)
		}
	}
	deltas := &pb.CompressiveEncoding{Compression: &pb.CompressiveEncoding_Flat{Flat: &pb.Flat{BitsPerValue: 8}}}
	d, err := decodeBlock(&pb.CompressiveEncoding{Compression: &pb.CompressiveEncoding_Delta{Delta: &pb.Delta{UncompressedBitsPerValue: 64, Base: 100, Deltas: deltas}}}, []byte{1, 0, 5}, 4)
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range []uint64{100, 101, 101, 106} {
		if g := binary.LittleEndian.Uint64(d.data[8*i:]); g != w {
			t.Errorf("delta %d: %d want %d", i, g, w)
		}
	}
}

func TestByteStreamSplit(t *testing.T) {
	// Three 16-bit values 0x0201, 0x0403, 0x0605 stored as the low bytes
	// then the high bytes.
	b, err := unsplitBytes(block{n: 3, bitsPer: 16, dim: 1, data: []byte{1, 3, 5, 2, 4, 6}})
	if err != nil {
		t.Fatal(err)
	}
	for i, w := range []uint16{0x0201, 0x0403, 0x0605} {
		if g := binary.LittleEndian.Uint16(b.data[2*i:]); g != w {
			t.Errorf("value %d: %#x want %#x", i, g, w)
		}
	}
}

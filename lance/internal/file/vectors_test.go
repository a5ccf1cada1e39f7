package file

import (
	"context"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/pb/enc20"
)

func TestPlainFixedSizeList(t *testing.T) {
	ctx := context.Background()
	b := vectorFile(t, 16, 1000, 300)
	r, err := Open(ctx, bytesReader(b), int64(len(b)), "vec.lance")
	if err != nil {
		t.Fatal(err)
	}
	rng, ok, err := r.PlainFixedSizeList(0, 16, 32, 310, 350)
	if err != nil || !ok || rng.Size != 40*16*4 {
		t.Fatalf("rows 310..350: %+v %v %v", rng, ok, err)
	}
	buf := make([]byte, rng.Size)
	if err := r.ReadInto(ctx, rng, buf); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 40*16; i++ {
		if got := binary.LittleEndian.Uint32(buf[4*i:]); got != uint32(310*16+i) {
			t.Fatalf("value %d = %d, want %d", i, got, 310*16+i)
		}
	}
	if err := r.ReadInto(ctx, rng, buf[1:]); !errors.Is(err, lanceerr.ErrInvalidArgument) {
		t.Errorf("ReadInto a short buffer: %v", err)
	}
	for _, c := range []struct {
		name       string
		dim, bits  int
		start, end uint64
	}{
		{"spans two pages", 16, 32, 290, 310},
		{"other dimension", 8, 32, 0, 10},
		{"other item width", 16, 16, 0, 10},
		{"beyond the file", 16, 32, 990, 1010},
		{"empty", 16, 32, 5, 5},
	} {
		if _, ok, err := r.PlainFixedSizeList(0, c.dim, c.bits, c.start, c.end); ok || err != nil {
			t.Errorf("%s: ok %v, err %v; want neither", c.name, ok, err)
		}
	}
}

// Pages with nulls or compressed values are not plain: they must be
// decoded.
func TestPlainFixedSizeListRefuses(t *testing.T) {
	ctx := context.Background()
	vals := make([]byte, 4*4*10)
	valid := []byte{0xff, 0x03}
	zstdFlat := &enc20.ArrayEncoding{ArrayEncoding: &enc20.ArrayEncoding_Flat{Flat: &enc20.Flat{
		BitsPerValue: 32, Buffer: &enc20.Buffer{BufferIndex: 0, BufferType: enc20.Buffer_page},
		Compression: &enc20.Compression{Scheme: "zstd"}}}}
	for name, pg := range map[string]testPage{
		"some nulls": {enc: someNullEnc(flatEnc(1, 1), fslEnc(4, flatEnc(32, 0))), rows: 10, bufs: [][]byte{vals, valid}},
		"compressed": {enc: fslEnc(4, zstdFlat), rows: 10, bufs: [][]byte{vals}},
		"not a list": {enc: flatEnc(128, 0), rows: 10, bufs: [][]byte{vals}},
	} {
		fields := []*pb.Field{{Name: "vector", Id: 0, ParentId: -1, LogicalType: "fixed_size_list:float:4", Nullable: true}}
		b := buildFile(t, fields, 10, []testColumn{{pg}})
		r, err := Open(ctx, bytesReader(b), int64(len(b)), "vec.lance")
		if err != nil {
			t.Fatal(err)
		}
		if _, ok, err := r.PlainFixedSizeList(0, 4, 32, 0, 10); ok || err != nil {
			t.Errorf("%s: ok %v, err %v; want neither", name, ok, err)
		}
	}
}

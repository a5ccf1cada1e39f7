package v21

import (
	"context"
	"testing"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow/array"
)

// A full-zip page of non-null vectors is served straight from the bytes the
// source returns: one contiguous float32 buffer, no copy.
func TestVectorsZeroCopy(t *testing.T) {
	f := loadFixture(t, "testdata", "vectors", vectorsSchema())
	field := f.schema[0]
	a, err := DecodeRange(context.Background(), f.src, field, f.columnsOf(0), 1, 3)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Release()
	vals := a.(*array.FixedSizeList).ListValues().(*array.Float32).Float32Values()
	if len(vals) != 2*1024 {
		t.Fatalf("%d values", len(vals))
	}
	start := uintptr(unsafe.Pointer(&f.src.data[0]))
	p := uintptr(unsafe.Pointer(&vals[0]))
	if p < start || p >= start+uintptr(len(f.src.data)) {
		t.Fatalf("vector values were copied")
	}
	pg := f.columnsOf(0)[0].Pages[0]
	if want := start + uintptr(pg.Buffers[0].Offset) + 4096; p != want {
		t.Fatalf("row 1 at %#x, want %#x", p, want)
	}
}

func BenchmarkDecodeVectors(b *testing.B) {
	f := loadFixture(b, "testdata", "vectors", vectorsSchema())
	ctx := context.Background()
	b.SetBytes(int64(f.rows) * 4096)
	for b.Loop() {
		a, err := DecodeRange(ctx, f.src, f.schema[0], f.columnsOf(0), 0, uint64(f.rows))
		if err != nil {
			b.Fatal(err)
		}
		a.Release()
	}
}

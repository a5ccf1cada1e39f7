package btree

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/uuid"

	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/storage"
)

// typedCase builds n values of one type; value(i) is the Go value of row
// i (nil for null) as a query would pass it.
type typedCase struct {
	dt    arrow.DataType
	value func(i int) any
}

func typedCases(nulls bool) []typedCase {
	null := func(i int) bool { return nulls && i%6 == 1 }
	return []typedCase{
		{arrow.BinaryTypes.LargeString, func(i int) any {
			if null(i) {
				return nil
			}
			return fmt.Sprintf("k%03d", (i*37)%101)
		}},
		{arrow.BinaryTypes.Binary, func(i int) any {
			if null(i) {
				return nil
			}
			return []byte{byte(i % 7), 0, byte(i % 3)}
		}},
		{arrow.PrimitiveTypes.Uint32, func(i int) any {
			if null(i) {
				return nil
			}
			return uint32((i * 13) % 97)
		}},
		{arrow.PrimitiveTypes.Int16, func(i int) any {
			if null(i) {
				return nil
			}
			return int16((i*13)%97 - 48)
		}},
		{arrow.PrimitiveTypes.Float64, func(i int) any {
			if null(i) {
				return nil
			}
			return float64((i*13)%97) / 4
		}},
	}
}

func buildArray(t *testing.T, c typedCase, n int) arrow.Array {
	t.Helper()
	b := array.NewBuilder(memory.DefaultAllocator, c.dt)
	defer b.Release()
	for i := 0; i < n; i++ {
		v := c.value(i)
		if v == nil {
			b.AppendNull()
			continue
		}
		switch bb := b.(type) {
		case *array.LargeStringBuilder:
			bb.Append(v.(string))
		case *array.BinaryBuilder:
			bb.Append(v.([]byte))
		case *array.Uint32Builder:
			bb.Append(v.(uint32))
		case *array.Int16Builder:
			bb.Append(v.(int16))
		case *array.Float64Builder:
			bb.Append(v.(float64))
		default:
			t.Fatalf("no builder for %s", c.dt)
		}
	}
	return b.NewArray()
}

func TestValueTypes(t *testing.T) {
	ctx := context.Background()
	const n = 500
	for _, files := range []FileFormat{FilesV2, FilesLegacy} {
		for ci := range typedCases(true) {
			// Legacy files cannot hold null numbers; the first two cases
			// (string, binary) keep their nulls there.
			c := typedCases(files == FilesV2 || ci < 2)[ci]
			t.Run(fmt.Sprintf("%d/%s", files, c.dt), func(t *testing.T) {
				arr := buildArray(t, c, n)
				defer arr.Release()
				e, err := newEntries(c.dt)
				if err != nil {
					t.Fatal(err)
				}
				defer e.release()
				// Row addresses in two fragments, added in reverse order.
				addr := func(i int) uint64 { return uint64(i%2)<<32 | uint64(n-i) }
				if err := e.add(arr, addr, nil); err != nil {
					t.Fatal(err)
				}
				store := storage.NewLocal(t.TempDir())
				dir := SegmentDir(uuid.New())
				if _, err := writeSegment(ctx, store, dir, e, files, Options{BatchSize: 32}); err != nil {
					t.Fatal(err)
				}
				ix, err := OpenDir(ctx, store, dir)
				if err != nil {
					t.Fatal(err)
				}
				defer ix.Close()
				if !arrow.TypeEqual(ix.ValueType(), c.dt) {
					t.Errorf("value type %s", ix.ValueType())
				}
				for q := 0; q < n; q += 7 {
					v := c.value(q)
					var want []uint64
					for i := 0; i < n; i++ {
						if fmt.Sprint(c.value(i)) == fmt.Sprint(v) {
							want = append(want, addr(i))
						}
					}
					slices.Sort(want)
					var got []uint64
					if v == nil {
						got, err = ix.IsNull(ctx)
					} else {
						got, err = ix.Equal(ctx, v)
					}
					if err != nil {
						t.Fatal(err)
					}
					if !sameAddrs(got, want) {
						t.Errorf("value %v: got %d rows, want %d", v, len(got), len(want))
					}
				}
			})
		}
	}
}

func TestLegacyRefusesNumericNulls(t *testing.T) {
	c := typedCases(true)[2] // uint32 with nulls
	arr := buildArray(t, c, 50)
	defer arr.Release()
	e, err := newEntries(c.dt)
	if err != nil {
		t.Fatal(err)
	}
	defer e.release()
	if err := e.add(arr, func(i int) uint64 { return uint64(i) }, nil); err != nil {
		t.Fatal(err)
	}
	store := storage.NewLocal(t.TempDir())
	_, err = writeSegment(context.Background(), store, SegmentDir(uuid.New()), e, FilesLegacy, Options{})
	if !errors.Is(err, lanceerr.ErrUnsupported) {
		t.Fatalf("legacy numeric nulls: %v", err)
	}
}

func TestEmptySegment(t *testing.T) {
	ctx := context.Background()
	for _, files := range []FileFormat{FilesV2, FilesLegacy} {
		e, err := newEntries(arrow.BinaryTypes.String)
		if err != nil {
			t.Fatal(err)
		}
		store := storage.NewLocal(t.TempDir())
		dir := SegmentDir(uuid.New())
		if _, err := writeSegment(ctx, store, dir, e, files, Options{}); err != nil {
			t.Fatalf("files %d: %v", files, err)
		}
		ix, err := OpenDir(ctx, store, dir)
		if err != nil {
			t.Fatalf("files %d: %v", files, err)
		}
		got, err := ix.Equal(ctx, "x")
		if err != nil || len(got) != 0 || ix.NumRows() != 0 || ix.NumPages() != 0 {
			t.Errorf("files %d: empty segment: %v %v rows %d", files, got, err, ix.NumRows())
		}
		ix.Close()
	}
}

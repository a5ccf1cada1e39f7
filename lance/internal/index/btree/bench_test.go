package btree

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/uuid"

	"github.com/resona-go/resona/lance/internal/storage"
)

// benchSegment writes a segment of n distinct string ids.
func benchSegment(b *testing.B, n int, files FileFormat) (storage.Store, string) {
	b.Helper()
	sb := array.NewStringBuilder(memory.DefaultAllocator)
	for i := 0; i < n; i++ {
		sb.Append(fmt.Sprintf("doc-%d", (i*7919)%n))
	}
	arr := sb.NewArray()
	sb.Release()
	defer arr.Release()
	e, err := newEntries(arrow.BinaryTypes.String)
	if err != nil {
		b.Fatal(err)
	}
	defer e.release()
	if err := e.add(arr, func(i int) uint64 { return uint64(i) }, nil); err != nil {
		b.Fatal(err)
	}
	store := storage.NewLocal(b.TempDir())
	dir := SegmentDir(uuid.New())
	if _, err := writeSegment(context.Background(), store, dir, e, files, Options{}); err != nil {
		b.Fatal(err)
	}
	return store, dir
}

func BenchmarkBuild(b *testing.B) {
	for _, files := range []FileFormat{FilesV2, FilesLegacy} {
		b.Run(fmt.Sprint(files), func(b *testing.B) {
			for range b.N {
				benchSegment(b, 200_000, files)
			}
		})
	}
}

func BenchmarkIn100(b *testing.B) {
	for _, files := range []FileFormat{FilesV2, FilesLegacy} {
		b.Run(fmt.Sprint(files), func(b *testing.B) {
			const n = 200_000
			store, dir := benchSegment(b, n, files)
			ix, err := OpenDir(context.Background(), store, dir)
			if err != nil {
				b.Fatal(err)
			}
			defer ix.Close()
			q := make([]any, 100)
			for i := range q {
				q[i] = fmt.Sprintf("doc-%d", (i*1237)%n)
			}
			b.ResetTimer()
			for range b.N {
				got, err := ix.In(context.Background(), q)
				if err != nil || len(got) != 100 {
					b.Fatal(len(got), err)
				}
			}
		})
	}
}

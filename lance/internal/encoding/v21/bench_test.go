package v21

import (
	"context"
	"os"
	"runtime"
	"testing"
)

// BenchmarkLargePages decodes every column of the large multi-page table
// (see TestLanceDBLarge); it is skipped without RESONA_V21_LARGE.
func BenchmarkLargePages(b *testing.B) {
	dir := os.Getenv("RESONA_V21_LARGE")
	if dir == "" {
		b.Skip("RESONA_V21_LARGE not set")
	}
	f := loadFixture(b, dir, "pages", pagesSchema())
	f.want = nil
	runtime.GC()
	ctx := context.Background()
	b.SetBytes(int64(len(f.src.data)))
	for b.Loop() {
		for i, field := range f.schema {
			a, err := DecodeRange(ctx, f.src, field, f.columnsOf(i), 0, uint64(f.rows))
			if err != nil {
				b.Fatal(err)
			}
			a.Release()
		}
	}
}

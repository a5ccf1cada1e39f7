package file

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// BenchmarkReadVectors reads a fixed_size_list<float32>[1024] column of
// 6000 rows laid out like LanceDB 0.13 writes it (about 8 MiB per page),
// from a real file on disk.
func BenchmarkReadVectors(b *testing.B) {
	const dim, rows, pageRows = 1024, 6000, 2048
	path := filepath.Join(b.TempDir(), "vectors.lance")
	if err := os.WriteFile(path, vectorFile(b, dim, rows, pageRows), 0o644); err != nil {
		b.Fatal(err)
	}
	r := openFile(b, path)
	f := arrow.Field{Name: "vector", Type: arrow.FixedSizeListOfField(dim, arrow.Field{Name: "item", Type: arrow.PrimitiveTypes.Float32, Nullable: true}), Nullable: true}
	ctx := context.Background()

	b.Run("page", func(b *testing.B) {
		b.SetBytes(pageRows * dim * 4)
		for b.Loop() {
			arr, err := r.ReadRange(ctx, f, 0, 0, pageRows)
			if err != nil {
				b.Fatal(err)
			}
			arr.Release()
		}
	})
	b.Run("all", func(b *testing.B) {
		b.SetBytes(rows * dim * 4)
		for b.Loop() {
			arr, err := r.ReadRange(ctx, f, 0, 0, rows)
			if err != nil {
				b.Fatal(err)
			}
			arr.Release()
		}
	})
	b.Run("batches1024", func(b *testing.B) {
		b.SetBytes(rows * dim * 4)
		for b.Loop() {
			for start := uint64(0); start < rows; start += 1024 {
				arr, err := r.ReadRange(ctx, f, 0, start, min(rows, start+1024))
				if err != nil {
					b.Fatal(err)
				}
				arr.Release()
			}
		}
	})
	b.Run("take100", func(b *testing.B) {
		rng := rand.New(rand.NewPCG(1, 1))
		take := make([]uint64, 100)
		for i := range take {
			take[i] = rng.Uint64N(rows)
		}
		slices.Sort(take)
		b.SetBytes(100 * dim * 4)
		for b.Loop() {
			arr, err := r.Take(ctx, f, 0, take)
			if err != nil {
				b.Fatal(err)
			}
			arr.Release()
		}
	})
}

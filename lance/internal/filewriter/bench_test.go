package filewriter

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

const benchDim = 1024

func vectorSchema() *arrow.Schema {
	return arrow.NewSchema([]arrow.Field{
		{Name: "vector", Type: arrow.FixedSizeListOfField(benchDim, arrow.Field{Name: "item", Type: arrow.PrimitiveTypes.Float32, Nullable: true}), Nullable: true},
	}, nil)
}

// vectorRecord builds rows 1024-dim vectors from one flat float32 array.
func vectorRecord(rows int) arrow.RecordBatch {
	vals := make([]float32, rows*benchDim)
	for i := range vals {
		vals[i] = float32(i%997) * 0.001
	}
	vb := array.NewFloat32Builder(memory.DefaultAllocator)
	defer vb.Release()
	vb.AppendValues(vals, nil)
	items := vb.NewArray()
	defer items.Release()
	schema := vectorSchema()
	fsl := array.NewFixedSizeListData(array.NewData(schema.Field(0).Type, rows, []*memory.Buffer{nil}, []arrow.ArrayData{items.Data()}, 0, 0))
	defer fsl.Release()
	return array.NewRecordBatch(schema, []arrow.Array{fsl}, int64(rows))
}

// BenchmarkWriteVectors writes 20,000 1024-dim float32 vectors (80 MB) per
// operation, in batches of 100 (Resona's ingest) and of 10,000, to
// io.Discard (the encoder alone) and to a file (page cache, no fsync).
func BenchmarkWriteVectors(b *testing.B) {
	const total = 20000
	for _, c := range []struct {
		batch int
		sink  string
	}{{100, "discard"}, {10000, "discard"}, {100, "file"}, {10000, "file"}} {
		batch := c.batch
		b.Run(fmt.Sprintf("batch=%d/%s", batch, c.sink), func(b *testing.B) {
			var out io.Writer = io.Discard
			var f *os.File
			if c.sink == "file" {
				var err error
				f, err = os.Create(filepath.Join(b.TempDir(), "v.lance"))
				if err != nil {
					b.Fatal(err)
				}
				defer f.Close()
				out = f
			}
			rec := vectorRecord(batch)
			defer rec.Release()
			schema := vectorSchema()
			fields := simpleFields(schema)
			ctx := context.Background()
			b.SetBytes(total * benchDim * 4)
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if f != nil {
					if _, err := f.Seek(0, io.SeekStart); err != nil {
						b.Fatal(err)
					}
				}
				w, err := New(out, schema, fields, Options{})
				if err != nil {
					b.Fatal(err)
				}
				for r := 0; r < total; r += batch {
					if err := w.Write(ctx, rec); err != nil {
						b.Fatal(err)
					}
				}
				if _, err := w.Finish(ctx); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestMemoryBounded streams 400 MB of vectors through the writer and checks
// that the live heap stays near the page budget, not the file size.
func TestMemoryBounded(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 400 MB")
	}
	rec := vectorRecord(100)
	defer rec.Release()
	schema := vectorSchema()
	w, err := New(io.Discard, schema, simpleFields(schema), Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var ms runtime.MemStats
	var peak uint64
	for i := 0; i < 1000; i++ {
		if err := w.Write(ctx, rec); err != nil {
			t.Fatal(err)
		}
		if i%100 == 99 {
			runtime.GC()
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
		}
	}
	res, err := w.Finish(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if res.Bytes < 400e6 {
		t.Fatalf("wrote only %d bytes", res.Bytes)
	}
	// One 8 MiB page being filled (with append's growth slack) and the
	// input batch; 64 MiB leaves room for the runtime and test data.
	if peak > 64<<20 {
		t.Errorf("live heap reached %d MiB while writing %d MiB", peak>>20, res.Bytes>>20)
	}
}

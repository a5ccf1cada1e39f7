package filewriter

import (
	"context"
	"io"
	"runtime"
	"testing"
)

// BenchmarkWriteVectorsV22 writes 20,000 1024-dim float32 vectors (80 MB)
// per operation into a 2.2 file, in Resona's batches of 100, to io.Discard.
func BenchmarkWriteVectorsV22(b *testing.B) {
	const total, batch = 20000, 100
	rec := vectorRecord(batch)
	defer rec.Release()
	schema := vectorSchema()
	fields := simpleFields(schema)
	ctx := context.Background()
	b.SetBytes(total * benchDim * 4)
	b.ReportAllocs()
	for b.Loop() {
		w, err := New(io.Discard, schema, fields, Options{Version: Version2_2})
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
}

// TestMemoryBoundedV22 streams 400 MB of vectors into a 2.2 file and checks
// that the live heap stays near the page budget.
func TestMemoryBoundedV22(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 400 MB")
	}
	rec := vectorRecord(100)
	defer rec.Release()
	schema := vectorSchema()
	w, err := New(io.Discard, schema, simpleFields(schema), Options{Version: Version2_2})
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
	if peak > 64<<20 {
		t.Errorf("live heap reached %d MiB while writing %d MiB", peak>>20, res.Bytes>>20)
	}
}

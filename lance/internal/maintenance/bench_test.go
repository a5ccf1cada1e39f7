package maintenance_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/uuid"

	"github.com/resona-go/resona/lance/internal/commit"
	"github.com/resona-go/resona/lance/internal/filewriter"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/maintenance"
	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/storage"
)

// benchTable writes a Resona-shaped table (id, text, 1024-dim vector) of
// frags fragments of rows rows each, committed as one Overwrite.
func benchTable(b *testing.B, frags, rows, dim int) storage.Store {
	b.Helper()
	ctx := context.Background()
	st := storage.NewLocal(b.TempDir())
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "text", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "vector", Type: arrow.FixedSizeListOf(int32(dim), arrow.PrimitiveTypes.Float32), Nullable: true},
	}, nil)
	ls, err := format.SchemaFromArrow(schema, 0)
	if err != nil {
		b.Fatal(err)
	}
	var out []*pb.DataFragment
	for f := 0; f < frags; f++ {
		ids := array.NewStringBuilder(memory.DefaultAllocator)
		texts := array.NewStringBuilder(memory.DefaultAllocator)
		vecs := array.NewFixedSizeListBuilder(memory.DefaultAllocator, int32(dim), arrow.PrimitiveTypes.Float32)
		vals := vecs.ValueBuilder().(*array.Float32Builder)
		for r := 0; r < rows; r++ {
			ids.Append(uuid.NewString())
			texts.Append("some context text of a Tana node that was embedded")
			vecs.Append(true)
			for k := 0; k < dim; k++ {
				vals.Append(float32(f*rows+r) + float32(k)/float32(dim))
			}
		}
		rec := array.NewRecordBatch(schema, []arrow.Array{ids.NewArray(), texts.NewArray(), vecs.NewArray()}, int64(rows))
		name := uuid.NewString() + ".lance"
		ow, err := st.Create(ctx, format.DataDir+"/"+name)
		if err != nil {
			b.Fatal(err)
		}
		w, err := filewriter.New(ow, schema, ls.PBFields(), filewriter.Options{})
		if err != nil {
			b.Fatal(err)
		}
		if err := w.Write(ctx, rec); err != nil {
			b.Fatal(err)
		}
		res, err := w.Finish(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if err := ow.Commit(); err != nil {
			b.Fatal(err)
		}
		rec.Release()
		out = append(out, &pb.DataFragment{Id: uint64(f), PhysicalRows: res.Rows, Files: []*pb.DataFile{{
			Path: name, Fields: res.Fields, ColumnIndices: res.ColumnIndices,
			FileMajorVersion: filewriter.FileMajorVersion, FileMinorVersion: filewriter.FileMinorVersion, FileSizeBytes: res.Bytes,
		}}})
	}
	if _, err := commit.Commit(ctx, st, &commit.Transaction{Operation: commit.Overwrite{Fragments: out, Schema: ls.PBFields()}},
		commit.Options{NewTableScheme: format.SchemeV1}); err != nil {
		b.Fatal(err)
	}
	return st
}

// BenchmarkCompactResona compacts 200 fragments of 100 rows × 1024 dims
// (the seed's ingestion shape, scaled down) and reports throughput and the
// peak heap seen while rewriting.
func BenchmarkCompactResona(b *testing.B) {
	const frags, rows, dim = 200, 100, 1024
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		st := benchTable(b, frags, rows, dim)
		runtime.GC()
		var peak uint64
		var ms runtime.MemStats
		b.StartTimer()
		met, err := maintenance.Compact(context.Background(), st, maintenance.CompactOptions{
			TargetRowsPerFragment: 500000,
			Progress: func(_ string, done, _ uint64) {
				if done%2000 == 0 {
					runtime.ReadMemStats(&ms)
					peak = max(peak, ms.HeapInuse)
				}
			},
		})
		if err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if met.FragmentsRemoved != frags || met.FragmentsAdded != 1 {
			b.Fatalf("metrics %+v", met)
		}
		b.ReportMetric(float64(met.BytesWritten)/1e6, "MB-written")
		b.ReportMetric(float64(peak)/1e6, "MB-peak-heap")
		b.ReportMetric(float64(met.RowsRewritten)/met.Duration.Seconds(), "rows/s")
		b.StartTimer()
	}
}

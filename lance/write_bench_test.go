package lance

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// BenchmarkIngestResona is the Resona workload: 1024-dimensional
// embeddings arriving in batches of 100 rows, each batch appended in its
// own commit (data file fsynced, transaction file, manifest). b.N counts
// batches; rows/s is the figure to compare with LanceDB.
func BenchmarkIngestResona(b *testing.B) {
	const dim, batch = 1024, 100
	ctx := context.Background()
	path := tempTable(b)
	d := mustCreate(b, path, dim, nil, CreateOptions{})
	// Batches are built up front so that only the write is measured.
	const distinct = 16
	recs := make([]arrow.RecordBatch, distinct)
	for i := range recs {
		recs[i] = resonaBatch(dim, rowsFor(fmt.Sprintf("r%d-", i), 0, batch, 0, dim))
	}
	b.ResetTimer()
	cur := d
	for i := 0; i < b.N; i++ {
		nd, err := cur.Append(ctx, []arrow.RecordBatch{recs[i%distinct]})
		if err != nil {
			b.Fatal(err)
		}
		if cur != d {
			cur.Close()
		}
		cur = nd
	}
	b.StopTimer()
	b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "rows/s")
	if cur != d {
		cur.Close()
	}
}

// BenchmarkUpsertResona upserts batches of 100 rows (half replacing
// existing ids, half new) into a table of 20,000 1024-dimensional rows,
// one commit per batch, finding matches by scanning the id column or with
// a BTREE on id.
func BenchmarkUpsertResona(b *testing.B) {
	for _, indexed := range []bool{false, true} {
		b.Run(fmt.Sprintf("btree=%v", indexed), func(b *testing.B) {
			const dim, batch, rows = 1024, 100, 20000
			ctx := context.Background()
			var recs []arrow.RecordBatch
			for i := 0; i < rows; i += 1000 {
				recs = append(recs, resonaBatch(dim, rowsFor("r", i, i+1000, 0, dim)))
			}
			d := mustCreate(b, tempTable(b), dim, nil, CreateOptions{})
			cur, err := d.Append(ctx, recs)
			if err != nil {
				b.Fatal(err)
			}
			if indexed {
				nd, err := cur.CreateIndex(ctx, "id", IndexOptions{})
				if err != nil {
					b.Fatal(err)
				}
				cur.Close()
				cur = nd
			}
			ups := make([]arrow.RecordBatch, 16)
			for i := range ups {
				in := append(rowsFor("r", i*50, i*50+50, 1, dim), rowsFor(fmt.Sprintf("n%d-", i), 0, 50, 1, dim)...)
				ups[i] = resonaBatch(dim, in)
			}
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				nd, _, err := cur.MergeInsert(ctx, []arrow.RecordBatch{ups[i%len(ups)]}, MergeInsertOptions{On: "id", WhenMatchedUpdateAll: true, WhenNotMatchedInsertAll: true})
				if err != nil {
					b.Fatal(err)
				}
				cur.Close()
				cur = nd
			}
			b.StopTimer()
			b.ReportMetric(float64(b.N*batch)/b.Elapsed().Seconds(), "rows/s")
			cur.Close()
		})
	}
}

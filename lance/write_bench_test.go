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

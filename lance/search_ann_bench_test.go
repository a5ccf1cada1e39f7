package lance

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// BenchmarkSearchIndexed measures Dataset.Search through an IVF_PQ index
// (default nprobes and refine) against the exact search on the same table:
// 20 000 embedding-like vectors of 256 dimensions in 10 fragments. It logs
// recall@10 against the exact search.
func BenchmarkSearchIndexed(b *testing.B) {
	ctx := context.Background()
	const dim, n, frags = 256, 20000, 10
	rows := embeddingRows(n, dim, 11)
	d := mustCreate(b, tempTable(b), dim, rows[:n/frags], CreateOptions{})
	for f := 1; f < frags; f++ {
		nd, err := d.Append(ctx, []arrow.RecordBatch{resonaBatch(dim, rows[f*n/frags:(f+1)*n/frags])})
		if err != nil {
			b.Fatal(err)
		}
		d.Close()
		d = nd
	}
	nd, err := d.CreateIndex(ctx, "vector", IndexOptions{Type: IndexIVFPQ})
	if err != nil {
		b.Fatal(err)
	}
	d.Close()
	d = nd
	defer d.Close()
	// Load the index outside the timings.
	if _, err := searchIDsB(b, d, SearchOptions{Query: rows[0].Vector}); err != nil {
		b.Fatal(err)
	}
	for _, bypass := range []bool{false, true} {
		b.Run(fmt.Sprintf("bypass=%v", bypass), func(b *testing.B) {
			i := 0
			for b.Loop() {
				rec, err := d.Search(ctx, SearchOptions{Query: rows[(i*131)%n].Vector, Columns: []string{"id"}, BypassVectorIndex: bypass})
				if err != nil {
					b.Fatal(err)
				}
				rec.Release()
				i++
			}
		})
	}
	var recall float64
	for q := range 50 {
		opts := SearchOptions{Query: rows[q*397].Vector, Columns: []string{"id"}}
		got, _ := searchIDsB(b, d, opts)
		opts.BypassVectorIndex = true
		want, _ := searchIDsB(b, d, opts)
		recall += recallOf(got, want)
	}
	b.Logf("recall@10 %.3f", recall/50)
}

func searchIDsB(b *testing.B, d *Dataset, opts SearchOptions) ([]string, error) {
	rec, err := d.Search(context.Background(), opts)
	if err != nil {
		b.Fatal(err)
	}
	defer rec.Release()
	var out []string
	col := rec.Column(0)
	for i := 0; i < col.Len(); i++ {
		out = append(out, col.ValueStr(i))
	}
	return out, nil
}

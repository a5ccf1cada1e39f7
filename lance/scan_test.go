package lance

import (
	"context"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
)

// Scans of 2.1+ files end their batches at the vector column's page ends;
// the rows and their order must not change, nor the batch size limit.
func TestScanPageAlignedBatches(t *testing.T) {
	ctx := context.Background()
	const dim = 1024
	rows := rowsFor("p", 0, 5000, 0, dim) // 20 MB of vectors: several pages
	d := mustCreate(t, tempTable(t), dim, rows, CreateOptions{DataStorageVersion: "2.2"})
	fr, err := d.openFragment(ctx, &d.m.Fragments[0], d.m.Schema.Fields)
	if err != nil {
		t.Fatal(err)
	}
	bounds := fr.widestPageBounds()
	fr.close()
	if len(bounds) < 2 || slices.ContainsFunc(pageLens(bounds), func(n uint64) bool { return n >= 3000 }) {
		t.Fatalf("vector page ends %v, want several pages of fewer than 3000 rows", bounds)
	}
	ends := map[int]bool{}
	for _, e := range bounds {
		ends[int(e)] = true
	}
	next := 0
	for rec, err := range d.Scan(ctx, ScanOptions{BatchSize: 3000}) {
		if err != nil {
			t.Fatal(err)
		}
		n := int(rec.NumRows())
		if n > 3000 {
			t.Errorf("batch of %d rows, limit 3000", n)
		}
		ids := rec.Column(0).(*array.String)
		vecs := rec.Column(8).(*array.FixedSizeList).ListValues().(*array.Float32).Float32Values()
		for i := range n {
			r := rows[next+i]
			if ids.Value(i) != r.ID || !slices.Equal(vecs[i*dim:(i+1)*dim], r.Vector) {
				t.Fatalf("row %d: got %s, want %s (or its vector differs)", next+i, ids.Value(i), r.ID)
			}
		}
		next += n
		// Every page is shorter than a batch here, so every batch is a page.
		if !ends[next] {
			t.Errorf("batch ends at row %d, not at a page end %v", next, bounds)
		}
		rec.Release()
	}
	if next != len(rows) {
		t.Fatalf("scanned %d rows, want %d", next, len(rows))
	}
}

func pageLens(ends []uint64) []uint64 {
	out := make([]uint64, len(ends))
	prev := uint64(0)
	for i, e := range ends {
		out[i], prev = e-prev, e
	}
	return out
}

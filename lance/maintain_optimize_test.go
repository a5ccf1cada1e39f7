package lance

import (
	"context"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
)

// TestOptimizeExtendsVectorIndex appends two batches after building an
// IVF_PQ index: Optimize must compact them, give the index a delta segment
// covering them, and searches must then reach the new rows through the
// index, which is visible in the approximate distance a search without
// refinement reports for a row's own vector (an exact scan reports 0).
func TestOptimizeExtendsVectorIndex(t *testing.T) {
	ctx := context.Background()
	const dim = 16
	rows := clusteredRows("r", 2000, dim, 11)
	d := mustCreate(t, tempTable(t), dim, rows[:1600], CreateOptions{})
	nd, err := d.CreateIndex(ctx, "vector", IndexOptions{Type: IndexIVFPQ, NumPartitions: 4, NumSubVectors: 4})
	d.Close()
	if err != nil {
		t.Fatal(err)
	}
	d = nd
	for _, part := range [][]resonaRow{rows[1600:1800], rows[1800:]} {
		nd, err := d.Append(ctx, []arrow.RecordBatch{resonaBatch(dim, part)})
		d.Close()
		if err != nil {
			t.Fatal(err)
		}
		d = nd
	}
	defer func() { d.Close() }()
	appended := []resonaRow{rows[1600], rows[1750], rows[1801], rows[1999]}
	own := func(d *Dataset, r resonaRow) (bool, float32) {
		ids, dist := searchIDs(t, d, SearchOptions{Query: r.Vector, K: 5, RefineFactor: -1})
		for i, id := range ids {
			if id == r.ID {
				return true, dist[i]
			}
		}
		return false, 0
	}
	for _, r := range appended {
		if found, dist := own(d, r); !found || dist != 0 {
			t.Fatalf("before optimize %s: found %v at %g, want found exactly", r.ID, found, dist)
		}
	}
	st, err := d.IndexStatistics(ctx, "vector_idx")
	if err != nil || st.UnindexedRows != 400 || st.UnindexedFragments != 2 {
		t.Fatalf("before optimize: %+v, %v", st, err)
	}

	nd, res, err := d.Optimize(ctx, OptimizeOptions{CleanupOlderThan: -1})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	d = nd
	if res.Compaction.Bins != 1 || res.Compaction.FragmentsRemoved != 2 {
		t.Errorf("compaction %+v, want the two appended fragments merged", res.Compaction)
	}
	if fmt.Sprint(res.IndexesUpdated) != "[vector_idx]" || len(res.IndexesRebuilt) != 0 || len(res.IndexesSkipped) != 0 {
		t.Errorf("optimize updated %v, rebuilt %v, skipped %v; want vector_idx updated", res.IndexesUpdated, res.IndexesRebuilt, res.IndexesSkipped)
	}
	st, err = d.IndexStatistics(ctx, "vector_idx")
	if err != nil {
		t.Fatal(err)
	}
	if st.UnindexedRows != 0 || st.UnindexedFragments != 0 || st.IndexedRows != 2000 || st.Segments != 2 {
		t.Fatalf("after optimize: %+v, want 2000 rows indexed in 2 segments", st)
	}
	for _, r := range appended {
		if found, dist := own(d, r); !found || dist == 0 {
			t.Errorf("after optimize %s: found %v at %g, want found through the index", r.ID, found, dist)
		}
	}
	for _, r := range appended {
		ids, _ := searchIDs(t, d, SearchOptions{Query: r.Vector, K: 1})
		if len(ids) != 1 || ids[0] != r.ID {
			t.Errorf("refined search for %s: %v", r.ID, ids)
		}
	}

	// Up to date now: a second run has nothing to do for the index.
	nd, res, err = d.Optimize(ctx, OptimizeOptions{CleanupOlderThan: -1})
	if err != nil {
		t.Fatal(err)
	}
	d.Close()
	d = nd
	if len(res.IndexesUpdated)+len(res.IndexesRebuilt)+len(res.IndexesSkipped) != 0 {
		t.Errorf("second optimize touched indexes: %+v", res)
	}
}

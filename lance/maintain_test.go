package lance

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/resona-go/resona/lance/expr"
)

// A Resona-like history (small appends, deletes, upserts), then a BTREE on
// id, then compaction: rows and index lookups survive, the index is
// remapped, cleanup removes what only old versions needed.
func TestMaintenanceWithBTree(t *testing.T) {
	ctx := context.Background()
	path := tempTable(t)
	d := mustCreate(t, path, testDim, rowsFor("k", 0, 10, 0, testDim), CreateOptions{})
	model := map[string]string{}
	expectContent(model, rowsFor("k", 0, 10, 0, testDim))
	cur := d
	step := func(nd *Dataset) {
		if cur != d {
			cur.Close()
		}
		cur = nd
	}
	for i := 1; i < 6; i++ {
		rows := rowsFor("k", i*10, i*10+10, 0, testDim)
		nd, err := cur.Append(ctx, []arrow.RecordBatch{resonaBatch(testDim, rows)})
		if err != nil {
			t.Fatal(err)
		}
		expectContent(model, rows)
		step(nd)
	}
	nd, err := cur.CreateIndex(ctx, "id", IndexOptions{Type: IndexBTree})
	if err != nil {
		t.Fatal(err)
	}
	step(nd)
	if _, err := cur.CreateIndex(ctx, "id", IndexOptions{}); !errors.Is(err, ErrInvalidArgument) {
		t.Errorf("second index named id_idx: %v, want ErrInvalidArgument", err)
	}
	st, err := cur.IndexStatistics(ctx, "id_idx")
	if err != nil {
		t.Fatal(err)
	}
	if st.Type != IndexBTree || st.IndexedRows != 60 || st.UnindexedRows != 0 || st.Segments != 1 || fmt.Sprint(st.Columns) != "[id]" {
		t.Errorf("index statistics %+v", st)
	}
	// More history after the index: an upsert and a delete.
	up := append(rowsFor("k", 5, 8, 1, testDim), rowsFor("n", 0, 4, 1, testDim)...)
	nd, _ = upsert(t, cur, up)
	step(nd)
	expectContent(model, up)
	nd, _, err = cur.Delete(ctx, expr.Col("id").In("k12", "k13", "k14", "k15", "k16"))
	if err != nil {
		t.Fatal(err)
	}
	step(nd)
	for i := 12; i <= 16; i++ {
		delete(model, fmt.Sprintf("k%d", i))
	}
	st, err = cur.IndexStatistics(ctx, "id_idx")
	if err != nil {
		t.Fatal(err)
	}
	// Live rows of indexed fragments: 60 − 3 updated − 5 deleted; the
	// new fragment holds the 7 upserted rows.
	if st.IndexedRows != 52 || st.UnindexedRows != 7 || st.UnindexedFragments != 1 {
		t.Errorf("index statistics after writes %+v, want 52 indexed, 7 unindexed rows", st)
	}
	if _, err := cur.IndexStatistics(ctx, "nope"); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown index: %v, want ErrNotFound", err)
	}

	stats, err := cur.Stats(ctx, StatsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if stats.LiveRows != uint64(len(model)) || stats.Fragments.Count != 7 || len(stats.Indexes) != 1 || stats.Indexes[0].UnindexedRows != 7 {
		t.Errorf("stats %+v", stats)
	}

	var events int
	dry, met, err := cur.Compact(ctx, CompactionOptions{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	dry.Close()
	if met.Version != 0 || met.Bins == 0 {
		t.Errorf("dry run metrics %+v", met)
	}
	nd, met, err = cur.Compact(ctx, CompactionOptions{Progress: func(ProgressEvent) { events++ }})
	if err != nil {
		t.Fatal(err)
	}
	step(nd)
	if met.Version != cur.Version() || met.IndexesRemapped != 1 || met.FragmentsRemoved != 6 || len(met.Skipped) != 0 {
		// the 6 indexed fragments form one bin; the unindexed one is alone
		t.Errorf("compaction metrics %+v", met)
	}
	if events == 0 {
		t.Error("no progress reported")
	}
	sameContent(t, tableContent(t, cur), model)
	st, err = cur.IndexStatistics(ctx, "id_idx")
	if err != nil {
		t.Fatal(err)
	}
	if st.IndexedRows != 52 || st.UnindexedRows != 7 {
		t.Errorf("index statistics after compaction %+v", st)
	}
	// The remapped index finds rows at their new addresses.
	checkBTreeLookup(t, cur, "k30", "k6", "n1", "k13")

	// Optimize brings the BTREE up to date with the upserted rows.
	nd, ores, err := cur.Optimize(ctx, OptimizeOptions{CleanupOlderThan: -1})
	if err != nil {
		t.Fatal(err)
	}
	step(nd)
	if fmt.Sprint(ores.IndexesRebuilt) != "[id_idx]" {
		t.Errorf("optimize rebuilt %v, want [id_idx]", ores.IndexesRebuilt)
	}
	if st, err = cur.IndexStatistics(ctx, "id_idx"); err != nil || st.UnindexedRows != 0 || st.IndexedRows != uint64(len(model)) {
		t.Errorf("index statistics after optimize %+v, %v", st, err)
	}
	checkBTreeLookup(t, cur, "n1", "k6")

	cs, err := cur.CleanupOldVersions(ctx, CleanupOptions{RetainVersions: 1, DeleteUnverified: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs.VersionsRemoved) != int(cur.Version())-1 || cs.DataFilesRemoved == 0 || cs.IndexFilesRemoved == 0 {
		t.Errorf("cleanup %+v", cs)
	}
	re := openT(t, path)
	sameContent(t, tableContent(t, re), model)
	checkBTreeLookup(t, re, "k30", "k6")
}

// checkBTreeLookup opens the id_idx segment and checks that each id it
// finds sits at an address whose row has that id (and that ids missing
// from the table are not found in live rows).
func checkBTreeLookup(t *testing.T, d *Dataset, ids ...string) {
	t.Helper()
	ctx := context.Background()
	for _, id := range ids {
		want, _, err := d.matchAddresses(ctx, expr.Col("id").Eq(id), nil)
		if err != nil {
			t.Fatal(err)
		}
		got, err := d.btreeLookup(ctx, "id", []any{id})
		if err != nil {
			t.Fatal(err)
		}
		var wantAddrs []uint64
		for f, bm := range want {
			for _, o := range bm.ToArray() {
				wantAddrs = append(wantAddrs, f<<32|uint64(o))
			}
		}
		if fmt.Sprint(got.indexed) != fmt.Sprint(wantAddrs) && !(len(got.indexed) == 0 && len(got.unindexed) > 0) {
			t.Errorf("index finds %s at %v, a scan at %v", id, got.indexed, wantAddrs)
		}
		if len(got.indexed) == 1 {
			rec, err := d.Take(ctx, got.indexed, []string{"id"})
			if err != nil {
				t.Fatal(err)
			}
			if v := rec.Column(0).(*array.String).Value(0); v != id {
				t.Errorf("index address of %s holds %s", id, v)
			}
		}
	}
}

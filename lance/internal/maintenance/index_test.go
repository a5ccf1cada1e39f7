package maintenance_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/google/uuid"

	"github.com/resona-go/resona/lance"
	"github.com/resona-go/resona/lance/internal/commit"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/maintenance"
)

// addresses maps each row id to its row address.
func addresses(t *testing.T, dir string) map[int64]uint64 {
	t.Helper()
	ctx := context.Background()
	ds, err := lance.Open(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	out := map[int64]uint64{}
	for rec, err := range ds.Scan(ctx, lance.ScanOptions{Columns: []string{"id"}, WithRowAddress: true}) {
		if err != nil {
			t.Fatal(err)
		}
		ids := rec.Column(0).(*array.Int64)
		addrs := rec.Column(1).(*array.Uint64)
		for i := 0; i < int(rec.NumRows()); i++ {
			out[ids.Value(i)] = addrs.Value(i)
		}
	}
	return out
}

// Without a remapper, bins covered by an index are skipped and reported;
// the other bins are compacted and the index stays valid.
func TestCompactSkipsIndexedBins(t *testing.T) {
	ctx := context.Background()
	tb := newFragmented(t, format.SchemeV2, 60)
	id := tb.addIndex("id_idx", 0, 1, 2)
	met, err := maintenance.Compact(ctx, tb.st, maintenance.CompactOptions{TargetRowsPerFragment: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(met.Skipped) != 1 || !reflect.DeepEqual(met.Skipped[0].Fragments, []uint64{0, 1, 2}) ||
		!strings.Contains(met.Skipped[0].Reason, "id_idx") || !strings.Contains(met.Skipped[0].Reason, id.String()) {
		t.Errorf("skipped %+v", met.Skipped)
	}
	if met.Bins != 1 || met.FragmentsRemoved != 3 || met.FragmentsAdded != 1 {
		t.Errorf("metrics %+v", met)
	}
	m := tb.latest()
	var ids []uint64
	for _, f := range m.Fragments {
		ids = append(ids, f.ID)
	}
	if !reflect.DeepEqual(ids, []uint64{0, 1, 2, 6}) {
		t.Errorf("fragments %v", ids)
	}
	if len(m.Indexes) != 1 || m.Indexes[0].UUID != id.String() || !reflect.DeepEqual(m.Indexes[0].Fragments.ToArray(), []uint32{0, 1, 2}) {
		t.Errorf("index %+v", m.Indexes)
	}
	checkRows(t, tb.dir, 0, idsWhere(60, all))

	// Only indexed bins left: nothing is committed.
	met, err = maintenance.Compact(ctx, tb.st, maintenance.CompactOptions{TargetRowsPerFragment: 100})
	if err != nil || met.Version != 0 || len(met.Skipped) != 1 {
		t.Errorf("second compaction %+v, %v", met, err)
	}
}

// With a remapper, indexed bins are rewritten, the remapper sees a row map
// that sends every old address to the row's new address, and its new
// segments are committed with the rewrite.
func TestCompactRemapHook(t *testing.T) {
	ctx := context.Background()
	tb := newFragmented(t, format.SchemeV1, 60)
	tb.deleteWhere(func(id int64) bool { return id%4 == 1 })
	oldID := tb.addIndex("id_idx", 0, 1, 2)
	before := addresses(t, tb.dir)
	// Deleted rows of the indexed fragments 0-2 (ids 0..29, ten per
	// fragment before compaction).
	var deleted []uint64
	for id := int64(1); id < 30; id += 4 {
		deleted = append(deleted, maintenance.RowAddress(uint64(id/10), uint32(id%10)))
	}
	var got *maintenance.RowMap
	newID := uuid.New()
	met, err := maintenance.Compact(ctx, tb.st, maintenance.CompactOptions{
		TargetRowsPerFragment: 100,
		RemapIndexes: func(ctx context.Context, m *format.Manifest, segs []format.Index, rows *maintenance.RowMap) ([]commit.RewrittenIndex, error) {
			if len(segs) != 1 || segs[0].UUID != oldID.String() {
				t.Errorf("segments %+v", segs)
			}
			got = rows
			return []commit.RewrittenIndex{{OldID: oldID, NewID: newID}}, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if met.IndexesRemapped != 1 || met.Bins != 2 || len(met.Skipped) != 0 {
		t.Errorf("metrics %+v", met)
	}
	after := addresses(t, tb.dir)
	if len(after) != len(before) {
		t.Fatalf("%d rows after, %d before", len(after), len(before))
	}
	if got == nil {
		t.Fatal("remapper not called")
	}
	if !reflect.DeepEqual(got.OldFragmentIDs(), []uint64{0, 1, 2}) {
		t.Errorf("row map covers %v", got.OldFragmentIDs())
	}
	for id, old := range before {
		n, found, del := got.Lookup(old)
		if old>>32 >= 3 {
			if found {
				t.Errorf("row %d in an unindexed fragment is in the row map", id)
			}
			continue
		}
		if !found || del || n != after[id] {
			t.Errorf("row %d: %x → %x (found %v deleted %v), really %x", id, old, n, found, del, after[id])
		}
	}
	for _, a := range deleted {
		if _, found, del := got.Lookup(a); !found || !del {
			t.Errorf("deleted address %x: found %v deleted %v", a, found, del)
		}
	}
	m := tb.latest()
	if len(m.Indexes) != 1 || m.Indexes[0].UUID != newID.String() {
		t.Fatalf("indexes %+v", m.Indexes)
	}
	newFrag := uint32(after[0] >> 32)
	if !reflect.DeepEqual(m.Indexes[0].Fragments.ToArray(), []uint32{newFrag}) {
		t.Errorf("index covers %v, want [%d]", m.Indexes[0].Fragments.ToArray(), newFrag)
	}
	checkRows(t, tb.dir, 0, idsWhere(60, func(id int64) bool { return id%4 != 1 }))
}

// With remapping, fragment ids are chosen before the commit, so any commit
// that lands meanwhile turns the compaction into a retryable conflict
// instead of a rebase that could reuse those ids.
func TestCompactRemapRefusesRebase(t *testing.T) {
	ctx := context.Background()
	tb := newFragmented(t, format.SchemeV2, 40)
	oldID := tb.addIndex("id_idx", 0, 1, 2, 3)
	filesBefore := len(listFiles(t, tb.dir))
	remap := func(ctx context.Context, m *format.Manifest, segs []format.Index, rows *maintenance.RowMap) ([]commit.RewrittenIndex, error) {
		return []commit.RewrittenIndex{{OldID: oldID, NewID: uuid.New()}}, nil
	}
	_, err := maintenance.Compact(ctx, tb.st, maintenance.CompactOptions{
		TargetRowsPerFragment: 100,
		RemapIndexes: func(ctx context.Context, m *format.Manifest, segs []format.Index, rows *maintenance.RowMap) ([]commit.RewrittenIndex, error) {
			tb.appendRows(40, 10) // takes fragment id 4, which the compaction chose too
			return remap(ctx, m, segs, rows)
		},
	})
	if !errors.Is(err, lanceerr.ErrCommitConflict) {
		t.Fatalf("err %v, want a commit conflict", err)
	}
	m := tb.latest()
	if len(m.Indexes) != 1 || m.Indexes[0].UUID != oldID.String() || len(m.Fragments) != 5 {
		t.Errorf("after the refused compaction: %d fragments, indexes %+v", len(m.Fragments), m.Indexes)
	}
	// Left: the append's data file, manifest and transaction, and the
	// compaction's transaction file (removed by cleanup once old).
	if got := len(listFiles(t, tb.dir)); got != filesBefore+4 {
		t.Errorf("%d files, want %d:\n%v", got, filesBefore+4, listFiles(t, tb.dir))
	}
	checkRows(t, tb.dir, 0, idsWhere(50, all))
	met, err := maintenance.Compact(ctx, tb.st, maintenance.CompactOptions{TargetRowsPerFragment: 100, RemapIndexes: remap})
	if err != nil {
		t.Fatal(err)
	}
	if met.IndexesRemapped != 1 || met.FragmentsRemoved != 4 {
		t.Errorf("metrics %+v", met)
	}
	checkRows(t, tb.dir, 0, idsWhere(50, all))
}

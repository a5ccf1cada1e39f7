package maintenance_test

import (
	"testing"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/resona-go/resona/lance/internal/maintenance"
)

func TestRowAddress(t *testing.T) {
	a := maintenance.RowAddress(7, 42)
	if a != 7<<32|42 {
		t.Errorf("address %x", a)
	}
	if f, o := maintenance.SplitRowAddress(a); f != 7 || o != 42 {
		t.Errorf("split %d %d", f, o)
	}
}

// A group map built by a compaction of two fragments (5 rows with 1 and 3
// deleted, 4 rows) into files of 3 rows.
func TestRowMapLookup(t *testing.T) {
	del := roaring.BitmapOf(1, 3)
	rm := maintenance.RowMap{Groups: []maintenance.GroupMap{maintenance.NewGroupMap(
		[]maintenance.OldFragment{{ID: 4, PhysicalRows: 5, Deleted: del}, {ID: 5, PhysicalRows: 4, Deleted: roaring.New()}},
		[]maintenance.NewFragment{{ID: 9, Rows: 3}, {ID: 10, Rows: 3}, {ID: 11, Rows: 1}},
	)}}
	// Live rows in order: 4:0 4:2 4:4 5:0 5:1 5:2 5:3 → 9:0 9:1 9:2 10:0 10:1 10:2 11:0.
	want := map[uint64]uint64{
		maintenance.RowAddress(4, 0): maintenance.RowAddress(9, 0),
		maintenance.RowAddress(4, 2): maintenance.RowAddress(9, 1),
		maintenance.RowAddress(4, 4): maintenance.RowAddress(9, 2),
		maintenance.RowAddress(5, 0): maintenance.RowAddress(10, 0),
		maintenance.RowAddress(5, 2): maintenance.RowAddress(10, 2),
		maintenance.RowAddress(5, 3): maintenance.RowAddress(11, 0),
	}
	for old, nw := range want {
		got, found, deleted := rm.Lookup(old)
		if !found || deleted || got != nw {
			t.Errorf("%x → %x (found %v deleted %v), want %x", old, got, found, deleted, nw)
		}
	}
	for _, a := range []uint64{maintenance.RowAddress(4, 1), maintenance.RowAddress(4, 3), maintenance.RowAddress(5, 4)} {
		if _, found, deleted := rm.Lookup(a); !found || !deleted {
			t.Errorf("%x: found %v deleted %v, want deleted", a, found, deleted)
		}
	}
	if _, found, _ := rm.Lookup(maintenance.RowAddress(6, 0)); found {
		t.Error("a fragment outside the rewrite was found")
	}
}

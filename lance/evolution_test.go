package lance

import (
	"context"
	"testing"
)

// TestMissingFieldReadsAsNull checks that a field none of a fragment's data
// files holds (a column added to the schema after the fragment was
// written, without backfill) reads as nulls, in scans, takes and filters.
func TestMissingFieldReadsAsNull(t *testing.T) {
	path, fx := loadFixture(t, "v13")
	ds := openT(t, path)
	// Forget fragment 0's second data file, the one holding n2.
	f0 := &ds.m.Fragments[0]
	if len(f0.Files) != 2 {
		t.Fatalf("fragment 0 has %d files", len(f0.Files))
	}
	f0.Files = f0.Files[:1]

	last := fx.Versions[len(fx.Versions)-1]
	addrs := column[uint64](t, last.Rows, "_rowid")
	n2 := column[*int64](t, last.Rows, "n2")
	var want []any
	for i, a := range addrs {
		if a>>32 == 0 {
			want = append(want, nil)
		} else {
			want = append(want, *n2[i])
		}
	}
	got, _ := scanTable(t, ds, ScanOptions{Columns: []string{"n2"}})
	checkColumn(t, got, "n2", want)

	rec, err := ds.Take(context.Background(), []uint64{1, 1<<32 | 1}, []string{"n2"})
	if err != nil {
		t.Fatal(err)
	}
	if !rec.Column(0).IsNull(0) || rec.Column(0).IsNull(1) {
		t.Errorf("take n2 = %v, want [null, value]", rec.Column(0))
	}
	nulls := 0
	for _, w := range want {
		if w == nil {
			nulls++
		}
	}
	n, err := ds.CountRows(context.Background(), exprIsNull("n2"))
	if err != nil || n != int64(nulls) {
		t.Errorf("CountRows(n2 IS NULL) = %d, %v; want %d", n, err, nulls)
	}
}

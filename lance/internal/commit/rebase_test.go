package commit

import (
	"context"
	"errors"
	"testing"

	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/pb"
)

func TestRebaseMergesDeletionFiles(t *testing.T) {
	ctx := context.Background()
	dir, st := newTable(t, format.SchemeV2, 10)
	if _, err := Commit(ctx, st, deleteRowsTxn(t, st, 1, 0, 9), Options{}); err != nil {
		t.Fatal(err)
	}
	// Three deletes prepared on version 2, each on other rows of fragment 0.
	a := deleteRowsTxn(t, st, 2, 0, 0, 1)
	b := deleteRowsTxn(t, st, 2, 0, 2)
	c := deleteRowsTxn(t, st, 2, 0, 5, 6)
	if _, err := Commit(ctx, st, appendTxn(t, dir, 2, 10, 4), Options{}); err != nil {
		t.Fatal(err)
	}
	for i, txn := range []*Transaction{a, b, c} {
		res, err := Commit(ctx, st, txn, Options{})
		if err != nil {
			t.Fatal(err)
		}
		// The first lands over an append and keeps its read version; the
		// others were rebased onto the version before them.
		want := res.Version - 1
		if i == 0 {
			want = 2
		}
		if res.Transaction.ReadVersion != want {
			t.Errorf("rebased transaction records read version %d for version %d", res.Transaction.ReadVersion, res.Version)
		}
		got, err := ReadVersionTransaction(ctx, st, res.Path)
		if err != nil || got.ReadVersion != res.Transaction.ReadVersion {
			t.Errorf("stored transaction %v, %v", got, err)
		}
	}
	m := verifyTable(t, st, map[uint64]uint64{2: 9, 3: 13, 4: 11, 5: 10, 6: 8})
	del, err := format.ReadDeletions(ctx, st, &m.Fragments[0])
	if err != nil {
		t.Fatal(err)
	}
	if got := del.ToArray(); len(got) != 6 || got[0] != 0 || got[2] != 2 || got[3] != 5 || got[5] != 9 {
		t.Errorf("deleted rows %v, want [0 1 2 5 6 9]", got)
	}
}

func TestRebaseDeletesWholeFragment(t *testing.T) {
	ctx := context.Background()
	_, st := newTable(t, format.SchemeV1, 4)
	a := deleteRowsTxn(t, st, 1, 0, 0, 1)
	b := deleteRowsTxn(t, st, 1, 0, 2, 3)
	if _, err := Commit(ctx, st, a, Options{}); err != nil {
		t.Fatal(err)
	}
	res, err := Commit(ctx, st, b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Manifest.Fragments) != 0 {
		t.Fatalf("fragment left with every row deleted: %v", res.Manifest.Fragments)
	}
	if d, ok := res.Transaction.Operation.(Delete); !ok || len(d.DeletedFragmentIDs) != 1 {
		t.Errorf("rebased operation %v", res.Transaction.Operation)
	}
	verifyTable(t, st, map[uint64]uint64{3: 0})
}

func TestRebaseUpdateOverDelete(t *testing.T) {
	ctx := context.Background()
	dir, st := newTable(t, format.SchemeV2, 10)
	// A merge-insert prepared on version 1: rows 3 and 4 move to a new
	// fragment (deleted from fragment 0).
	moved := deleteRowsTxn(t, st, 1, 0, 3, 4).Operation.(Delete).UpdatedFragments
	upsert := &Transaction{ReadVersion: 1, Operation: Update{UpdatedFragments: moved,
		NewFragments: []*pb.DataFragment{writeFragment(t, dir, 3, 2)}, FieldsForPreservingFragBitmap: []uint32{0, 1}}}
	if _, err := Commit(ctx, st, deleteRowsTxn(t, st, 1, 0, 7), Options{}); err != nil {
		t.Fatal(err)
	}
	if _, err := Commit(ctx, st, upsert, Options{}); err != nil {
		t.Fatal(err)
	}
	verifyTable(t, st, map[uint64]uint64{2: 9, 3: 9})

	// An upsert moving a row that a concurrent delete removed must not land.
	again := deleteRowsTxn(t, st, 3, 0, 8).Operation.(Delete).UpdatedFragments
	up2 := &Transaction{ReadVersion: 3, Operation: Update{UpdatedFragments: again, NewFragments: []*pb.DataFragment{writeFragment(t, dir, 8, 1)}}}
	if _, err := Commit(ctx, st, deleteRowsTxn(t, st, 3, 0, 8), Options{}); err != nil {
		t.Fatal(err)
	}
	_, err := Commit(ctx, st, up2, Options{})
	var ce *ConflictError
	if !errors.As(err, &ce) || !ce.Retryable {
		t.Fatalf("err = %v, want a retryable conflict on row 8", err)
	}
	verifyTable(t, st, map[uint64]uint64{4: 8})
}

func TestRebaseRefusesRewrittenFiles(t *testing.T) {
	ctx := context.Background()
	dir, st := newTable(t, format.SchemeV2, 10)
	del := deleteRowsTxn(t, st, 1, 0, 1)
	// A concurrent column rewrite replaces fragment 0's data file.
	m, err := format.LoadManifest(ctx, st, 1)
	if err != nil {
		t.Fatal(err)
	}
	nf := cloneFragments([]*pb.DataFragment{m.Fragments[0].PB})[0]
	nf.Files = writeFragment(t, dir, 0, 10).Files
	if _, err := Commit(ctx, st, &Transaction{ReadVersion: 1, Operation: Update{UpdatedFragments: []*pb.DataFragment{nf}, FieldsModified: []uint32{1}, Mode: RewriteColumns}}, Options{}); err != nil {
		t.Fatal(err)
	}
	_, err = Commit(ctx, st, del, Options{})
	var ce *ConflictError
	if !errors.As(err, &ce) || !ce.Retryable {
		t.Fatalf("err = %v, want a retryable conflict", err)
	}
}

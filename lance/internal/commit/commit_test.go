package commit

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/storage"
)

func appendTxn(t testing.TB, dir string, readVersion uint64, start, n int64) *Transaction {
	return &Transaction{ReadVersion: readVersion, Operation: Append{Fragments: []*pb.DataFragment{writeFragment(t, dir, start, n)}}}
}

// deleteTxn deletes the first k rows of fragment id of version readVersion.
func deleteTxn(t testing.TB, st storage.Store, readVersion, id uint64, k uint32) *Transaction {
	t.Helper()
	rows := make([]uint32, k)
	for i := range rows {
		rows[i] = uint32(i)
	}
	return deleteRowsTxn(t, st, readVersion, id, rows...)
}

// deleteRowsTxn deletes the given row offsets of fragment id (on top of
// the deletions it has at readVersion).
func deleteRowsTxn(t testing.TB, st storage.Store, readVersion, id uint64, rows ...uint32) *Transaction {
	t.Helper()
	ctx := context.Background()
	m, err := format.LoadManifest(ctx, st, readVersion)
	if err != nil {
		t.Fatal(err)
	}
	for _, fr := range m.Fragments {
		if fr.ID != id {
			continue
		}
		del, err := format.ReadDeletions(ctx, st, &fr)
		if err != nil {
			t.Fatal(err)
		}
		del.AddMany(rows)
		upd := cloneFragments([]*pb.DataFragment{fr.PB})[0]
		if del.GetCardinality() == fr.PhysicalRows {
			return &Transaction{ReadVersion: readVersion, Operation: Delete{DeletedFragmentIDs: []uint64{id}}}
		}
		df, err := format.WriteDeletionFile(ctx, st, id, readVersion, del)
		if err != nil {
			t.Fatal(err)
		}
		upd.DeletionFile = df
		return &Transaction{ReadVersion: readVersion, Operation: Delete{UpdatedFragments: []*pb.DataFragment{upd}, Predicate: "test"}}
	}
	t.Fatalf("no fragment %d at version %d", id, readVersion)
	return nil
}

func TestCommitSequence(t *testing.T) {
	for _, scheme := range []format.NamingScheme{format.SchemeV1, format.SchemeV2} {
		t.Run(scheme.String(), func(t *testing.T) {
			ctx := context.Background()
			dir, st := newTable(t, scheme, 10)
			res, err := Commit(ctx, st, appendTxn(t, dir, 1, 10, 5), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Version != 2 || res.Path != scheme.ManifestPath(2) || res.Attempts != 1 {
				t.Fatalf("append: %+v", res)
			}
			if got := res.Manifest.Fragments[1].ID; got != 1 {
				t.Errorf("appended fragment id %d, want 1", got)
			}
			if _, err := st.Stat(ctx, format.TransactionsDir+"/"+res.TransactionFile); err != nil {
				t.Errorf("transaction file: %v", err)
			}
			if _, err := Commit(ctx, st, deleteTxn(t, st, 2, 0, 3), Options{}); err != nil {
				t.Fatal(err)
			}
			res, err = Commit(ctx, st, &Transaction{ReadVersion: 3, Operation: Delete{DeletedFragmentIDs: []uint64{1}}}, Options{})
			if err != nil {
				t.Fatal(err)
			}
			if res.Manifest.ReaderFlags != format.FlagDeletionFiles || res.Manifest.WriterFlags != format.FlagDeletionFiles {
				t.Errorf("flags %d/%d, want deletion files", res.Manifest.ReaderFlags, res.Manifest.WriterFlags)
			}
			if res, err = Commit(ctx, st, appendTxn(t, dir, 4, 100, 4), Options{}); err != nil {
				t.Fatal(err)
			}
			// Fragment 1 was deleted, but its id is never reused.
			if got := res.Manifest.Fragments[len(res.Manifest.Fragments)-1].ID; got != 2 {
				t.Errorf("appended fragment id %d, want 2", got)
			}
			if res, err = Commit(ctx, st, &Transaction{ReadVersion: 5, Operation: Restore{Version: 2}}, Options{}); err != nil {
				t.Fatal(err)
			}
			if hi, _ := res.Manifest.MaxFragmentID(); hi != 2 {
				t.Errorf("restored max fragment id %d, want 2", hi)
			}
			verifyTable(t, st, map[uint64]uint64{1: 10, 2: 15, 3: 12, 4: 7, 5: 11, 6: 15})

			hint, ok := format.ReadVersionHint(ctx, st)
			if scheme == format.SchemeV2 && (!ok || hint != 6) {
				t.Errorf("V2 hint = %d, %v; want 6", hint, ok)
			}
			if scheme == format.SchemeV1 && ok {
				t.Errorf("V1 table got a version hint")
			}
		})
	}
}

func TestCommitInlineTransaction(t *testing.T) {
	ctx := context.Background()
	dir, st := newTable(t, format.SchemeV2, 3)
	res, err := Commit(ctx, st, appendTxn(t, dir, 1, 3, 3), Options{Inline: InlineAlways})
	if err != nil {
		t.Fatal(err)
	}
	if res.Manifest.Transaction == nil || res.Manifest.PB.TransactionFile == "" {
		t.Fatal("want both the inline transaction and the file")
	}
	// Auto follows the base manifest.
	if res, err = Commit(ctx, st, appendTxn(t, dir, 2, 6, 3), Options{}); err != nil {
		t.Fatal(err)
	}
	if res.Manifest.Transaction == nil {
		t.Error("auto mode dropped the inline transaction")
	}
	if res, err = Commit(ctx, st, appendTxn(t, dir, 3, 9, 3), Options{Inline: InlineNever}); err != nil {
		t.Fatal(err)
	}
	if res.Manifest.Transaction != nil {
		t.Error("never mode wrote an inline transaction")
	}
	verifyTable(t, st, map[uint64]uint64{4: 12})
}

func TestCommitRebasesConcurrentAppends(t *testing.T) {
	ctx := context.Background()
	dir, st := newTable(t, format.SchemeV2, 10)
	a, b := appendTxn(t, dir, 1, 10, 5), appendTxn(t, dir, 1, 15, 5)
	if _, err := Commit(ctx, st, a, Options{}); err != nil {
		t.Fatal(err)
	}
	res, err := Commit(ctx, st, b, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != 3 || len(res.Manifest.Fragments) != 3 || res.Manifest.Fragments[2].ID != 2 {
		t.Fatalf("rebased append: version %d, %d fragments", res.Version, len(res.Manifest.Fragments))
	}
	// The .txn keeps the read version the transaction was prepared on.
	if want := "1-" + res.Transaction.UUID + ".txn"; res.TransactionFile != want {
		t.Errorf("transaction file %s, want %s", res.TransactionFile, want)
	}
	verifyTable(t, st, map[uint64]uint64{3: 20})
}

func TestCommitLostRaceRetries(t *testing.T) {
	ctx := context.Background()
	dir, st := newTable(t, format.SchemeV1, 10)
	racers := 3
	opts := Options{BackoffUnit: 1}
	opts.Failpoint = func(name string) error {
		if name != FailBeforeManifestLink || racers == 0 {
			return nil
		}
		racers--
		// Another writer commits between our build and our link.
		m, err := format.LoadManifest(ctx, st, 0)
		if err != nil {
			return err
		}
		_, err = Commit(ctx, st, appendTxn(t, dir, m.Version, 1000, 1), Options{})
		return err
	}
	res, err := Commit(ctx, st, appendTxn(t, dir, 1, 10, 5), opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Attempts != 4 || res.Version != 5 {
		t.Fatalf("attempts %d version %d, want 4 and 5", res.Attempts, res.Version)
	}
	m := verifyTable(t, st, map[uint64]uint64{5: 18})
	seen := map[uint64]bool{}
	for _, f := range m.Fragments {
		if seen[f.ID] {
			t.Fatalf("fragment id %d twice", f.ID)
		}
		seen[f.ID] = true
	}
}

func TestCommitGivesUp(t *testing.T) {
	ctx := context.Background()
	dir, st := newTable(t, format.SchemeV2, 1)
	n := 0
	opts := Options{MaxRetries: 2, BackoffUnit: 1, Failpoint: func(name string) error {
		if name != FailBeforeManifestLink {
			return nil
		}
		n++
		m, err := format.LoadManifest(ctx, st, 0)
		if err != nil {
			return err
		}
		_, err = Commit(ctx, st, appendTxn(t, dir, m.Version, int64(100*n), 1), Options{})
		return err
	}}
	_, err := Commit(ctx, st, appendTxn(t, dir, 1, 10, 1), opts)
	if !isConflict(err) {
		t.Fatalf("err = %v, want a commit conflict", err)
	}
	if n != 3 {
		t.Errorf("tried %d times, want 3", n)
	}
	verifyTable(t, st, map[uint64]uint64{4: 4})
}

func TestCommitConflicts(t *testing.T) {
	ctx := context.Background()
	t.Run("delete vs delete of the same fragment", func(t *testing.T) {
		_, st := newTable(t, format.SchemeV2, 10)
		a, b := deleteTxn(t, st, 1, 0, 2), deleteTxn(t, st, 1, 0, 4)
		if _, err := Commit(ctx, st, a, Options{}); err != nil {
			t.Fatal(err)
		}
		_, err := Commit(ctx, st, b, Options{})
		var ce *ConflictError
		if !errors.As(err, &ce) || !ce.Retryable || ce.Version != 2 || !isConflict(err) {
			t.Fatalf("err = %v, want a retryable conflict with version 2", err)
		}
		verifyTable(t, st, map[uint64]uint64{2: 8})
	})
	t.Run("delete rebased over an append", func(t *testing.T) {
		dir, st := newTable(t, format.SchemeV2, 10)
		del := deleteTxn(t, st, 1, 0, 2)
		if _, err := Commit(ctx, st, appendTxn(t, dir, 1, 10, 5), Options{}); err != nil {
			t.Fatal(err)
		}
		if _, err := Commit(ctx, st, del, Options{}); err != nil {
			t.Fatal(err)
		}
		verifyTable(t, st, map[uint64]uint64{3: 13})
	})
	t.Run("append after an overwrite", func(t *testing.T) {
		dir, st := newTable(t, format.SchemeV1, 10)
		ow := &Transaction{ReadVersion: 1, Operation: Overwrite{Fragments: []*pb.DataFragment{writeFragment(t, dir, 0, 3)}, Schema: testFields(t)}}
		app := appendTxn(t, dir, 1, 10, 5)
		if _, err := Commit(ctx, st, ow, Options{}); err != nil {
			t.Fatal(err)
		}
		_, err := Commit(ctx, st, app, Options{})
		var ce *ConflictError
		if !errors.As(err, &ce) || ce.Retryable || ce.Other != "Overwrite" {
			t.Fatalf("err = %v, want an incompatible conflict with Overwrite", err)
		}
		verifyTable(t, st, map[uint64]uint64{2: 3})
	})
	t.Run("two creators", func(t *testing.T) {
		dir := t.TempDir()
		st := storage.NewLocal(dir)
		mk := func(n int64) *Transaction {
			return &Transaction{Operation: Overwrite{Fragments: []*pb.DataFragment{writeFragment(t, dir, 0, n)}, Schema: testFields(t)}}
		}
		second := mk(2)
		opts := Options{Failpoint: func(name string) error {
			if name == FailBeforeManifestLink {
				_, err := Commit(ctx, st, second, Options{})
				return err
			}
			return nil
		}}
		_, err := Commit(ctx, st, mk(1), opts)
		if !isConflict(err) {
			t.Fatalf("err = %v, want a conflict", err)
		}
		verifyTable(t, st, map[uint64]uint64{1: 2})
	})
	t.Run("missing transaction record", func(t *testing.T) {
		dir, st := newTable(t, format.SchemeV2, 10)
		res, err := Commit(ctx, st, appendTxn(t, dir, 1, 10, 1), Options{})
		if err != nil {
			t.Fatal(err)
		}
		if err := st.Delete(ctx, format.TransactionsDir+"/"+res.TransactionFile); err != nil {
			t.Fatal(err)
		}
		_, err = Commit(ctx, st, appendTxn(t, dir, 1, 20, 1), Options{})
		if !isConflict(err) {
			t.Fatalf("err = %v, want a conflict", err)
		}
	})
}

func TestCommitRejects(t *testing.T) {
	ctx := context.Background()
	dir, st := newTable(t, format.SchemeV2, 1)
	cases := map[string]struct {
		txn  *Transaction
		want error
	}{
		"future read version":          {appendTxn(t, dir, 9, 0, 1), lanceerr.ErrInvalidArgument},
		"append without read version":  {appendTxn(t, dir, 0, 0, 1), lanceerr.ErrInvalidArgument},
		"foreign":                      {&Transaction{ReadVersion: 1, Operation: Foreign{Kind: "Merge", PB: &pb.Transaction{}}}, lanceerr.ErrUnsupported},
		"no operation":                 {&Transaction{ReadVersion: 1}, lanceerr.ErrInvalidArgument},
		"restore of a missing version": {&Transaction{ReadVersion: 1, Operation: Restore{Version: 7}}, lanceerr.ErrNotFound},
	}
	for name, c := range cases {
		if _, err := Commit(ctx, st, c.txn, Options{}); !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", name, err, c.want)
		}
	}
	if _, err := Commit(ctx, storage.NewLocal(t.TempDir()), appendTxn(t, dir, 1, 0, 1), Options{}); !errors.Is(err, lanceerr.ErrNotFound) {
		t.Errorf("append to a missing dataset: %v", err)
	}
	verifyTable(t, st, map[uint64]uint64{1: 1})
}

func TestFailpointsAbort(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("boom")
	for _, fp := range []string{FailAfterDataWrite, FailAfterTxnWrite, FailBeforeManifestLink, FailAfterManifestLink, FailBeforeHint} {
		t.Run(fp, func(t *testing.T) {
			dir, st := newTable(t, format.SchemeV2, 5)
			res, err := Commit(ctx, st, appendTxn(t, dir, 1, 5, 5), Options{Failpoint: func(name string) error {
				if name == fp {
					return boom
				}
				return nil
			}})
			if !errors.Is(err, boom) {
				t.Fatalf("err = %v", err)
			}
			committed := fp == FailAfterManifestLink || fp == FailBeforeHint
			if committed != (res != nil) {
				t.Errorf("result %v for failpoint %s", res, fp)
			}
			want := map[uint64]uint64{1: 5}
			if committed {
				want[2] = 10
			}
			m := verifyTable(t, st, want)
			if committed != (m.Version == 2) {
				t.Errorf("latest version %d after failpoint %s", m.Version, fp)
			}
			// A retry of the same kind of change succeeds on top.
			if _, err := Commit(ctx, st, appendTxn(t, dir, m.Version, 100, 1), Options{}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func ExampleCommit() {
	ctx := context.Background()
	dir := exampleDir()
	defer os.RemoveAll(dir)
	st := storage.NewLocal(dir)
	// Fragments come from the data file writer; ids of 0 are assigned.
	frag := &pb.DataFragment{PhysicalRows: 3, Files: []*pb.DataFile{{Path: "f.lance", Fields: []int32{0}, ColumnIndices: []int32{0}, FileMajorVersion: 2}}}
	schema := []*pb.Field{{Name: "id", Id: 0, ParentId: -1, LogicalType: "int64", Nullable: true}}
	res, err := Commit(ctx, st, &Transaction{Operation: Overwrite{Fragments: []*pb.DataFragment{frag}, Schema: schema}}, Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	next := &pb.DataFragment{PhysicalRows: 2, Files: []*pb.DataFile{{Path: "g.lance", Fields: []int32{0}, ColumnIndices: []int32{0}, FileMajorVersion: 2}}}
	res, err = Commit(ctx, st, &Transaction{ReadVersion: res.Version, Operation: Append{Fragments: []*pb.DataFragment{next}}}, Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	rows, _ := res.Manifest.NumRows()
	fmt.Println(res.Version, res.Path, rows)
	// Output: 2 _versions/18446744073709551613.manifest 5
}

package maintenance_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/resona-go/resona/lance/internal/commit"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/maintenance"
	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/storage"
)

// newFragmented builds the seed's table: rows written in batches of 10,
// one fragment per batch.
func newFragmented(t *testing.T, scheme format.NamingScheme, rows int64) *table {
	tb := newTable(t, scheme, 10)
	for s := int64(10); s < rows; s += 10 {
		tb.appendRows(s, 10)
	}
	return tb
}

// newFragmentedAtOnce creates a table of fragments of 10 rows in one
// commit.
func newFragmentedAtOnce(t *testing.T, scheme format.NamingScheme, rows int64) *table {
	dir := filepath.Join(t.TempDir(), "t.lance")
	tb := &table{t: t, dir: dir, st: storage.NewLocal(dir)}
	var frags []*pb.DataFragment
	for s := int64(0); s < rows; s += 10 {
		f := writeFragment(t, tb.st, s, 10)
		f.Id = uint64(s / 10)
		frags = append(frags, f)
	}
	_, err := commit.Commit(context.Background(), tb.st, &commit.Transaction{Operation: commit.Overwrite{
		Fragments: frags, Schema: testFields(t),
	}}, commit.Options{NewTableScheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	return tb
}

// TC-1: 1000 rows in batches of 10 give 100 fragments; compaction merges
// them into one and every row reads back intact.
func TestCompactMergesSmallFragments(t *testing.T) {
	for _, scheme := range []format.NamingScheme{format.SchemeV1, format.SchemeV2} {
		t.Run(scheme.String(), func(t *testing.T) {
			ctx := context.Background()
			var tb *table
			if scheme == format.SchemeV1 {
				tb = newFragmented(t, scheme, 1000)
			} else {
				// The same fragments committed at once, to keep the test short.
				tb = newFragmentedAtOnce(t, scheme, 1000)
			}
			before := tb.latest()
			if len(before.Fragments) != 100 {
				t.Fatalf("%d fragments before compaction", len(before.Fragments))
			}
			var steps []uint64
			met, err := maintenance.Compact(ctx, tb.st, maintenance.CompactOptions{
				TargetRowsPerFragment: 500000, BatchRows: 7,
				Progress: func(step string, done, total uint64) {
					if step != "compact" || total != 1000 {
						t.Errorf("progress %s %d/%d", step, done, total)
					}
					steps = append(steps, done)
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			after := tb.latest()
			if met.Version != before.Version+1 || after.Version != met.Version {
				t.Errorf("committed version %d, latest %d, want %d", met.Version, after.Version, before.Version+1)
			}
			if len(after.Fragments) != 1 || after.Fragments[0].PhysicalRows != 1000 {
				t.Fatalf("after: %d fragments", len(after.Fragments))
			}
			if after.Fragments[0].ID != 100 {
				t.Errorf("new fragment id %d, want 100 (max id 99 + 1)", after.Fragments[0].ID)
			}
			want := maintenance.CompactionMetrics{FragmentsRemoved: 100, FragmentsAdded: 1, FilesRemoved: 100, FilesAdded: 1,
				RowsRewritten: 1000, Bins: 1}
			if met.FragmentsRemoved != want.FragmentsRemoved || met.FragmentsAdded != want.FragmentsAdded ||
				met.FilesRemoved != want.FilesRemoved || met.FilesAdded != want.FilesAdded ||
				met.RowsRewritten != want.RowsRewritten || met.Bins != want.Bins || met.DeletionsMaterialized != 0 {
				t.Errorf("metrics %+v", met)
			}
			if met.BytesWritten != after.Fragments[0].Files[0].SizeBytes || met.BytesRead == 0 {
				t.Errorf("bytes read %d written %d, file %d", met.BytesRead, met.BytesWritten, after.Fragments[0].Files[0].SizeBytes)
			}
			if len(steps) == 0 || steps[len(steps)-1] != 1000 {
				t.Errorf("progress ended at %v", steps)
			}
			checkRows(t, tb.dir, 0, idsWhere(1000, all))
			checkRows(t, tb.dir, before.Version, idsWhere(1000, all))
			txn := after.PB.TransactionFile
			if txn == "" {
				t.Error("no transaction file recorded")
			}
		})
	}
}

// Deleted rows are dropped: a fragment over the threshold is rewritten on
// its own, one under it is left alone.
func TestCompactMaterializesDeletions(t *testing.T) {
	ctx := context.Background()
	tb := newTable(t, format.SchemeV2, 100)
	tb.appendRows(100, 100)
	tb.appendRows(200, 100)
	// 20% of fragment 1, 5% of fragment 2.
	keep := func(id int64) bool {
		return !(id >= 100 && id < 200 && id%5 == 0) && !(id >= 200 && id%20 == 0)
	}
	tb.deleteWhere(func(id int64) bool { return !keep(id) })
	met, err := maintenance.Compact(ctx, tb.st, maintenance.CompactOptions{TargetRowsPerFragment: 100})
	if err != nil {
		t.Fatal(err)
	}
	if met.Bins != 1 || met.FragmentsRemoved != 1 || met.FragmentsAdded != 1 || met.DeletionsMaterialized != 20 ||
		met.RowsRewritten != 80 || met.FilesRemoved != 2 {
		t.Errorf("metrics %+v", met)
	}
	m := tb.latest()
	if len(m.Fragments) != 3 {
		t.Fatalf("%d fragments", len(m.Fragments))
	}
	// The rewritten fragment gets the next id; the manifest lists
	// fragments by id.
	if m.Fragments[0].ID != 0 || m.Fragments[1].ID != 2 || m.Fragments[2].ID != 3 {
		t.Errorf("fragment ids %d %d %d", m.Fragments[0].ID, m.Fragments[1].ID, m.Fragments[2].ID)
	}
	if m.Fragments[2].Deletion != nil || m.Fragments[2].PhysicalRows != 80 {
		t.Errorf("rewritten fragment: %+v", m.Fragments[2])
	}
	if m.Fragments[1].Deletion == nil {
		t.Error("fragment under the threshold lost its deletion file")
	}
	checkRows(t, tb.dir, 0, idsWhere(300, keep))

	// Materialising everything with deletions takes the last one too.
	if _, err := maintenance.Compact(ctx, tb.st, maintenance.CompactOptions{TargetRowsPerFragment: 100, MaterializeDeletionsThreshold: -1}); err != nil {
		t.Fatal(err)
	}
	for _, f := range tb.latest().Fragments {
		if f.Deletion != nil {
			t.Errorf("fragment %d still has deletions", f.ID)
		}
	}
	checkRows(t, tb.dir, 0, idsWhere(300, keep))
}

// TC: a compaction with nothing to do commits nothing.
func TestCompactNoop(t *testing.T) {
	ctx := context.Background()
	tb := newFragmented(t, format.SchemeV1, 100)
	if _, err := maintenance.Compact(ctx, tb.st, maintenance.CompactOptions{}); err != nil {
		t.Fatal(err)
	}
	v := tb.latest().Version
	files := listFiles(t, tb.dir)
	met, err := maintenance.Compact(ctx, tb.st, maintenance.CompactOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if met.Version != 0 || met.Bins != 0 || met.ReadVersion != v {
		t.Errorf("no-op compaction: %+v", met)
	}
	if tb.latest().Version != v {
		t.Errorf("a no-op compaction committed version %d", tb.latest().Version)
	}
	if got := listFiles(t, tb.dir); len(got) != len(files) {
		t.Errorf("a no-op compaction changed files: %d → %d", len(files), len(got))
	}
}

// Bins are split at the target and files roll over at the target.
func TestCompactSplitsAtTarget(t *testing.T) {
	ctx := context.Background()
	tb := newFragmented(t, format.SchemeV2, 250)
	met, err := maintenance.Compact(ctx, tb.st, maintenance.CompactOptions{TargetRowsPerFragment: 100})
	if err != nil {
		t.Fatal(err)
	}
	m := tb.latest()
	var rows []uint64
	for _, f := range m.Fragments {
		rows = append(rows, f.PhysicalRows)
	}
	// Bins [1..10] (100 rows) and [11..25] (150 rows → files of 100 + 50).
	if len(rows) != 3 || rows[0] != 100 || rows[1] != 100 || rows[2] != 50 {
		t.Errorf("fragment rows %v", rows)
	}
	if met.Bins != 2 || met.FragmentsRemoved != 25 || met.FragmentsAdded != 3 {
		t.Errorf("metrics %+v", met)
	}
	checkRows(t, tb.dir, 0, idsWhere(250, all))
}

func TestCompactRejectsHugeTarget(t *testing.T) {
	ctx := context.Background()
	tb := newFragmented(t, format.SchemeV2, 30)
	_, err := maintenance.Compact(ctx, tb.st, maintenance.CompactOptions{TargetRowsPerFragment: 1 << 33})
	if !errors.Is(err, lanceerr.ErrInvalidArgument) {
		t.Errorf("huge target: %v", err)
	}
}

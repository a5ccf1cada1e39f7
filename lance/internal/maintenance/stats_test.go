package maintenance_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/maintenance"
)

// TC-5: statistics of a table of known state, and reclaimable bytes that
// match what cleanup then frees.
func TestStatsKnownState(t *testing.T) {
	ctx := context.Background()
	tb := newTable(t, format.SchemeV2, 100)                // v1: fragment 0
	tb.appendRows(100, 100)                                // v2: fragment 1
	tb.appendRows(200, 10)                                 // v3: fragment 2
	tb.deleteWhere(func(id int64) bool { return id < 20 }) // v4: 20 of fragment 0
	tb.addIndex("id_idx", 1, 2)                            // v5
	m := tb.latest()

	ts, err := maintenance.Stats(ctx, tb.st, maintenance.StatsOptions{
		Compact: maintenance.CompactOptions{TargetRowsPerFragment: 100},
		Cleanup: maintenance.CleanupOptions{Before: time.Now()},
	})
	if err != nil {
		t.Fatal(err)
	}
	if ts.Version != 5 || ts.Rows != (maintenance.RowStats{Live: 190, Physical: 210, Deleted: 20}) {
		t.Errorf("version %d rows %+v", ts.Version, ts.Rows)
	}
	f := ts.Fragments
	if f.Count != 3 || f.Small != 1 || f.WithDeletions != 1 {
		t.Errorf("fragments %+v", f)
	}
	if f.LiveRows != [5]uint64{10, 10, 80, 100, 100} {
		t.Errorf("live row percentiles %v", f.LiveRows)
	}
	var dataBytes, frag0Bytes uint64
	for i, fr := range m.Fragments {
		dataBytes += fr.Files[0].SizeBytes
		if i == 0 {
			frag0Bytes = fr.Files[0].SizeBytes
		}
	}
	if f.DataBytes[4] != max(m.Fragments[0].Files[0].SizeBytes, m.Fragments[1].Files[0].SizeBytes) {
		t.Errorf("data byte percentiles %v", f.DataBytes)
	}
	if want := uint64(float64(frag0Bytes)*0.2 + 0.5); ts.CompactionReclaimableBytes != want {
		t.Errorf("compaction reclaimable %d, want %d", ts.CompactionReclaimableBytes, want)
	}
	// Fragment 0 (20% deleted, not indexed) is rewritten; fragment 2 is
	// small but alone among candidates.
	if ts.CompactionBins != 1 || ts.CompactionFragments != 1 {
		t.Errorf("compaction plan: %d bins, %d fragments", ts.CompactionBins, ts.CompactionFragments)
	}
	if ts.Versions.Count != 5 || ts.Versions.Oldest != 1 || ts.Versions.Newest != 5 || ts.Versions.NewestTime.Before(ts.Versions.OldestTime) {
		t.Errorf("versions %+v", ts.Versions)
	}
	disk := ts.Disk
	if disk[maintenance.KindData].Files != 3 || disk[maintenance.KindData].Bytes != dataBytes ||
		disk[maintenance.KindDeletion].Files != 1 || disk[maintenance.KindManifest].Files != 5 ||
		disk[maintenance.KindTransaction].Files != 5 || disk[maintenance.KindIndex].Files != 1 ||
		disk[maintenance.KindOther].Files != 1 { // latest_version_hint.json
		t.Errorf("disk %+v", disk)
	}
	if total := disk.Total(); total.Bytes != diskBytes(t, tb.dir) {
		t.Errorf("disk total %d, du %d", total.Bytes, diskBytes(t, tb.dir))
	}
	if len(ts.Indexes) != 1 {
		t.Fatalf("indexes %+v", ts.Indexes)
	}
	ix := ts.Indexes[0]
	if ix.Name != "id_idx" || ix.Type != "btree" || len(ix.Fields) != 1 || ix.Fields[0] != "id" || ix.Segments != 1 ||
		ix.IndexedFragments != 2 || ix.IndexedRows != 110 || ix.UnindexedFragments != 1 || ix.UnindexedRows != 80 {
		t.Errorf("index %+v", ix)
	}
	if got := ix.StaleFraction(); got != 80.0/190 {
		t.Errorf("stale fraction %v", got)
	}

	// Appends and a delete only: cleanup frees manifests, transactions and
	// nothing else, exactly what Stats announced.
	before := diskBytes(t, tb.dir)
	st, err := maintenance.CleanupOldVersions(ctx, tb.st, maintenance.CleanupOptions{Before: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	freed := before - diskBytes(t, tb.dir)
	if ts.Cleanup == nil || ts.Cleanup.BytesRemoved != freed || st.BytesRemoved != freed || ts.Cleanup.FilesRemoved != st.FilesRemoved {
		t.Errorf("stats announced %+v, cleanup removed %d bytes (%d on disk)", ts.Cleanup, st.BytesRemoved, freed)
	}

	// After compaction, the announced bytes include the rewritten data and
	// deletion files, and again match what cleanup frees.
	if _, err := maintenance.Compact(ctx, tb.st, maintenance.CompactOptions{TargetRowsPerFragment: 100}); err != nil {
		t.Fatal(err)
	}
	ts, err = maintenance.Stats(ctx, tb.st, maintenance.StatsOptions{Cleanup: maintenance.CleanupOptions{RetainVersions: 1}})
	if err != nil {
		t.Fatal(err)
	}
	if ts.Cleanup.ByKind[maintenance.KindData].Bytes != frag0Bytes || ts.Cleanup.ByKind[maintenance.KindDeletion].Files != 1 {
		t.Errorf("reclaimable after compaction: %+v", ts.Cleanup.ByKind)
	}
	before = diskBytes(t, tb.dir)
	if _, err := maintenance.CleanupOldVersions(ctx, tb.st, maintenance.CleanupOptions{RetainVersions: 1}); err != nil {
		t.Fatal(err)
	}
	if freed := before - diskBytes(t, tb.dir); freed != ts.Cleanup.BytesRemoved {
		t.Errorf("stats announced %d bytes, cleanup freed %d", ts.Cleanup.BytesRemoved, freed)
	}
	if ts, err = maintenance.Stats(ctx, tb.st, maintenance.StatsOptions{}); err != nil || ts.Cleanup != nil || ts.Rows.Live != 190 || ts.Rows.Deleted != 0 {
		t.Errorf("final stats %+v, %v", ts, err)
	}
	if _, err := os.Stat(filepath.Join(tb.dir, format.VersionHintFile)); err != nil {
		t.Error(err)
	}
}

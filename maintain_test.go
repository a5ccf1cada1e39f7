package resona

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TC-1: maintenance after bulk insert merges the fragments.
func TestMaintainAfterBulkInsert(t *testing.T) {
	ctx := context.Background()
	s := newService(t, t.TempDir(), Options{})
	embedInBatches(t, s, 0, 1000, 10)
	before, err := s.GetDiagnostics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if before.Fragments != 100 || before.TotalRows != 1000 || before.SmallFragments != 100 {
		t.Fatalf("before: %+v", before)
	}
	var steps []string
	res, err := s.Maintain(ctx, MaintenanceOptions{OnProgress: func(step, details string) {
		steps = append(steps, step+": "+details)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Compaction == nil || res.Compaction.FragmentsRemoved != 100 || res.Compaction.FilesCreated != 1 || res.Compaction.RowsRewritten != 1000 {
		t.Fatalf("compaction: %+v", res.Compaction)
	}
	if res.NothingToDo || res.VersionAfter <= res.VersionBefore || len(steps) == 0 {
		t.Fatalf("%+v %v", res, steps)
	}
	after, err := s.GetDiagnostics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.Fragments != 1 || after.TotalRows != 1000 {
		t.Fatalf("after: %+v", after)
	}
	// Default retention (7 days): the versions just written are kept.
	if res.Cleanup == nil || res.Cleanup.VersionsRemoved != 0 || after.Versions != int(after.Version) {
		t.Fatalf("cleanup %+v, versions %d → %d", res.Cleanup, before.Versions, after.Versions)
	}
	if rs, err := s.Search(ctx, items(500, 1)[0].Text, 1); err != nil || rs[0].ID != "node-00500" {
		t.Fatalf("search after compaction: %+v %v", rs, err)
	}
	// Idempotent: a second run changes nothing and says so.
	again, err := s.Maintain(ctx, MaintenanceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !again.NothingToDo || again.Compaction.FragmentsRemoved != 0 || again.VersionAfter != again.VersionBefore {
		t.Fatalf("second run: %+v", again)
	}
}

// TC-2: a vector index with 20% unindexed rows is rebuilt.
func TestMaintainRebuildsStaleIndex(t *testing.T) {
	ctx := context.Background()
	s := newService(t, t.TempDir(), Options{})
	embedInBatches(t, s, 0, 1000, 500)
	res, err := s.Maintain(ctx, MaintenanceOptions{SkipCompaction: true, SkipCleanup: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.IndexUnavailable != "" {
		t.Skipf("needs the IVF_PQ index builder in package lance: %s", res.IndexUnavailable)
	}
	if !res.IndexRebuilt || !res.IndexCreated || res.IndexStats == nil || res.IndexStats.NumIndexedRows != 1000 {
		t.Fatalf("create: %+v", res)
	}
	embedInBatches(t, s, 1000, 200, 200)
	d, err := s.GetDiagnostics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d.Index == nil || d.Index.NumUnindexedRows != 200 || d.Index.NumIndexedRows != 1000 || !d.Index.NeedsRebuild {
		t.Fatalf("diagnostics: %+v", d.Index)
	}
	res, err = s.Maintain(ctx, MaintenanceOptions{IndexStaleThreshold: 0.1})
	if err != nil {
		t.Fatal(err)
	}
	if !res.IndexRebuilt || res.IndexCreated || res.IndexStats.NumIndexedRows != 1200 || res.IndexStats.NumUnindexedRows != 0 {
		t.Fatalf("rebuild: %+v %+v", res, res.IndexStats)
	}
	if rs, err := s.Search(ctx, items(1100, 1)[0].Text, 1); err != nil || rs[0].ID != "node-01100" {
		t.Fatalf("search: %+v %v", rs, err)
	}
}

// TC-3: cleanup removes the old versions.
func TestMaintainCleansUpOldVersions(t *testing.T) {
	ctx := context.Background()
	s := newService(t, t.TempDir(), Options{})
	embedInBatches(t, s, 0, 300, 100)
	if _, err := s.Maintain(ctx, MaintenanceOptions{SkipCleanup: true}); err != nil {
		t.Fatal(err)
	}
	before, err := s.GetDiagnostics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if before.Versions < 3 || before.Fragments != 1 {
		t.Fatalf("before: %+v", before)
	}
	res, err := s.Maintain(ctx, MaintenanceOptions{RetentionDays: Days(0)})
	if err != nil {
		t.Fatal(err)
	}
	if res.Cleanup == nil || res.Cleanup.VersionsRemoved != before.Versions-1 || res.Cleanup.BytesRemoved == 0 {
		t.Fatalf("cleanup: %+v (had %d versions)", res.Cleanup, before.Versions)
	}
	after, err := s.GetDiagnostics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.Versions != 1 || after.Version != before.Version || after.TotalRows != 300 {
		t.Fatalf("after: %+v", after)
	}
	if after.DiskBytes >= before.DiskBytes {
		t.Fatalf("disk %d → %d", before.DiskBytes, after.DiskBytes)
	}
	if _, err := s.GetEmbedding(ctx, "node-00299"); err != nil {
		t.Fatal(err)
	}
}

// TC-4: skip flags are honoured exactly: only cleanup runs.
func TestMaintainSkipOptions(t *testing.T) {
	ctx := context.Background()
	s := newService(t, t.TempDir(), Options{})
	embedInBatches(t, s, 0, 300, 50)
	before, err := s.GetDiagnostics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var progressed []string
	res, err := s.Maintain(ctx, MaintenanceOptions{SkipCompaction: true, SkipIndex: true, RetentionDays: Days(0),
		OnProgress: func(step, _ string) { progressed = append(progressed, step) }})
	if err != nil {
		t.Fatal(err)
	}
	if res.Compaction != nil || res.IndexRebuilt || res.Cleanup == nil || res.Cleanup.VersionsRemoved != before.Versions-1 {
		t.Fatalf("%+v", res)
	}
	for _, st := range res.Steps {
		if st.Ran != (st.Name == StepCleanup) {
			t.Fatalf("step %+v", st)
		}
	}
	for _, p := range progressed {
		if p != StepCleanup {
			t.Fatalf("progress from %q", p)
		}
	}
	after, err := s.GetDiagnostics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if after.Fragments != before.Fragments || after.Version != before.Version {
		t.Fatalf("fragments %d → %d, version %d → %d", before.Fragments, after.Fragments, before.Version, after.Version)
	}
	// Everything skipped: nothing happens at all.
	res, err = s.Maintain(ctx, MaintenanceOptions{SkipCompaction: true, SkipIndex: true, SkipCleanup: true})
	if err != nil || !res.NothingToDo || res.Compaction != nil || res.Cleanup != nil {
		t.Fatalf("%+v %v", res, err)
	}
}

// TC-5: diagnostics of a table of known state.
func TestDiagnosticsAccuracy(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := newService(t, dir, Options{RetentionDays: Days(0)})
	d, err := s.GetDiagnostics(ctx)
	if err != nil || d.TotalRows != 0 || d.Version != 0 || d.Index != nil || d.DBPath != filepath.Join(dir, "test.lance") {
		t.Fatalf("empty: %+v %v", d, err)
	}
	embedInBatches(t, s, 0, 300, 100) // create, id index, 2 appends
	ids := make([]string, 10)
	for i := range ids {
		ids[i] = items(i*3, 1)[0].ID
	}
	if n, err := s.DeleteByIDs(ctx, ids); err != nil || n != 10 {
		t.Fatalf("%d %v", n, err)
	}
	versions, err := s.ds.Versions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	d, err = s.GetDiagnostics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d.TotalRows != 290 || d.Version != s.ds.Version() || d.Versions != len(versions) || d.Fragments != 3 ||
		d.SmallFragments != 3 || d.DeletionFiles != 1 || d.DeletedRows != 10 || d.Index != nil ||
		d.OldestVersion != versions[0].Version || d.OldestVersionAge <= 0 || d.DiskBytes == 0 || !d.IDIndex {
		t.Fatalf("%+v", d)
	}
	if d.ReclaimableVersions != len(versions)-1 || d.ReclaimableBytes == 0 {
		t.Fatalf("reclaimable %d bytes in %d versions", d.ReclaimableBytes, d.ReclaimableVersions)
	}
	// What diagnostics call reclaimable is what cleanup then frees.
	res, err := s.Maintain(ctx, MaintenanceOptions{SkipCompaction: true, SkipIndex: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Cleanup.BytesRemoved != d.ReclaimableBytes || res.Cleanup.VersionsRemoved != d.ReclaimableVersions {
		t.Fatalf("cleanup freed %+v; diagnostics promised %d bytes, %d versions", res.Cleanup, d.ReclaimableBytes, d.ReclaimableVersions)
	}
	d2, err := s.GetDiagnostics(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d2.DiskBytes != d.DiskBytes-d.ReclaimableBytes || d2.ReclaimableBytes != 0 || d2.Versions != 1 {
		t.Fatalf("disk %d → %d, reclaimable %d", d.DiskBytes, d2.DiskBytes, d2.ReclaimableBytes)
	}
}

// GetDiagnostics never writes: every file is unchanged, byte for byte.
func TestDiagnosticsReadOnly(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := newService(t, dir, Options{})
	embedInBatches(t, s, 0, 200, 50)
	if _, err := s.DeleteByIDs(ctx, []string{"node-00001"}); err != nil {
		t.Fatal(err)
	}
	before := snapshot(t, dir)
	for range 2 {
		if _, err := s.GetDiagnostics(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Maintain(ctx, MaintenanceOptions{DryRun: true, RetentionDays: Days(0)}); err != nil {
		t.Fatal(err)
	}
	after := snapshot(t, dir)
	if len(before) != len(after) {
		t.Fatalf("%d files → %d", len(before), len(after))
	}
	for p, h := range before {
		if after[p] != h {
			t.Fatalf("%s changed", p)
		}
	}
}

func snapshot(t *testing.T, dir string) map[string][32]byte {
	t.Helper()
	out := map[string][32]byte{}
	err := filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		out[p+"@"+info.ModTime().String()] = sha256.Sum256(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// A dry run reports the plan and its effect; a real run then does it.
func TestMaintainDryRun(t *testing.T) {
	ctx := context.Background()
	s := newService(t, t.TempDir(), Options{})
	embedInBatches(t, s, 0, 200, 20)
	dry, err := s.Maintain(ctx, MaintenanceOptions{DryRun: true, SkipIndex: true, RetentionDays: Days(0)})
	if err != nil {
		t.Fatal(err)
	}
	if !dry.DryRun || dry.Compaction.FragmentsRemoved != 9 || dry.Cleanup.VersionsRemoved == 0 || dry.NothingToDo ||
		dry.VersionAfter != dry.VersionBefore {
		t.Fatalf("%+v", dry)
	}
	run, err := s.Maintain(ctx, MaintenanceOptions{SkipIndex: true, SkipCleanup: true})
	if err != nil || run.Compaction.FragmentsRemoved != dry.Compaction.FragmentsRemoved || run.Compaction.RowsRewritten != dry.Compaction.RowsRewritten {
		t.Fatalf("real %+v dry %+v %v", run.Compaction, dry.Compaction, err)
	}
}

// Without IVF_PQ support the index step says so, and never claims success.
func TestMaintainIndexUnavailableOrBuilt(t *testing.T) {
	ctx := context.Background()
	s := newService(t, t.TempDir(), Options{MinIndexRows: 100})
	embedInBatches(t, s, 0, 50, 50)
	res, err := s.Maintain(ctx, MaintenanceOptions{})
	if err != nil || res.IndexRebuilt || res.IndexUnavailable != "" {
		t.Fatalf("below MinIndexRows: %+v %v", res, err)
	}
	embedInBatches(t, s, 50, 250, 250)
	res, err = s.Maintain(ctx, MaintenanceOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res.IndexUnavailable != "" {
		if res.IndexRebuilt || res.IndexStats != nil || !strings.Contains(res.IndexUnavailable, "IVF_PQ") {
			t.Fatalf("%+v", res)
		}
		return
	}
	if !res.IndexRebuilt || !res.IndexCreated {
		t.Fatalf("%+v", res)
	}
}

// RESONA_DEBUG logging covers every step and never includes texts.
func TestDebugLogging(t *testing.T) {
	ctx := context.Background()
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	s := newService(t, t.TempDir(), Options{Logger: log})
	secret := "very private diary entry about zebras"
	if _, err := s.EmbedBatch(ctx, []Item{{ID: "a", Text: secret}, {ID: "b", Text: "other"}}, BatchOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Maintain(ctx, MaintenanceOptions{}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"step=compaction", "step=index", "step=cleanup", "maintenance done", "duration="} {
		if !strings.Contains(out, want) {
			t.Errorf("log lacks %q", want)
		}
	}
	if strings.Contains(out, "zebras") {
		t.Fatal("a text was logged")
	}
	if l := loggerFromEnv("1"); !l.Enabled(ctx, slog.LevelDebug) {
		t.Fatal("RESONA_DEBUG=1 does not enable debug logs")
	}
	if l := loggerFromEnv(""); l.Enabled(ctx, slog.LevelDebug) {
		t.Fatal("debug logs on by default")
	}
}

func TestDimensionMismatch(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := newService(t, dir, Options{})
	embedInBatches(t, s, 0, 5, 5)
	s.Close()
	_, err := New(ctx, localProvider(t, 64), filepath.Join(dir, "test.db"), Options{})
	if !errors.Is(err, ErrDimensionMismatch) || !strings.Contains(err.Error(), "32-dimensional") {
		t.Fatalf("%v", err)
	}
}

package maintenance_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"
	"time"

	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/maintenance"
	"github.com/resona-go/resona/lance/internal/storage"
)

// referencedBy lists the files version m needs: its manifest, its
// transaction file, data and deletion files and index directories' files.
func referencedBy(t *testing.T, tb *table, m *format.Manifest) map[string]bool {
	out := map[string]bool{m.Path: true}
	if m.PB.TransactionFile != "" {
		out[format.TransactionsDir+"/"+m.PB.TransactionFile] = true
	}
	for _, f := range m.Fragments {
		for _, df := range f.Files {
			out[df.Path] = true
		}
		if f.Deletion != nil {
			out[f.Deletion.Path] = true
		}
	}
	for _, ix := range m.Indexes {
		for _, f := range listFiles(t, filepath.Join(tb.dir, ix.Dir())) {
			out[ix.Dir()+"/"+f] = true
		}
	}
	return out
}

func diskBytes(t *testing.T, dir string) uint64 {
	var n uint64
	for _, f := range listFiles(t, dir) {
		info, err := os.Stat(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		n += uint64(info.Size())
	}
	return n
}

// TC-3: retention 0 after a compaction removes every old version and all
// files only they needed; the current version still reads fully.
func TestCleanupAfterCompaction(t *testing.T) {
	for _, scheme := range []format.NamingScheme{format.SchemeV1, format.SchemeV2} {
		t.Run(scheme.String(), func(t *testing.T) {
			ctx := context.Background()
			tb := newFragmented(t, scheme, 200)
			keep := func(id int64) bool { return id%7 != 0 }
			tb.deleteWhere(func(id int64) bool { return !keep(id) })
			if _, err := maintenance.Compact(ctx, tb.st, maintenance.CompactOptions{TargetRowsPerFragment: 500000}); err != nil {
				t.Fatal(err)
			}
			m := tb.latest()
			before := listFiles(t, tb.dir)
			bytesBefore := diskBytes(t, tb.dir)
			st, err := maintenance.CleanupOldVersions(ctx, tb.st, maintenance.CleanupOptions{Before: time.Now()})
			if err != nil {
				t.Fatal(err)
			}
			if len(st.VersionsRemoved) != int(m.Version-1) || st.VersionsRemoved[0] != 1 || st.VersionsRemoved[len(st.VersionsRemoved)-1] != m.Version-1 {
				t.Errorf("versions removed %v, want 1..%d", st.VersionsRemoved, m.Version-1)
			}
			want := referencedBy(t, tb, m)
			if scheme == format.SchemeV2 {
				want[format.VersionHintFile] = true
			}
			var wantList []string
			for f := range want {
				wantList = append(wantList, f)
			}
			sort.Strings(wantList)
			after := listFiles(t, tb.dir)
			if !reflect.DeepEqual(after, wantList) {
				t.Errorf("files left:\n%v\nwant:\n%v", after, wantList)
			}
			if st.FilesRemoved != len(before)-len(after) || st.BytesRemoved != bytesBefore-diskBytes(t, tb.dir) {
				t.Errorf("stats say %d files / %d bytes, disk changed by %d files / %d bytes",
					st.FilesRemoved, st.BytesRemoved, len(before)-len(after), bytesBefore-diskBytes(t, tb.dir))
			}
			bk := st.ByKind
			if bk[maintenance.KindData].Files != 20 || bk[maintenance.KindDeletion].Files != 20 ||
				bk[maintenance.KindManifest].Files != int(m.Version-1) || bk[maintenance.KindTransaction].Files != int(m.Version-1) {
				t.Errorf("by kind: %+v", bk)
			}
			if total := bk.Total(); total.Files != st.FilesRemoved || total.Bytes != st.BytesRemoved {
				t.Errorf("kinds sum to %+v, totals %d/%d", total, st.FilesRemoved, st.BytesRemoved)
			}
			checkRows(t, tb.dir, 0, idsWhere(200, keep))
			// A second run has nothing left to do.
			st, err = maintenance.CleanupOldVersions(ctx, tb.st, maintenance.CleanupOptions{Before: time.Now()})
			if err != nil || st.FilesRemoved != 0 {
				t.Errorf("second cleanup: %+v, %v", st, err)
			}
		})
	}
}

func TestCleanupRetention(t *testing.T) {
	ctx := context.Background()
	tb := newFragmented(t, format.SchemeV2, 50) // versions 1..5
	cutoff := time.Now()
	time.Sleep(10 * time.Millisecond)
	tb.appendRows(50, 10) // version 6, after the cutoff
	tb.appendRows(60, 10) // version 7

	t.Run("needs a rule", func(t *testing.T) {
		_, err := maintenance.CleanupOldVersions(ctx, tb.st, maintenance.CleanupOptions{})
		if !errors.Is(err, lanceerr.ErrInvalidArgument) {
			t.Errorf("err %v", err)
		}
	})
	t.Run("by time", func(t *testing.T) {
		st, err := maintenance.CleanupOldVersions(ctx, tb.st, maintenance.CleanupOptions{Before: cutoff, DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(st.VersionsRemoved, []uint64{1, 2, 3, 4, 5}) {
			t.Errorf("removed %v", st.VersionsRemoved)
		}
	})
	t.Run("by count", func(t *testing.T) {
		st, err := maintenance.CleanupOldVersions(ctx, tb.st, maintenance.CleanupOptions{RetainVersions: 3, DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(st.VersionsRemoved, []uint64{1, 2, 3, 4}) {
			t.Errorf("removed %v", st.VersionsRemoved)
		}
	})
	t.Run("both rules", func(t *testing.T) {
		st, err := maintenance.CleanupOldVersions(ctx, tb.st, maintenance.CleanupOptions{Before: cutoff, RetainVersions: 5, DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(st.VersionsRemoved, []uint64{1, 2}) {
			t.Errorf("removed %v", st.VersionsRemoved)
		}
	})
	t.Run("never the latest", func(t *testing.T) {
		st, err := maintenance.CleanupOldVersions(ctx, tb.st, maintenance.CleanupOptions{Before: time.Now().Add(time.Hour), DryRun: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(st.VersionsRemoved) != 6 || st.LatestVersion != 7 {
			t.Errorf("removed %v latest %d", st.VersionsRemoved, st.LatestVersion)
		}
	})
	// Appends keep every data file, so an append-only history frees only
	// manifests and transaction files.
	st, err := maintenance.CleanupOldVersions(ctx, tb.st, maintenance.CleanupOptions{Before: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if st.ByKind[maintenance.KindData].Files != 0 || st.ByKind[maintenance.KindManifest].Files != 6 {
		t.Errorf("by kind %+v", st.ByKind)
	}
	checkRows(t, tb.dir, 0, idsWhere(70, all))
}

func TestCleanupKeepsTaggedVersions(t *testing.T) {
	ctx := context.Background()
	tb := newFragmented(t, format.SchemeV1, 30)
	tb.deleteWhere(func(id int64) bool { return id < 5 }) // version 4
	if _, err := maintenance.Compact(ctx, tb.st, maintenance.CompactOptions{}); err != nil {
		t.Fatal(err)
	}
	tag := `{
  "branch": null,
  "version": 2,
  "manifestSize": 1234
}`
	if err := tb.st.Put(ctx, maintenance.TagsDir+"/v2.json", []byte(tag)); err != nil {
		t.Fatal(err)
	}
	tags, err := maintenance.ListTags(ctx, tb.st)
	if err != nil || len(tags) != 1 || tags[0].Name != "v2" || tags[0].Version != 2 || tags[0].ManifestSize != 1234 {
		t.Fatalf("tags %+v, %v", tags, err)
	}
	_, err = maintenance.CleanupOldVersions(ctx, tb.st, maintenance.CleanupOptions{Before: time.Now(), ErrorIfTaggedOldVersions: true})
	if !errors.Is(err, lanceerr.ErrInvalidArgument) {
		t.Fatalf("tagged old version: %v", err)
	}
	st, err := maintenance.CleanupOldVersions(ctx, tb.st, maintenance.CleanupOptions{Before: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(st.VersionsRemoved, []uint64{1, 3, 4}) || !reflect.DeepEqual(st.TaggedKept, []uint64{2}) {
		t.Errorf("removed %v, tagged kept %v", st.VersionsRemoved, st.TaggedKept)
	}
	checkRows(t, tb.dir, 2, idsWhere(20, all))
	checkRows(t, tb.dir, 0, idsWhere(30, func(id int64) bool { return id >= 5 }))
	if _, err := os.Stat(filepath.Join(tb.dir, "_refs/tags/v2.json")); err != nil {
		t.Error(err)
	}
}

// Files no manifest names are left alone until they are old enough, and
// files newer than the oldest retained version never go.
func TestCleanupUnverifiedFiles(t *testing.T) {
	ctx := context.Background()
	tb := newFragmented(t, format.SchemeV2, 20)
	orphan := writeFragment(t, tb.st, 1000, 5) // written, never committed
	orphanPath := format.DataDir + "/" + orphan.Files[0].Path
	stray := []string{"data/abc.lance#1", "_versions/5.manifest#1", "notes.txt", "_indices/loose.idx"}
	for _, p := range stray {
		if err := tb.st.Put(ctx, p, []byte("x")); err != nil {
			t.Fatal(err)
		}
	}
	exists := func(p string) bool {
		_, err := os.Stat(filepath.Join(tb.dir, p))
		return err == nil
	}
	// The orphan is newer than the latest manifest: never a candidate.
	_, err := maintenance.CleanupOldVersions(ctx, tb.st, maintenance.CleanupOptions{Before: time.Now(), DeleteUnverified: true})
	if err != nil {
		t.Fatal(err)
	}
	if !exists(orphanPath) {
		t.Fatal("a file newer than every retained version was removed")
	}
	// Aged past the latest commit but younger than 7 days: kept.
	ageFiles(t, filepath.Join(tb.dir, "data"), time.Hour)
	if _, err = maintenance.CleanupOldVersions(ctx, tb.st, maintenance.CleanupOptions{Before: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if !exists(orphanPath) {
		t.Fatal("an unverified file younger than 7 days was removed")
	}
	// Older than 7 days: removed, as unverified.
	ageFiles(t, filepath.Join(tb.dir, "data"), 8*24*time.Hour)
	st, err := maintenance.CleanupOldVersions(ctx, tb.st, maintenance.CleanupOptions{Before: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if exists(orphanPath) || len(st.Files) != 1 || st.Files[0].Path != orphanPath || st.Files[0].Verified {
		t.Errorf("removed %+v", st.Files)
	}
	for _, p := range append(stray, format.VersionHintFile) {
		if !exists(p) {
			t.Errorf("%s was removed", p)
		}
	}
	checkRows(t, tb.dir, 0, idsWhere(20, all))
}

// Index directories go with the last version that lists them.
func TestCleanupIndexes(t *testing.T) {
	ctx := context.Background()
	tb := newFragmented(t, format.SchemeV2, 30)
	old := tb.addIndex("id_idx", 0, 1, 2)
	cur := tb.addIndex("id_idx", 0, 1, 2) // replaces the first segment
	st, err := maintenance.CleanupOldVersions(ctx, tb.st, maintenance.CleanupOptions{Before: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if st.ByKind[maintenance.KindIndex].Files != 1 {
		t.Errorf("index files removed: %+v", st.ByKind)
	}
	if _, err := os.Stat(filepath.Join(tb.dir, "_indices", old.String())); !os.IsNotExist(err) {
		t.Errorf("old index directory: %v", err)
	}
	if _, err := os.Stat(filepath.Join(tb.dir, "_indices", cur.String(), "page_lookup.lance")); err != nil {
		t.Errorf("current index: %v", err)
	}
}

func TestCleanupRefusesBranches(t *testing.T) {
	ctx := context.Background()
	tb := newTable(t, format.SchemeV2, 10)
	if err := tb.st.Put(ctx, maintenance.BranchesDir+"/dev.json", []byte(`{}`)); err != nil {
		t.Fatal(err)
	}
	_, err := maintenance.CleanupOldVersions(ctx, tb.st, maintenance.CleanupOptions{Before: time.Now()})
	if !errors.Is(err, lanceerr.ErrUnsupported) {
		t.Errorf("err %v", err)
	}
}

// failingStore fails every Delete after the first n.
type failingStore struct {
	storage.Store
	n int
}

func (s *failingStore) Delete(ctx context.Context, p string) error {
	if s.n == 0 {
		return fmt.Errorf("injected failure deleting %s", p)
	}
	s.n--
	return s.Store.Delete(ctx, p)
}

// A cleanup stopped after any number of deletions leaves every retained
// version readable, and a rerun removes the rest.
func TestCleanupInterrupted(t *testing.T) {
	ctx := context.Background()
	tb := newFragmented(t, format.SchemeV1, 50)
	tb.deleteWhere(func(id int64) bool { return id%3 == 0 })
	if _, err := maintenance.Compact(ctx, tb.st, maintenance.CompactOptions{}); err != nil {
		t.Fatal(err)
	}
	tb.appendRows(50, 10)
	want := idsWhere(60, func(id int64) bool { return id >= 50 || id%3 != 0 })
	snapshot := t.TempDir()
	copyTree(t, snapshot, tb.dir)
	plan, err := maintenance.CleanupOldVersions(ctx, tb.st, maintenance.CleanupOptions{RetainVersions: 2, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n < plan.FilesRemoved; n += 3 {
		dir := filepath.Join(t.TempDir(), "t.lance")
		copyTree(t, dir, snapshot)
		st := storage.NewLocal(dir)
		_, err := maintenance.CleanupOldVersions(ctx, &failingStore{Store: st, n: n}, maintenance.CleanupOptions{RetainVersions: 2})
		if err == nil {
			t.Fatalf("failure after %d deletions not reported", n)
		}
		latest, _ := format.LatestVersion(ctx, st)
		checkRows(t, dir, 0, want)
		checkRows(t, dir, latest.Version-1, idsWhere(50, func(id int64) bool { return id%3 != 0 }))
		again, err := maintenance.CleanupOldVersions(ctx, st, maintenance.CleanupOptions{RetainVersions: 2})
		if err != nil {
			t.Fatal(err)
		}
		if again.FilesRemoved != plan.FilesRemoved-n {
			t.Errorf("after %d deletions the rerun removed %d files, want %d", n, again.FilesRemoved, plan.FilesRemoved-n)
		}
	}
}

// copyTree copies a table keeping modification times, which cleanup's
// age rules read.
func copyTree(t *testing.T, dst, src string) {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	for _, f := range listFiles(t, src) {
		info, err := os.Stat(filepath.Join(src, f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(filepath.Join(dst, f), info.ModTime(), info.ModTime()); err != nil {
			t.Fatal(err)
		}
	}
}

package maintenance_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/maintenance"
	"github.com/resona-go/resona/lance/internal/storage"
)

// commitsMidCleanup runs fn once, the first time cleanup lists a directory
// of files after it has read the manifests: versions committed then are
// not in cleanup's plan.
type commitsMidCleanup struct {
	storage.Store
	once sync.Once
	fn   func()
}

func (s *commitsMidCleanup) List(ctx context.Context, dir string) ([]storage.FileInfo, error) {
	if dir == format.DataDir {
		s.once.Do(s.fn)
	}
	return s.Store.List(ctx, dir)
}

// Versions committed while cleanup runs (a compaction that drops the
// fragments of the latest version cleanup saw, a delete, an append) keep
// every file they name, with and without DeleteUnverified.
func TestCleanupKeepsFilesOfVersionsCommittedMeanwhile(t *testing.T) {
	for _, unverified := range []bool{false, true} {
		tb := newFragmented(t, format.SchemeV2, 40)
		tb.deleteWhere(func(id int64) bool { return id%7 == 0 })
		// The files of the first fragments now belong to old versions only.
		if _, err := maintenance.Compact(context.Background(), tb.st, maintenance.CompactOptions{}); err != nil {
			t.Fatal(err)
		}
		tb.appendRows(40, 10)
		st := &commitsMidCleanup{Store: tb.st, fn: func() {
			if _, err := maintenance.Compact(context.Background(), tb.st, maintenance.CompactOptions{}); err != nil {
				t.Error(err)
			}
			tb.deleteWhere(func(id int64) bool { return id == 11 })
			tb.appendRows(50, 10)
		}}
		ctx := context.Background()
		res, err := maintenance.CleanupOldVersions(ctx, st, maintenance.CleanupOptions{
			Before: time.Now().Add(time.Hour), DeleteUnverified: unverified,
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.VersionsRemoved) == 0 || res.ByKind[maintenance.KindData].Files == 0 {
			t.Fatalf("unverified=%v: cleanup removed nothing (%+v); the test needs it to work", unverified, res)
		}
		refs, _, err := format.ScanVersions(ctx, tb.st)
		if err != nil {
			t.Fatal(err)
		}
		if len(refs) != 4 {
			t.Fatalf("unverified=%v: %d versions left, want the one cleanup kept and the three committed meanwhile", unverified, len(refs))
		}
		for _, ref := range refs {
			m, err := format.ReadManifest(ctx, tb.st, ref.Path)
			if err != nil {
				t.Fatal(err)
			}
			for p := range referencedBy(t, tb, m) {
				if _, err := os.Stat(filepath.Join(tb.dir, p)); err != nil {
					t.Errorf("unverified=%v: version %d needs %s, removed by cleanup", unverified, ref.Version, p)
				}
			}
		}
		checkRows(t, tb.dir, 0, idsWhere(60, func(id int64) bool { return id >= 40 || (id%7 != 0 && id != 11) }))
	}
}

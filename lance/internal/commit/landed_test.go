package commit

import (
	"context"
	"strings"
	"testing"

	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/storage"
)

// cancelAfterLink cancels the caller's context as soon as a manifest has
// been created: the commit has landed, and every later step sees a
// cancelled context (a request deadline expiring at the wrong moment).
type cancelAfterLink struct {
	storage.Store
	cancel context.CancelFunc
}

func (s cancelAfterLink) PutIfNotExists(ctx context.Context, p string, data []byte) error {
	err := s.Store.PutIfNotExists(ctx, p, data)
	if err == nil && strings.HasPrefix(p, format.VersionsDir+"/") {
		s.cancel()
	}
	return err
}

// removeAfterLink deletes each manifest as soon as it has been created,
// as a cleanup racing with the writer may do once a later version exists.
type removeAfterLink struct {
	storage.Store
}

func (s removeAfterLink) PutIfNotExists(ctx context.Context, p string, data []byte) error {
	err := s.Store.PutIfNotExists(ctx, p, data)
	if err == nil && strings.HasPrefix(p, format.VersionsDir+"/") {
		if derr := s.Store.Delete(ctx, p); derr != nil {
			return derr
		}
	}
	return err
}

// A commit whose manifest landed is durable: a later step that cannot
// read it back (a cancelled context, a concurrent cleanup that removed
// it) must not turn it into a failure, or a caller that retries adds its
// rows twice. The Result carries the committed manifest, so callers never
// remove the files it names and need not reopen the version.
func TestCommitReportsLandedVersionOnLaterError(t *testing.T) {
	for _, tc := range []struct {
		name   string
		store  func(st storage.Store, cancel context.CancelFunc) storage.Store
		exists bool
	}{
		{"cancelled", func(st storage.Store, cancel context.CancelFunc) storage.Store {
			return cancelAfterLink{Store: st, cancel: cancel}
		}, true},
		{"removed", func(st storage.Store, _ context.CancelFunc) storage.Store {
			return removeAfterLink{Store: st}
		}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir, st := newTable(t, format.SchemeV2, 10)
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			res, err := Commit(ctx, tc.store(st, cancel), appendTxn(t, dir, 1, 10, 5), Options{})
			if err != nil {
				t.Fatalf("the manifest was linked, yet Commit returned %v (result %+v)", err, res)
			}
			if res == nil || res.Version != 2 || res.Manifest == nil || res.Manifest.Version != 2 {
				t.Fatalf("Commit returned %+v; a landed commit must return its Result and manifest", res)
			}
			if got := len(res.Manifest.Fragments); got != 2 {
				t.Errorf("committed manifest has %d fragments, want 2", got)
			}
			if res.Manifest.Path != res.Path {
				t.Errorf("manifest path %q, result path %q", res.Manifest.Path, res.Path)
			}
			_, serr := st.Stat(context.Background(), res.Path)
			if (serr == nil) != tc.exists {
				t.Fatalf("manifest %s: stat error %v, want it to exist: %v", res.Path, serr, tc.exists)
			}
		})
	}
}

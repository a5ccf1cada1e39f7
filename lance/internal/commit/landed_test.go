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

// A commit whose manifest landed must say so even when a later step
// fails: callers remove the files of commits that did not land, and would
// otherwise delete the data of the version just committed.
func TestCommitReportsLandedVersionOnLaterError(t *testing.T) {
	dir, st := newTable(t, format.SchemeV2, 10)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	res, err := Commit(ctx, cancelAfterLink{Store: st, cancel: cancel}, appendTxn(t, dir, 1, 10, 5), Options{})
	if err == nil {
		t.Fatal("want the cancellation to surface as an error")
	}
	latest, lerr := format.LatestVersion(context.Background(), st)
	if lerr != nil {
		t.Fatal(lerr)
	}
	if latest.Version != 2 {
		t.Fatalf("latest version %d, want 2 (the manifest was linked)", latest.Version)
	}
	if res == nil || res.Version != 2 {
		t.Fatalf("Commit returned result %+v with error %v; a landed commit must return its Result", res, err)
	}
}

package commit

import (
	"context"
	"errors"
	"testing"

	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/lanceerr"
)

// Options.Base lets the first attempt skip listing and reading the base
// manifest; the check before linking must still catch every case in which
// the base is not the latest version.
func TestCommitWithBase(t *testing.T) {
	for _, scheme := range []format.NamingScheme{format.SchemeV1, format.SchemeV2} {
		t.Run(scheme.String(), func(t *testing.T) {
			ctx := context.Background()
			dir, st := newTable(t, scheme, 10)
			v1, err := format.LoadManifest(ctx, st, 0)
			if err != nil {
				t.Fatal(err)
			}
			res, err := Commit(ctx, st, appendTxn(t, dir, 1, 10, 5), Options{Base: v1})
			if err != nil {
				t.Fatal(err)
			}
			if res.Version != 2 || res.Attempts != 1 {
				t.Fatalf("append on the latest base: version %d, %d attempts", res.Version, res.Attempts)
			}

			// A stale base: version 2 landed since. The fast attempt must
			// not link version 2's number or build on version 1's
			// fragments; the retry rebases onto version 2.
			res, err = Commit(ctx, st, appendTxn(t, dir, 1, 15, 5), Options{Base: v1, BackoffUnit: 1})
			if err != nil {
				t.Fatal(err)
			}
			if res.Version != 3 || res.Attempts != 2 || len(res.Manifest.Fragments) != 3 {
				t.Fatalf("append on a stale base: version %d, %d attempts, %d fragments", res.Version, res.Attempts, len(res.Manifest.Fragments))
			}
			verifyTable(t, st, map[uint64]uint64{1: 10, 2: 15, 3: 20})

			// A base newer than the table (versions removed behind the
			// writer's back): refused, nothing linked.
			v3, err := format.LoadManifest(ctx, st, 0)
			if err != nil {
				t.Fatal(err)
			}
			for _, v := range []uint64{2, 3} {
				if err := st.Delete(ctx, scheme.ManifestPath(v)); err != nil {
					t.Fatal(err)
				}
			}
			_, err = Commit(ctx, st, appendTxn(t, dir, 3, 20, 5), Options{Base: v3, BackoffUnit: 1})
			if !errors.Is(err, lanceerr.ErrInvalidArgument) {
				t.Fatalf("commit on a vanished base: %v, want ErrInvalidArgument", err)
			}
			if latest, err := format.LatestVersion(ctx, st); err != nil || latest.Version != 1 {
				t.Fatalf("latest after the refused commit: %+v, %v; want version 1", latest, err)
			}
		})
	}
}

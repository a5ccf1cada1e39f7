package commit

import (
	"context"
	"testing"

	"github.com/resona-go/resona/lance/internal/format"
)

// A writer that read version 1 is about to link version 2 when two other
// commits land (2 and 3) and cleanup removes version 2's manifest: the name
// is free again, so a link would succeed on a version that is never the
// latest, and the writer's rows would be lost. The commit must not land
// there: it either lands on top of version 3 or, since the removed version
// cannot be checked for conflicts, fails with a commit conflict.
func TestCommitDoesNotReuseCleanedUpVersion(t *testing.T) {
	ctx := context.Background()
	for _, scheme := range []format.NamingScheme{format.SchemeV1, format.SchemeV2} {
		t.Run(scheme.String(), func(t *testing.T) {
			dir, st := newTable(t, scheme, 1)
			raced := false
			opts := Options{MaxRetries: 3, BackoffUnit: 1, Failpoint: func(name string) error {
				if name != FailBeforeManifestLink || raced {
					return nil
				}
				raced = true
				for v := uint64(1); v <= 2; v++ {
					if _, err := Commit(ctx, st, appendTxn(t, dir, v, int64(10*v), 1), Options{}); err != nil {
						return err
					}
				}
				// What cleanup with retention 0 does to the older manifest.
				return st.Delete(ctx, scheme.ManifestPath(2))
			}}
			res, err := Commit(ctx, st, appendTxn(t, dir, 1, 100, 5), opts)
			m, lerr := format.LoadManifest(ctx, st, 0)
			if lerr != nil {
				t.Fatal(lerr)
			}
			rows, _ := m.NumRows()
			switch {
			case err == nil:
				if res.Version != 4 || m.Version != 4 || rows != 1+1+1+5 {
					t.Fatalf("committed version %d; latest %d with %d rows, want version 4 with 8", res.Version, m.Version, rows)
				}
			case isConflict(err):
				if m.Version != 3 || rows != 3 {
					t.Fatalf("after the conflict the latest is version %d with %d rows, want 3 with 3", m.Version, rows)
				}
			default:
				t.Fatal(err)
			}
			if _, err := st.Stat(ctx, scheme.ManifestPath(2)); err == nil {
				t.Fatal("version 2 was re-created")
			}
		})
	}
}

package commit

import (
	"testing"

	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/pb"
)

// A Rewrite replaces exactly the fragments it read. If the base lost one
// of them, or one gained deletions since, committing would bring deleted
// rows back (they are in the rewritten files): the commit must conflict,
// whatever the conflict check concluded.
func TestBuildRewriteRefusesChangedOldFragments(t *testing.T) {
	read := baseManifest(t, []uint64{0, 1, 2, 3})
	old := func(ids ...uint64) []*pb.DataFragment {
		var out []*pb.DataFragment
		for _, f := range read.PB.Fragments {
			for _, id := range ids {
				if f.Id == id {
					out = append(out, cloneFragments([]*pb.DataFragment{f})[0])
				}
			}
		}
		return out
	}
	rw := Rewrite{Groups: []RewriteGroup{{Old: old(1, 2), New: []*pb.DataFragment{dataFrag(0, "n1")}}}}

	// Unchanged base: fine.
	if _, err := Build(&Transaction{ReadVersion: 4, Operation: rw}, BuildParams{Base: read}); err != nil {
		t.Fatalf("unchanged base: %v", err)
	}

	// Fragment 2 (not the first of the group) was removed.
	missing := baseManifest(t, nil)
	missing.PB.Fragments = old(0, 1, 3)
	missing = reparse(t, missing.PB)
	if _, err := Build(&Transaction{ReadVersion: 4, Operation: rw}, BuildParams{Base: missing}); !isConflict(err) {
		t.Errorf("old fragment 2 missing from the base: %v, want a conflict", err)
	}

	// Fragment 2 gained a deletion file.
	deleted := old(0, 1, 2, 3)
	deleted[2].DeletionFile = &pb.DeletionFile{ReadVersion: 4, Id: 7, NumDeletedRows: 3}
	withDel := baseManifest(t, nil)
	withDel.PB.Fragments = deleted
	withDel = reparse(t, withDel.PB)
	if _, err := Build(&Transaction{ReadVersion: 4, Operation: rw}, BuildParams{Base: withDel}); !isConflict(err) {
		t.Errorf("old fragment 2 has new deletions in the base: %v, want a conflict", err)
	}
}

// reparse turns a modified manifest message back into a format.Manifest.
func reparse(t *testing.T, m *pb.Manifest) *format.Manifest {
	t.Helper()
	data, err := format.EncodeManifestFile(m, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	fm, err := format.ParseManifest("_versions/4.manifest", "", data)
	if err != nil {
		t.Fatal(err)
	}
	return fm
}

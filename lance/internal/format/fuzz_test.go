package format

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/RoaringBitmap/roaring/v2"

	"github.com/resona-go/resona/lance/internal/lanceerr"
)

// FuzzManifest feeds arbitrary bytes to the manifest decoders: they must
// return a manifest or an error wrapping ErrCorrupt/ErrUnsupported, never
// panic.
func FuzzManifest(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/_versions/*.manifest")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	m, idx := sampleManifest()
	if b, err := EncodeManifestFile(m, idx, []byte{1, 2}); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _, terr := ManifestTimestamp("fuzz.manifest", data)
		if terr != nil && !errors.Is(terr, lanceerr.ErrCorrupt) {
			t.Fatalf("timestamp: unexpected error kind: %v", terr)
		}
		pm, err := ParseManifest("fuzz.manifest", "/root", data)
		if err != nil {
			if !errors.Is(err, lanceerr.ErrCorrupt) && !errors.Is(err, lanceerr.ErrUnsupported) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		pm.NumRows()
		pm.MaxFragmentID()
		for i := range pm.Fragments {
			for j := range pm.Fragments[i].Files {
				FieldColumn(&pm.Fragments[i].Files[j], 0)
			}
		}
	})
}

// FuzzDeletionFile feeds arbitrary bytes to both deletion file decoders.
func FuzzDeletionFile(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/_deletions/*")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	for _, n := range []int{3, 6000} {
		if _, b, err := EncodeDeletionFile(randomOffsets(n, 100000, 7)); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, kind := range []DeletionKind{DeletionArrow, DeletionBitmap} {
			bm, err := DecodeDeletionFile("fuzz", kind, data)
			if err != nil {
				if !errors.Is(err, lanceerr.ErrCorrupt) {
					t.Fatalf("unexpected error kind: %v", err)
				}
				continue
			}
			if bm == nil {
				t.Fatal("nil bitmap without error")
			}
			_ = bm.GetCardinality()
			var _ *roaring.Bitmap = bm
		}
	})
}

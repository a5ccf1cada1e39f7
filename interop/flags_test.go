package interop

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/resona-go/resona/lance"
)

// TestUnknownReaderFlagRefused patches a copy of a LanceDB table so that its
// latest manifest requires a reader feature this engine does not implement,
// and checks that Open refuses it with ErrUnsupported, naming the feature,
// while the untouched older versions stay readable.
func TestUnknownReaderFlagRefused(t *testing.T) {
	cases := []struct {
		name string
		flag uint64
		// wantText must appear in the error.
		wantText string
	}{
		// A bit newer Lance defines: the error gives its name.
		{"overlay-files", 64, "FLAG_UNSTABLE_DATA_OVERLAY_FILES"},
		// A bit no Lance release defines: the error gives the bit.
		{"undefined-bit", 1 << 40, "1099511627776"},
	}
	for _, v := range Versions {
		t.Run("lancedb-"+v, func(t *testing.T) {
			fx := fixture(t, v, "deletes")
			for _, c := range cases {
				t.Run(c.name, func(t *testing.T) {
					dir := filepath.Join(t.TempDir(), "deletes.lance")
					if err := copyTree(dir, fx.Summary.TableDir); err != nil {
						t.Fatal(err)
					}
					latest := fx.Summary.LatestVersion
					mpath, err := manifestPath(dir, latest)
					if err != nil {
						t.Fatal(err)
					}
					flags, err := readManifestFlags(mpath, manifestReaderFlagsField)
					if err != nil {
						t.Fatal(err)
					}
					// LanceDB sets the deletion-files bit on a table with deletions.
					if flags&1 == 0 {
						t.Errorf("reader flags %d lack the deletion-files bit", flags)
					}
					if err := setManifestFlags(mpath, manifestReaderFlagsField, flags|c.flag); err != nil {
						t.Fatal(err)
					}
					if got, err := readManifestFlags(mpath, manifestReaderFlagsField); err != nil || got != flags|c.flag {
						t.Fatalf("patched reader flags = %d, %v; want %d", got, err, flags|c.flag)
					}

					ctx := context.Background()
					ds, err := lance.Open(ctx, dir)
					if err == nil {
						ds.Close()
						t.Fatalf("Open accepted a table whose reader flags are %d", flags|c.flag)
					}
					if testing.Verbose() {
						t.Logf("Open: %v", err)
					}
					if !errors.Is(err, lance.ErrUnsupported) {
						t.Errorf("Open error %v does not wrap ErrUnsupported", err)
					}
					if !strings.Contains(err.Error(), c.wantText) {
						t.Errorf("Open error %q does not name the feature (%s)", err, c.wantText)
					}

					// The previous version does not carry the flag.
					ds, err = lance.Open(ctx, dir, lance.WithVersion(latest-1))
					if err != nil {
						t.Fatalf("Open version %d: %v", latest-1, err)
					}
					ds.Close()
				})
			}
		})
	}
}

// TestUnknownWriterFlagReadOnly patches the writer flags instead: the table
// must still open for reading, and report why it cannot be written.
func TestUnknownWriterFlagReadOnly(t *testing.T) {
	for _, v := range Versions {
		t.Run("lancedb-"+v, func(t *testing.T) {
			fx := fixture(t, v, "deletes")
			dir := filepath.Join(t.TempDir(), "deletes.lance")
			if err := copyTree(dir, fx.Summary.TableDir); err != nil {
				t.Fatal(err)
			}
			mpath, err := manifestPath(dir, fx.Summary.LatestVersion)
			if err != nil {
				t.Fatal(err)
			}
			flags, err := readManifestFlags(mpath, manifestWriterFlagsField)
			if err != nil {
				t.Fatal(err)
			}
			if err := setManifestFlags(mpath, manifestWriterFlagsField, flags|64); err != nil {
				t.Fatal(err)
			}
			ds, err := lance.Open(context.Background(), dir)
			if err != nil {
				t.Fatalf("Open refused a table with an unknown writer flag: %v", err)
			}
			defer ds.Close()
			reason := ds.ReadOnlyReason()
			if testing.Verbose() {
				t.Logf("ReadOnlyReason: %v", reason)
			}
			if !errors.Is(reason, lance.ErrReadOnly) {
				t.Fatalf("ReadOnlyReason() = %v, want an error wrapping ErrReadOnly", reason)
			}
			if !strings.Contains(reason.Error(), "FLAG_UNSTABLE_DATA_OVERLAY_FILES") {
				t.Errorf("ReadOnlyReason() = %q does not name the feature", reason)
			}
		})
	}
}

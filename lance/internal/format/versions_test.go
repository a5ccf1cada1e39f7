package format

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/timestamppb"

	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/storage"
)

func writeVersion(t testing.TB, store storage.Store, scheme NamingScheme, v uint64, ts *timestamppb.Timestamp) {
	t.Helper()
	m := &pb.Manifest{Version: v, Timestamp: ts, Fields: []*pb.Field{{Name: "a", Id: 0, ParentId: -1, LogicalType: "int32"}}}
	b, err := EncodeManifestFile(m, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.PutIfNotExists(context.Background(), scheme.ManifestPath(v), b); err != nil {
		t.Fatal(err)
	}
}

func TestLatestVersionListingDecides(t *testing.T) {
	ctx := context.Background()
	for _, scheme := range []NamingScheme{SchemeV1, SchemeV2} {
		dir := t.TempDir()
		store := storage.NewLocal(dir)
		if _, err := LatestVersion(ctx, store); !errors.Is(err, lanceerr.ErrNotFound) {
			t.Fatalf("empty dataset: %v", err)
		}
		for v := uint64(1); v <= 12; v++ {
			writeVersion(t, store, scheme, v, timestamppb.New(time.Unix(int64(v), 0)))
		}
		// Noise that must not count: staging, temp, detached, a stale hint.
		for _, n := range []string{scheme.ManifestName(99) + "#1", "77.manifest.tmp", "d50.manifest"} {
			if err := os.WriteFile(filepath.Join(dir, VersionsDir, n), []byte("junk"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		if err := WriteVersionHint(ctx, store, 5); err != nil {
			t.Fatal(err)
		}
		ref, err := LatestVersion(ctx, store)
		if err != nil || ref.Version != 12 || ref.Scheme != scheme {
			t.Fatalf("%s: latest %+v, %v", scheme, ref, err)
		}
		m, err := LoadManifest(ctx, store, 0)
		if err != nil || m.Version != 12 {
			t.Fatalf("load latest: %v", err)
		}
		m, err = LoadManifest(ctx, store, 3)
		if err != nil || m.Version != 3 || m.Scheme != scheme {
			t.Fatalf("load v3: %+v %v", m, err)
		}
		if _, err := LoadManifest(ctx, store, 13); !errors.Is(err, lanceerr.ErrNotFound) {
			t.Fatalf("missing version: %v", err)
		}
		vs, err := ListVersions(ctx, store)
		if err != nil || len(vs) != 12 {
			t.Fatalf("list: %d %v", len(vs), err)
		}
		for i, v := range vs {
			if v.Version != uint64(i+1) || !v.Timestamp.Equal(time.Unix(int64(i+1), 0)) {
				t.Errorf("entry %d = %+v", i, v)
			}
		}
		if h, ok := ReadVersionHint(ctx, store); !ok || h != 5 {
			t.Errorf("hint %d %v", h, ok)
		}
	}
}

func TestMixedNamingSchemes(t *testing.T) {
	ctx := context.Background()
	store := storage.NewLocal(t.TempDir())
	writeVersion(t, store, SchemeV1, 1, nil)
	writeVersion(t, store, SchemeV2, 2, nil)
	if _, err := LatestVersion(ctx, store); !errors.Is(err, lanceerr.ErrCorrupt) {
		t.Fatalf("mixed schemes: %v", err)
	}
}

func TestListVersionsTimestampFallback(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store := storage.NewLocal(dir)
	writeVersion(t, store, SchemeV1, 1, nil)
	mtime := time.Date(2020, 5, 6, 7, 8, 9, 0, time.UTC)
	if err := os.Chtimes(filepath.Join(dir, "_versions/1.manifest"), mtime, mtime); err != nil {
		t.Fatal(err)
	}
	vs, err := ListVersions(ctx, store)
	if err != nil || len(vs) != 1 || !vs[0].Timestamp.Equal(mtime) {
		t.Fatalf("%+v %v", vs, err)
	}
}

func TestListVersionsCorruptManifest(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store := storage.NewLocal(dir)
	writeVersion(t, store, SchemeV2, 1, nil)
	if err := os.WriteFile(filepath.Join(dir, VersionsDir, SchemeV2.ManifestName(2)), []byte("not a manifest at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := ListVersions(ctx, store); !errors.Is(err, lanceerr.ErrCorrupt) {
		t.Fatalf("corrupt manifest: %v", err)
	}
}

// A real table can have tens of thousands of versions; listing must not
// decode whole manifests one by one.
func TestListVersionsMany(t *testing.T) {
	if testing.Short() {
		t.Skip("writes thousands of files")
	}
	ctx := context.Background()
	dir := t.TempDir()
	store := storage.NewLocal(dir)
	if err := os.Mkdir(filepath.Join(dir, VersionsDir), 0o755); err != nil {
		t.Fatal(err)
	}
	const n = 2000
	for v := uint64(1); v <= n; v++ {
		m := &pb.Manifest{Version: v, Timestamp: timestamppb.New(time.Unix(int64(v), 0))}
		b, err := EncodeManifestFile(m, nil, nil)
		if err != nil {
			t.Fatal(err)
		}
		// Written directly: durable commits would dominate the test time.
		if err := os.WriteFile(filepath.Join(dir, SchemeV2.ManifestPath(v)), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Now()
	vs, err := ListVersions(ctx, store)
	if err != nil || len(vs) != n {
		t.Fatalf("%d %v", len(vs), err)
	}
	el := time.Since(start)
	t.Logf("listed %d versions in %s", n, el)
	if el > 5*time.Second {
		t.Errorf("listing %d versions took %s", n, el)
	}
	if vs[n-1].Version != n || vs[n-1].Timestamp.Unix() != n {
		t.Errorf("last = %+v", vs[n-1])
	}
}

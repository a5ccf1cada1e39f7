package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/resona-go/resona/lance/internal/lanceerr"
)

func TestLocalPutIfNotExists(t *testing.T) {
	ctx := context.Background()
	s := NewLocal(t.TempDir())
	if err := s.PutIfNotExists(ctx, "_versions/1.manifest", []byte("one")); err != nil {
		t.Fatal(err)
	}
	err := s.PutIfNotExists(ctx, "_versions/1.manifest", []byte("two"))
	if !errors.Is(err, lanceerr.ErrCommitConflict) {
		t.Fatalf("second put: %v, want ErrCommitConflict", err)
	}
	got, err := s.ReadAll(ctx, "_versions/1.manifest")
	if err != nil || string(got) != "one" {
		t.Fatalf("content %q, %v; the loser must not replace the winner", got, err)
	}
	entries, err := s.List(ctx, "_versions")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || entries[0].Name != "1.manifest" || entries[0].Size != 3 {
		t.Fatalf("staging files left behind or wrong listing: %+v", entries)
	}
}

func TestLocalPutIfNotExistsRace(t *testing.T) {
	ctx := context.Background()
	s := NewLocal(t.TempDir())
	const writers = 8
	var wg sync.WaitGroup
	errs := make([]error, writers)
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.PutIfNotExists(ctx, "x.manifest", []byte(fmt.Sprint(i)))
		}()
	}
	wg.Wait()
	wins := 0
	for _, err := range errs {
		switch {
		case err == nil:
			wins++
		case !errors.Is(err, lanceerr.ErrCommitConflict):
			t.Errorf("unexpected error %v", err)
		}
	}
	if wins != 1 {
		t.Fatalf("%d writers won, want exactly 1", wins)
	}
	entries, _ := s.List(ctx, "")
	if len(entries) != 1 {
		t.Fatalf("left %d files: %+v", len(entries), entries)
	}
}

func TestLocalPutReplaceDeleteStat(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := NewLocal(dir)
	for _, content := range []string{"a", "bb"} {
		if err := s.Put(ctx, "_versions/latest_version_hint.json", []byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	fi, err := s.Stat(ctx, "_versions/latest_version_hint.json")
	if err != nil || fi.Size != 2 {
		t.Fatalf("stat = %+v, %v", fi, err)
	}
	f, err := s.Open(ctx, "_versions/latest_version_hint.json")
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1)
	if _, err := f.ReadAt(buf, 1); err != nil || buf[0] != 'b' || f.Size() != 2 || f.Path() != "_versions/latest_version_hint.json" {
		t.Fatalf("ReadAt = %q, %v, size %d", buf, err, f.Size())
	}
	f.Close()
	if err := s.Delete(ctx, "_versions/latest_version_hint.json"); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, "_versions/latest_version_hint.json"); err != nil {
		t.Fatalf("deleting a missing object: %v", err)
	}
	if _, err := s.Stat(ctx, "_versions/latest_version_hint.json"); !errors.Is(err, lanceerr.ErrNotFound) {
		t.Fatalf("stat after delete: %v", err)
	}
	if _, err := s.Open(ctx, "nope"); !errors.Is(err, lanceerr.ErrNotFound) {
		t.Fatalf("open missing: %v", err)
	}
	if _, err := s.ReadAll(ctx, "nope"); !errors.Is(err, lanceerr.ErrNotFound) {
		t.Fatalf("read missing: %v", err)
	}
}

func TestLocalListMissingAndSorted(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s := NewLocal(dir)
	if got, err := s.List(ctx, "_versions"); err != nil || len(got) != 0 {
		t.Fatalf("missing dir: %v, %v", got, err)
	}
	for _, n := range []string{"b", "a", "c"} {
		if err := os.WriteFile(filepath.Join(dir, n), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	os.Mkdir(filepath.Join(dir, "d"), 0o755)
	got, err := s.List(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 || got[0].Name != "a" || got[2].Name != "c" || !got[3].IsDir {
		t.Fatalf("listing %+v", got)
	}
}

func TestLocalRejectsEscapingPaths(t *testing.T) {
	ctx := context.Background()
	s := NewLocal(t.TempDir())
	for _, p := range []string{"../x", "/etc/passwd", "a/../../x", `a\b`} {
		if _, err := s.ReadAll(ctx, p); !errors.Is(err, lanceerr.ErrInvalidArgument) {
			t.Errorf("%q: %v, want ErrInvalidArgument", p, err)
		}
	}
}

func TestLocalContextCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := NewLocal(t.TempDir())
	if err := s.Put(ctx, "x", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("put with cancelled context: %v", err)
	}
}

func TestLocalCreateStream(t *testing.T) {
	ctx := context.Background()
	s := NewLocal(t.TempDir())
	w, err := s.Create(ctx, "data/a.lance")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("hello")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(ctx, "data/a.lance"); !errors.Is(err, lanceerr.ErrNotFound) {
		t.Fatalf("object visible before commit: %v", err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ReadAll(ctx, "data/a.lance"); err != nil || string(got) != "hello" {
		t.Fatalf("after commit: %q %v", got, err)
	}
	if err := w.Commit(); err == nil {
		t.Error("second commit accepted")
	}
	w2, err := s.Create(ctx, "data/b.lance")
	if err != nil {
		t.Fatal(err)
	}
	w2.Write([]byte("partial"))
	if err := w2.Abort(); err != nil {
		t.Fatal(err)
	}
	entries, _ := s.List(ctx, "data")
	if len(entries) != 1 || entries[0].Name != "a.lance" {
		t.Fatalf("after abort: %+v", entries)
	}
}

func TestListNamesAndPutUnsynced(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := NewLocal(dir)
	if names, err := st.ListNames(ctx, "missing"); err != nil || len(names) != 0 {
		t.Fatalf("missing dir: %v, %v", names, err)
	}
	for _, p := range []string{"d/b", "d/a", "d/sub/x"} {
		if err := st.Put(ctx, p, []byte(p)); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.PutUnsynced(ctx, "d/a", []byte("new")); err != nil {
		t.Fatal(err)
	}
	if got, err := st.ReadAll(ctx, "d/a"); err != nil || string(got) != "new" {
		t.Fatalf("after PutUnsynced: %q, %v", got, err)
	}
	names, err := st.ListNames(ctx, "d")
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 2 || names[0] != "a" || names[1] != "b" {
		t.Fatalf("ListNames = %v, want [a b] (no directories, no staging files)", names)
	}
	// The generic helper agrees with List on a store without ListNames.
	viaList, err := ListNames(ctx, struct{ Store }{st}, "d")
	if err != nil || len(viaList) != 2 || viaList[0] != "a" || viaList[1] != "b" {
		t.Fatalf("ListNames via List = %v, %v", viaList, err)
	}
}

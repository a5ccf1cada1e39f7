package storage

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// New directories are created on demand (and their parents synced); a
// file standing where a directory is needed is an error, and writers
// creating the same directories concurrently all succeed.
func TestPutCreatesMissingDirectories(t *testing.T) {
	ctx := context.Background()
	root := filepath.Join(t.TempDir(), "new.lance")
	s := NewLocal(root)
	var wg sync.WaitGroup
	errs := make([]error, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Put(ctx, "a/b/c/"+string(rune('w'+i)), []byte("x"))
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if ents, err := s.List(ctx, "a/b/c"); err != nil || len(ents) != 4 {
		t.Fatalf("listing %v, %v; want 4 files", ents, err)
	}
	if err := os.WriteFile(filepath.Join(root, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := s.PutIfNotExists(ctx, "file/x", []byte("x")); err == nil {
		t.Fatal("put below a regular file succeeded")
	}
	if _, err := s.Create(ctx, "file/y"); err == nil {
		t.Fatal("create below a regular file succeeded")
	}
}

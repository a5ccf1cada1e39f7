package storage

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/resona-go/resona/lance/internal/lanceerr"
)

func TestLocalCreate(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	l := NewLocal(dir)
	w, err := l.Create(ctx, "data/a.lance")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("hello ")); err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("world")); err != nil {
		t.Fatal(err)
	}
	// Nothing is visible before Commit.
	if _, err := l.Stat(ctx, "data/a.lance"); !errors.Is(err, lanceerr.ErrNotFound) {
		t.Fatalf("visible before commit: %v", err)
	}
	if err := w.Commit(); err != nil {
		t.Fatal(err)
	}
	b, err := l.ReadAll(ctx, "data/a.lance")
	if err != nil || string(b) != "hello world" {
		t.Fatalf("read %q, %v", b, err)
	}
	if err := w.Commit(); err == nil {
		t.Error("second commit accepted")
	}
	if _, err := w.Write([]byte("x")); err == nil {
		t.Error("write after commit accepted")
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "data"))
	if len(entries) != 1 {
		t.Errorf("staging files left: %v", entries)
	}

	// Abort leaves nothing behind.
	w, err = l.Create(ctx, "data/b.lance")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("partial")); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	if entries, _ := os.ReadDir(filepath.Join(dir, "data")); len(entries) != 1 {
		t.Errorf("abort left files: %v", entries)
	}
	if _, err := l.Create(ctx, "../escape"); !errors.Is(err, lanceerr.ErrInvalidArgument) {
		t.Errorf("escaping path: %v", err)
	}
}

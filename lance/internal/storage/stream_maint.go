package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
)

// ObjectWriter streams the content of a new object. Nothing is visible
// under the final name until Commit returns; Abort discards what was
// written. Exactly one of Commit or Abort must be called.
type ObjectWriter interface {
	Write(p []byte) (int, error)
	// Commit makes the object durable and visible under its final name,
	// replacing any object there.
	Commit() error
	// Abort removes the partial object. It is safe after a failed Commit.
	Abort() error
}

// StreamCreator is implemented by stores that can write an object without
// holding all of it in memory (large data files written by compaction).
type StreamCreator interface {
	Create(ctx context.Context, path string) (ObjectWriter, error)
}

var _ StreamCreator = (*Local)(nil)

// Create implements StreamCreator: the data goes to a "<final>#<n>" staging
// file created with O_EXCL, which Commit syncs and renames to the final
// name, so readers never see a partial object.
func (l *Local) Create(ctx context.Context, p string) (ObjectWriter, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	full, err := l.resolve(p)
	if err != nil {
		return nil, err
	}
	if err := mkdirAllSynced(filepath.Dir(full)); err != nil {
		return nil, wrapErr("create", p, err)
	}
	for n := 1; n <= maxStagingAttempts; n++ {
		tmp := full + "#" + strconv.Itoa(n)
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, wrapErr("create", p, err)
		}
		return &localObjectWriter{f: f, tmp: tmp, full: full, path: p}, nil
	}
	return nil, fmt.Errorf("storage: create %s: no free staging name after %d attempts", p, maxStagingAttempts)
}

type localObjectWriter struct {
	f         *os.File
	tmp, full string
	path      string
	done      bool
}

func (w *localObjectWriter) Write(p []byte) (int, error) {
	if w.done {
		return 0, fmt.Errorf("storage: write %s after commit or abort", w.path)
	}
	n, err := w.f.Write(p)
	if err != nil {
		return n, wrapErr("write", w.path, err)
	}
	return n, nil
}

func (w *localObjectWriter) Commit() error {
	if w.done {
		return fmt.Errorf("storage: commit %s twice", w.path)
	}
	w.done = true
	err := w.f.Sync()
	if cerr := w.f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(w.tmp, w.full)
	}
	if err != nil {
		os.Remove(w.tmp)
		return wrapErr("commit", w.path, err)
	}
	syncDir(filepath.Dir(w.full))
	return nil
}

func (w *localObjectWriter) Abort() error {
	if !w.done {
		w.done = true
		w.f.Close()
	}
	if err := os.Remove(w.tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return wrapErr("abort", w.path, err)
	}
	return nil
}

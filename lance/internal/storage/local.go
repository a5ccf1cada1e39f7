package storage

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/resona-go/resona/lance/internal/lanceerr"
)

// maxStagingAttempts bounds the search for a free staging name; collisions
// only happen when earlier writers crashed and left staging files behind.
const maxStagingAttempts = 1000

// Local is a Store over a directory of the local filesystem.
type Local struct {
	root string
}

// NewLocal returns a Store rooted at dir. The directory need not exist yet;
// writes create parent directories as needed.
func NewLocal(dir string) *Local {
	return &Local{root: filepath.Clean(dir)}
}

// Root returns the filesystem directory the store is rooted at.
func (l *Local) Root() string { return l.root }

// resolve maps a dataset-relative slash path onto the filesystem, refusing
// paths that would escape the root.
func (l *Local) resolve(p string) (string, error) {
	if p == "" || p == "." {
		return l.root, nil
	}
	if strings.HasPrefix(p, "/") || strings.Contains(p, "\\") {
		return "", fmt.Errorf("%w: storage path %q must be relative with forward slashes", lanceerr.ErrInvalidArgument, p)
	}
	clean := path.Clean(p)
	if clean == ".." || strings.HasPrefix(clean, "../") {
		return "", fmt.Errorf("%w: storage path %q escapes the dataset root", lanceerr.ErrInvalidArgument, p)
	}
	return filepath.Join(l.root, filepath.FromSlash(clean)), nil
}

// wrapErr maps filesystem errors onto the shared sentinels.
func wrapErr(op, p string, err error) error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%w: %s %s: %v", lanceerr.ErrNotFound, op, p, err)
	case errors.Is(err, fs.ErrExist):
		return fmt.Errorf("%w: %s %s: already exists", lanceerr.ErrCommitConflict, op, p)
	}
	return fmt.Errorf("storage: %s %s: %w", op, p, err)
}

type localFile struct {
	*os.File
	size int64
	path string
}

func (f *localFile) Size() int64  { return f.size }
func (f *localFile) Path() string { return f.path }

// Open implements Store.
func (l *Local) Open(ctx context.Context, p string) (File, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	full, err := l.resolve(p)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(full)
	if err != nil {
		return nil, wrapErr("open", p, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, wrapErr("stat", p, err)
	}
	if st.IsDir() {
		f.Close()
		return nil, fmt.Errorf("%w: open %s: is a directory", lanceerr.ErrInvalidArgument, p)
	}
	return &localFile{File: f, size: st.Size(), path: p}, nil
}

// ReadAll implements Store.
func (l *Local) ReadAll(ctx context.Context, p string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	full, err := l.resolve(p)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(full)
	if err != nil {
		return nil, wrapErr("read", p, err)
	}
	return b, nil
}

// List implements Store.
func (l *Local) List(ctx context.Context, dir string) ([]FileInfo, error) {
	entries, err := l.readDir(ctx, dir)
	if err != nil {
		return nil, err
	}
	out := make([]FileInfo, 0, len(entries))
	for _, e := range entries {
		info, err := e.Info()
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				continue // removed between ReadDir and Info
			}
			return nil, wrapErr("list", dir, err)
		}
		out = append(out, FileInfo{Name: e.Name(), Size: info.Size(), ModTime: info.ModTime(), IsDir: e.IsDir()})
	}
	return out, nil
}

// ListNames implements NameLister: one directory read, no stat per entry.
func (l *Local) ListNames(ctx context.Context, dir string) ([]string, error) {
	entries, err := l.readDir(ctx, dir)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(entries))
	for _, e := range entries {
		if !e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out, nil
}

// readDir reads a directory's entries sorted by name; a missing directory
// has none.
func (l *Local) readDir(ctx context.Context, dir string) ([]os.DirEntry, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	full, err := l.resolve(dir)
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(full)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, nil
		}
		return nil, wrapErr("list", dir, err)
	}
	return entries, nil
}

// Stat implements Store.
func (l *Local) Stat(ctx context.Context, p string) (FileInfo, error) {
	if err := ctx.Err(); err != nil {
		return FileInfo{}, err
	}
	full, err := l.resolve(p)
	if err != nil {
		return FileInfo{}, err
	}
	st, err := os.Stat(full)
	if err != nil {
		return FileInfo{}, wrapErr("stat", p, err)
	}
	return FileInfo{Name: p, Size: st.Size(), ModTime: st.ModTime(), IsDir: st.IsDir()}, nil
}

// writeStaging writes data to a fresh "<final>#<n>" file created with
// O_EXCL and, when sync is set, syncs it. It returns the staging file's
// path.
func writeStaging(full string, data []byte, sync bool) (string, error) {
	if err := mkdirAllSynced(filepath.Dir(full)); err != nil {
		return "", err
	}
	for n := 1; n <= maxStagingAttempts; n++ {
		tmp := full + "#" + strconv.Itoa(n)
		f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		_, werr := f.Write(data)
		if werr == nil && sync {
			werr = f.Sync()
		}
		cerr := f.Close()
		if werr == nil {
			werr = cerr
		}
		if werr != nil {
			os.Remove(tmp)
			return "", werr
		}
		return tmp, nil
	}
	return "", fmt.Errorf("no free staging name for %s after %d attempts", full, maxStagingAttempts)
}

// mkdirAllSynced creates dir and its missing parents like os.MkdirAll, and
// syncs the parent of every directory it creates: a file synced into a new
// directory (the first manifest of a table, its data directory) is only
// durable once the directory's own entry is.
func mkdirAllSynced(dir string) error {
	if st, err := os.Stat(dir); err == nil {
		if !st.IsDir() {
			return &fs.PathError{Op: "mkdir", Path: dir, Err: syscall.ENOTDIR}
		}
		return nil
	}
	parent := filepath.Dir(dir)
	if parent != dir {
		if err := mkdirAllSynced(parent); err != nil {
			return err
		}
	}
	if err := os.Mkdir(dir, 0o755); err != nil {
		// Another writer may have created it meanwhile.
		if st, serr := os.Stat(dir); serr == nil && st.IsDir() {
			return nil
		}
		return err
	}
	syncDir(parent)
	return nil
}

// syncDir makes a directory entry change durable. Failures are ignored on
// filesystems that cannot sync directories.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		d.Close()
	}
}

// PutIfNotExists implements Store. The content is staged in a side file and
// hard-linked to its final name, so the final name appears complete or not
// at all, and an existing object is never replaced.
func (l *Local) PutIfNotExists(ctx context.Context, p string, data []byte) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	full, err := l.resolve(p)
	if err != nil {
		return err
	}
	tmp, err := writeStaging(full, data, true)
	if err != nil {
		return wrapErr("put", p, err)
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, full); err != nil {
		return wrapErr("put", p, err)
	}
	syncDir(filepath.Dir(full))
	return nil
}

// Put implements Store: stage, then rename over the final name.
func (l *Local) Put(ctx context.Context, p string, data []byte) error {
	return l.put(ctx, p, data, true)
}

// PutUnsynced implements UnsyncedPutter: Put without the syncs, for
// objects whose loss in a crash costs nothing (the version hint).
func (l *Local) PutUnsynced(ctx context.Context, p string, data []byte) error {
	return l.put(ctx, p, data, false)
}

func (l *Local) put(ctx context.Context, p string, data []byte, sync bool) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	full, err := l.resolve(p)
	if err != nil {
		return err
	}
	tmp, err := writeStaging(full, data, sync)
	if err != nil {
		return wrapErr("put", p, err)
	}
	if err := os.Rename(tmp, full); err != nil {
		os.Remove(tmp)
		return wrapErr("put", p, err)
	}
	if sync {
		syncDir(filepath.Dir(full))
	}
	return nil
}

// Delete implements Store.
func (l *Local) Delete(ctx context.Context, p string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	full, err := l.resolve(p)
	if err != nil {
		return err
	}
	if err := os.Remove(full); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return wrapErr("delete", p, err)
	}
	return nil
}

// Package storage is the object-store seam of the Lance engine. Every path
// is relative to a dataset root and uses forward slashes, as Lance object
// keys do; implementations map them onto their backing store.
//
// Only the local filesystem is implemented. The interface is kept to the
// operations the table format needs so that an object-store backend can be
// added without touching the callers.
package storage

import (
	"context"
	"io"
	"time"
)

// File is an open object that supports random reads. Size is the object's
// length at the time it was opened.
type File interface {
	io.ReaderAt
	io.Closer
	Size() int64
	// Path is the dataset-relative path the file was opened with; readers
	// use it to name the file in errors.
	Path() string
}

// FileInfo describes one object found by List or Stat.
type FileInfo struct {
	Name    string // base name within the listed directory (full relative path for Stat)
	Size    int64
	ModTime time.Time
	IsDir   bool
}

// Store is the object-store interface the table format reads and commits
// through. Errors for missing objects wrap lanceerr.ErrNotFound; a lost
// create-only race wraps lanceerr.ErrCommitConflict.
type Store interface {
	// Open opens path for random reads.
	Open(ctx context.Context, path string) (File, error)
	// ReadAll returns the whole content of a (small) object.
	ReadAll(ctx context.Context, path string) ([]byte, error)
	// List returns the entries of the directory dir, sorted by name. A
	// missing directory yields an empty list and no error, as a prefix
	// listing on an object store would.
	List(ctx context.Context, dir string) ([]FileInfo, error)
	// Stat describes a single object.
	Stat(ctx context.Context, path string) (FileInfo, error)
	// PutIfNotExists writes data to path only when no object exists there.
	// Readers never observe a partially written object.
	PutIfNotExists(ctx context.Context, path string, data []byte) error
	// Put atomically writes or replaces the object at path.
	Put(ctx context.Context, path string, data []byte) error
	// Delete removes the object at path; a missing object is not an error.
	Delete(ctx context.Context, path string) error
}

// NameLister is implemented by stores that can list the names in a
// directory more cheaply than List, which must also report every entry's
// size and modification time (a stat per entry on a local filesystem).
type NameLister interface {
	// ListNames returns the names of the non-directory entries of dir,
	// sorted. A missing directory yields an empty list and no error.
	ListNames(ctx context.Context, dir string) ([]string, error)
}

// ListNames lists the names of the files in dir through the store's
// NameLister when it has one, else through List.
func ListNames(ctx context.Context, s Store, dir string) ([]string, error) {
	if nl, ok := s.(NameLister); ok {
		return nl.ListNames(ctx, dir)
	}
	infos, err := s.List(ctx, dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(infos))
	for _, fi := range infos {
		if !fi.IsDir {
			names = append(names, fi.Name)
		}
	}
	return names, nil
}

// UnsyncedPutter is implemented by stores that can replace an object
// atomically without making the change durable: a crash may leave the
// old content (never a mix of both).
type UnsyncedPutter interface {
	PutUnsynced(ctx context.Context, path string, data []byte) error
}

// PutUnsynced atomically replaces the object at path, durably only if the
// store has no cheaper UnsyncedPutter.
func PutUnsynced(ctx context.Context, s Store, path string, data []byte) error {
	if u, ok := s.(UnsyncedPutter); ok {
		return u.PutUnsynced(ctx, path, data)
	}
	return s.Put(ctx, path, data)
}

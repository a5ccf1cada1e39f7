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

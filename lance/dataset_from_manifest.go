package lance

import (
	"context"

	"github.com/resona-go/resona/lance/internal/commit"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/storage"
)

// newDataset returns a Dataset reading manifest m and takes a reference on
// files, which the Dataset's Close releases.
func newDataset(path string, store storage.Store, m *format.Manifest, files *fileCache) *Dataset {
	d := &Dataset{path: path, store: store, m: m, files: files, frags: make(map[uint64]int, len(m.Fragments))}
	for i := range m.Fragments {
		d.frags[m.Fragments[i].ID] = i
	}
	files.acquire()
	files.keepSegments(m)
	return d
}

// committed returns the Dataset of a landed commit, sharing this one's
// open files as Checkout does. It is built from the manifest the commit
// wrote rather than reopened by number, because a concurrent cleanup may
// already have removed that version; only a Result without a manifest
// falls back to opening the version.
func (d *Dataset) committed(ctx context.Context, res *commit.Result) (*Dataset, error) {
	if res.Manifest != nil {
		return newDataset(d.path, d.store, res.Manifest, d.files), nil
	}
	return d.Checkout(ctx, res.Version)
}

// same returns a new Dataset of this version, for writes that change
// nothing; unlike Checkout it does not need the version to still exist.
func (d *Dataset) same() *Dataset {
	return newDataset(d.path, d.store, d.m, d.files)
}

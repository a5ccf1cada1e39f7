package lance

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/storage"
)

// Dataset is one version of a Lance table. It is immutable and safe for
// concurrent use; Close releases the data files it keeps open.
type Dataset struct {
	path  string
	store storage.Store
	m     *format.Manifest
	files *fileCache
	close sync.Once
	// frags maps fragment ids to their index in m.Fragments.
	frags map[uint64]int
	// vectors caches the vector index segments loaded by searches.
	vectors vectorIndexCache
}

// OpenOption configures Open.
type OpenOption func(*openConfig)

type openConfig struct {
	version uint64
}

// WithVersion opens the given version instead of the latest one. Version
// numbers start at 1.
func WithVersion(version uint64) OpenOption {
	return func(c *openConfig) { c.version = version }
}

// Open opens the Lance table in directory path (for example
// "db/embeddings.lance") at its latest version, or at the version chosen
// with WithVersion. A missing table or version yields ErrNotFound; a table
// that needs features this engine cannot read yields ErrUnsupported.
func Open(ctx context.Context, path string, opts ...OpenOption) (*Dataset, error) {
	var cfg openConfig
	for _, o := range opts {
		o(&cfg)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("lance: open %s: %w", path, err)
	}
	st, err := os.Stat(abs)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("%w: lance: open %s: no such table directory", ErrNotFound, path)
	case err != nil:
		return nil, fmt.Errorf("lance: open %s: %w", path, err)
	case !st.IsDir():
		return nil, fmt.Errorf("%w: lance: open %s: not a directory", ErrInvalidArgument, path)
	}
	store := storage.NewLocal(abs)
	d, err := openVersion(ctx, abs, store, cfg.version, newFileCache(store))
	if err != nil {
		return nil, fmt.Errorf("lance: open %s: %w", path, err)
	}
	return d, nil
}

func openVersion(ctx context.Context, path string, store storage.Store, version uint64, files *fileCache) (*Dataset, error) {
	m, err := format.LoadManifest(ctx, store, version)
	if err != nil {
		return nil, err
	}
	if version != 0 && m.Version != version {
		return nil, fmt.Errorf("%w: manifest %s holds version %d, not %d", ErrCorrupt, m.Path, m.Version, version)
	}
	return newDataset(path, store, m, files), nil
}

// Checkout opens another version of the same table. The returned Dataset
// shares this one's open files and must be closed on its own.
func (d *Dataset) Checkout(ctx context.Context, version uint64) (*Dataset, error) {
	if version == 0 {
		return nil, fmt.Errorf("%w: lance: checkout: version numbers start at 1", ErrInvalidArgument)
	}
	nd, err := openVersion(ctx, d.path, d.store, version, d.files)
	if err != nil {
		return nil, fmt.Errorf("lance: checkout %s version %d: %w", d.path, version, err)
	}
	return nd, nil
}

// CheckoutLatest opens the newest version of the same table, which may be
// newer than this one if other writers committed since it was opened. The
// returned Dataset shares this one's open files and must be closed on its
// own.
func (d *Dataset) CheckoutLatest(ctx context.Context) (*Dataset, error) {
	nd, err := openVersion(ctx, d.path, d.store, 0, d.files)
	if err != nil {
		return nil, fmt.Errorf("lance: checkout latest of %s: %w", d.path, err)
	}
	return nd, nil
}

// Path returns the table directory.
func (d *Dataset) Path() string { return d.path }

// Version returns the version this Dataset reads.
func (d *Dataset) Version() uint64 { return d.m.Version }

// Versions lists every committed version of the table, oldest first,
// including versions newer than the one this Dataset reads.
func (d *Dataset) Versions(ctx context.Context) ([]VersionInfo, error) {
	vs, err := format.ListVersions(ctx, d.store)
	if err != nil {
		return nil, fmt.Errorf("lance: versions of %s: %w", d.path, err)
	}
	out := make([]VersionInfo, len(vs))
	for i, v := range vs {
		out[i] = VersionInfo{Version: v.Version, Timestamp: v.Timestamp}
	}
	return out, nil
}

// Schema returns the table schema as Arrow. Scans and searches without a
// projection return these columns in this order.
func (d *Dataset) Schema() *arrow.Schema { return d.m.Schema.Arrow }

// Fragments describes the fragments of this version, in manifest order
// (the order scans read them in).
func (d *Dataset) Fragments() []FragmentInfo {
	out := make([]FragmentInfo, len(d.m.Fragments))
	for i := range d.m.Fragments {
		out[i] = fragmentInfo(&d.m.Fragments[i])
	}
	return out
}

// Indexes describes the index segments of this version.
func (d *Dataset) Indexes() []IndexInfo {
	out := make([]IndexInfo, len(d.m.Indexes))
	for i := range d.m.Indexes {
		out[i] = indexInfo(&d.m.Indexes[i], d.m.Schema)
	}
	return out
}

// DataStorageVersion returns the table's data file format: "2.0", "2.1",
// "2.2", or "0.1" for legacy tables.
func (d *Dataset) DataStorageVersion() string { return d.m.DataStorageVersion }

// ReadOnlyReason returns nil when the table may be written, otherwise an
// error wrapping ErrReadOnly that says which feature prevents writing
// (writer feature flags, multiple base paths, unknown index types...).
func (d *Dataset) ReadOnlyReason() error {
	if err := d.m.ReadOnlyReason(); err != nil {
		return err
	}
	for i := range d.m.Indexes {
		ix := &d.m.Indexes[i]
		if strings.HasPrefix(ix.Type, "unknown") {
			return fmt.Errorf("%w: %w: index %q has an index type this engine does not know (%s)",
				ErrReadOnly, ErrUnsupported, ix.Name, ix.DetailsURL)
		}
	}
	return nil
}

// Close releases the files this Dataset keeps open. It must not be called
// while a scan, take or search of this Dataset is running. Closing twice is
// harmless.
func (d *Dataset) Close() error {
	var err error
	d.close.Do(func() { err = d.files.release() })
	return err
}

// fragment returns the fragment with the given id.
func (d *Dataset) fragment(id uint64) (*format.Fragment, bool) {
	i, ok := d.frags[id]
	if !ok {
		return nil, false
	}
	return &d.m.Fragments[i], true
}

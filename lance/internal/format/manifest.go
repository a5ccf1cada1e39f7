package format

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	pathpkg "path"
	"path/filepath"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/storage"
)

// Manifest is one decoded version of a dataset.
type Manifest struct {
	PB *pb.Manifest
	// Path is the dataset-relative manifest path; Scheme its naming scheme.
	Path   string
	Scheme NamingScheme

	Version   uint64
	Timestamp time.Time // zero when the manifest did not record one
	Schema    *Schema
	Fragments []Fragment
	Indexes   []Index
	// DataStorageVersion is the data file format of the table: "2.0",
	// "2.1", "2.2" (or newer) or "0.1" for legacy files. See
	// dataStorageVersion for how it is inferred when not recorded.
	DataStorageVersion string
	ReaderFlags        uint64
	WriterFlags        uint64
	// Transaction is the serialized inline Transaction, nil when absent.
	Transaction []byte
	// Config is the table configuration (manifest field config).
	Config map[string]string

	readOnly error
}

// ReadOnlyReason returns nil when the write path may commit on top of this
// manifest, otherwise why not (wrapping lanceerr.ErrReadOnly).
func (m *Manifest) ReadOnlyReason() error { return m.readOnly }

// StableRowIDs reports whether the table uses stable row ids, in which case
// index row ids are stable ids, not row addresses.
func (m *Manifest) StableRowIDs() bool { return m.ReaderFlags&FlagStableRowIDs != 0 }

// NumRows returns the live row count as recorded in the manifest, and
// ok=false when some fragment did not record its deletion count.
func (m *Manifest) NumRows() (n uint64, ok bool) {
	for i := range m.Fragments {
		live, ok := m.Fragments[i].LiveRows()
		if !ok {
			return 0, false
		}
		n += live
	}
	return n, true
}

// MaxFragmentID returns the largest fragment id ever used, from the
// manifest field when present, otherwise from the current fragments; ok is
// false for a table that never had a fragment.
func (m *Manifest) MaxFragmentID() (id uint64, ok bool) {
	if m.PB.MaxFragmentId != nil {
		return uint64(*m.PB.MaxFragmentId), true
	}
	for _, f := range m.Fragments {
		if !ok || f.ID > id {
			id, ok = f.ID, true
		}
	}
	return id, ok
}

// ParseManifest decodes and validates manifest file bytes. root is the
// dataset's filesystem directory (or URI) used to decide whether base
// paths are trivially the dataset root; it may be "". Reader feature flags
// the package cannot honour yield lanceerr.ErrUnsupported.
func ParseManifest(path, root string, data []byte) (*Manifest, error) {
	mf, err := DecodeManifestFile(path, data)
	if err != nil {
		return nil, err
	}
	return newManifest(path, root, mf)
}

func newManifest(path, root string, mf *ManifestFile) (*Manifest, error) {
	p := mf.Manifest
	if err := CheckReaderFlags(path, p.ReaderFeatureFlags); err != nil {
		return nil, err
	}
	m := &Manifest{
		PB: p, Path: path, Version: p.Version, ReaderFlags: p.ReaderFeatureFlags,
		WriterFlags: p.WriterFeatureFlags, Transaction: mf.Transaction, Config: p.Config,
	}
	if v, scheme, ok := ParseManifestName(pathpkg.Base(path)); ok {
		if v != p.Version {
			return nil, corruptf(path, "file name says version %d, manifest says %d", v, p.Version)
		}
		m.Scheme = scheme
	}
	if ts := p.Timestamp; ts != nil {
		if err := ts.CheckValid(); err != nil {
			return nil, corruptf(path, "timestamp: %v", err)
		}
		m.Timestamp = ts.AsTime()
	}
	rootBases, err := trivialBases(path, root, p.BasePaths)
	if err != nil {
		return nil, err
	}
	if m.Schema, err = NewSchema(path, p.Fields, p.SchemaMetadata); err != nil {
		return nil, err
	}
	seen := make(map[uint64]bool, len(p.Fragments))
	for _, pf := range p.Fragments {
		fr, err := newFragment(path, pf, rootBases)
		if err != nil {
			return nil, err
		}
		if seen[fr.ID] {
			return nil, corruptf(path, "fragment id %d appears twice", fr.ID)
		}
		seen[fr.ID] = true
		m.Fragments = append(m.Fragments, fr)
	}
	if mf.Indexes != nil {
		for _, pi := range mf.Indexes.Indices {
			ix, err := newIndex(path, pi, rootBases)
			if err != nil {
				return nil, err
			}
			m.Indexes = append(m.Indexes, ix)
		}
	}
	if m.DataStorageVersion, err = dataStorageVersion(path, p, m.Fragments); err != nil {
		return nil, err
	}
	m.readOnly = m.writeBlocker()
	return m, nil
}

// knownStorageVersions are the data storage versions the engine can read
// and commit on top of.
var knownStorageVersions = map[string]bool{"0.1": true, "2.0": true, "2.1": true, "2.2": true}

// writeBlocker returns why commits on top of m must be refused, or nil.
func (m *Manifest) writeBlocker() error {
	readOnly := func(format string, args ...any) error {
		return fmt.Errorf("%w: %w: %s", lanceerr.ErrReadOnly, lanceerr.ErrUnsupported, fmt.Sprintf(format, args...))
	}
	if err := WriterFlagsReason(m.WriterFlags); err != nil {
		return err
	}
	if len(m.PB.BasePaths) > 0 {
		return readOnly("the table declares base paths; writing multi-base tables is not supported")
	}
	if !knownStorageVersions[m.DataStorageVersion] {
		return readOnly("data storage version %s is newer than this engine knows", m.DataStorageVersion)
	}
	for _, ix := range m.Indexes {
		if strings.HasPrefix(ix.Type, "unknown") {
			return readOnly("index %q has type %s, which maintenance could not preserve", ix.Name, ix.Type)
		}
	}
	return nil
}

// dataStorageVersion returns the manifest's data_format version, or infers
// it from the first data file when the manifest predates that field (Lance
// does the same), defaulting to legacy for a table without files.
func dataStorageVersion(path string, p *pb.Manifest, frags []Fragment) (string, error) {
	if df := p.DataFormat; df != nil && df.Version != "" {
		if df.FileFormat != "" && df.FileFormat != "lance" {
			return "", unsupportedf("%s: data file format %q", path, df.FileFormat)
		}
		switch df.Version {
		case "legacy":
			return "0.1", nil
		case "stable", "next":
			return "", corruptf(path, "data storage version %q is not a concrete version", df.Version)
		}
		return df.Version, nil
	}
	for _, fr := range frags {
		if len(fr.Files) > 0 {
			return fr.Files[0].FileVersion.StorageVersion(), nil
		}
	}
	return "0.1", nil
}

// trivialBases returns the ids of base paths that are the dataset root
// itself; files under them resolve like files without a base. Any other
// base path makes the table unreadable here (ErrUnsupported).
func trivialBases(path, root string, bases []*pb.BasePath) (map[uint32]bool, error) {
	if len(bases) == 0 {
		return nil, nil
	}
	out := make(map[uint32]bool, len(bases))
	for _, b := range bases {
		if b == nil {
			continue
		}
		if !b.IsDatasetRoot || root == "" || !sameLocation(b.Path, root) {
			return nil, unsupportedf("%s: base path %d (%q) is not the dataset root; multi-base tables are not supported", path, b.Id, b.Path)
		}
		out[b.Id] = true
	}
	return out, nil
}

// sameLocation compares a base path URI with the local dataset root.
func sameLocation(uri, root string) bool {
	p := uri
	if u, err := url.Parse(uri); err == nil && u.Scheme == "file" {
		p = u.Path
	} else if strings.Contains(uri, "://") {
		return false
	}
	return filepath.Clean(p) == filepath.Clean(root)
}

// rooter is implemented by stores that live in a local directory.
type rooter interface{ Root() string }

func storeRoot(store storage.Store) string {
	if r, ok := store.(rooter); ok {
		return r.Root()
	}
	return ""
}

// LoadManifest loads version (0 = latest) of the dataset in store. A
// missing dataset or version yields lanceerr.ErrNotFound.
func LoadManifest(ctx context.Context, store storage.Store, version uint64) (*Manifest, error) {
	var path string
	if version == 0 {
		ref, err := LatestVersion(ctx, store)
		if err != nil {
			return nil, err
		}
		path = ref.Path
	} else {
		var err error
		if path, err = findManifest(ctx, store, version); err != nil {
			return nil, err
		}
	}
	return ReadManifest(ctx, store, path)
}

// ReadManifest reads and parses the manifest at a dataset-relative path.
func ReadManifest(ctx context.Context, store storage.Store, path string) (*Manifest, error) {
	data, err := store.ReadAll(ctx, path)
	if err != nil {
		return nil, err
	}
	return ParseManifest(path, storeRoot(store), data)
}

// findManifest returns the path of a specific version's manifest, trying
// the V2 name first and then the V1 name.
func findManifest(ctx context.Context, store storage.Store, version uint64) (string, error) {
	for _, s := range []NamingScheme{SchemeV2, SchemeV1} {
		p := s.ManifestPath(version)
		_, err := store.Stat(ctx, p)
		if err == nil {
			return p, nil
		}
		if !errors.Is(err, lanceerr.ErrNotFound) {
			return "", err
		}
	}
	return "", fmt.Errorf("%w: version %d has no manifest in %s", lanceerr.ErrNotFound, version, VersionsDir)
}

// DecodeTransaction decodes the inline transaction, nil when the manifest
// has none. It is decoded on demand because readers never need it.
func (m *Manifest) DecodeTransaction() (*pb.Transaction, error) {
	if m.Transaction == nil {
		return nil, nil
	}
	t := &pb.Transaction{}
	if err := proto.Unmarshal(m.Transaction, t); err != nil {
		return nil, corruptf(m.Path, "inline transaction: %v", err)
	}
	return t, nil
}

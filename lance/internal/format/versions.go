package format

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/protobuf/encoding/protowire"

	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/storage"
)

// VersionRef is a committed manifest found in _versions.
type VersionRef struct {
	Version uint64
	Path    string // dataset-relative
	Scheme  NamingScheme
	Size    int64
	ModTime time.Time
}

// VersionInfo is one entry of ListVersions.
type VersionInfo struct {
	VersionRef
	// Timestamp is the manifest's commit time, or the file's modification
	// time when the manifest did not record one.
	Timestamp time.Time
}

// listParallelism bounds concurrent manifest reads in ListVersions.
const listParallelism = 8

// ScanVersions lists the committed manifests of a dataset in ascending
// version order, with the naming scheme they share and each manifest's
// size and modification time. Staging files, detached versions and
// unrecognised names are skipped. A directory that mixes V1 and V2 names
// is corrupt. A dataset without manifests yields lanceerr.ErrNotFound.
func ScanVersions(ctx context.Context, store storage.Store) ([]VersionRef, NamingScheme, error) {
	entries, err := store.List(ctx, VersionsDir)
	if err != nil {
		return nil, SchemeUnknown, err
	}
	refs := make([]VersionRef, 0, len(entries))
	for _, e := range entries {
		if !e.IsDir {
			refs = append(refs, VersionRef{Path: e.Name, Size: e.Size, ModTime: e.ModTime})
		}
	}
	return versionRefs(refs)
}

// ScanVersionNames is ScanVersions without sizes and modification times:
// it reads only the directory's names, which is what a commit needs on
// every attempt and costs no stat per version.
func ScanVersionNames(ctx context.Context, store storage.Store) ([]VersionRef, NamingScheme, error) {
	names, err := storage.ListNames(ctx, store, VersionsDir)
	if err != nil {
		return nil, SchemeUnknown, err
	}
	refs := make([]VersionRef, len(names))
	for i, n := range names {
		refs[i].Path = n
	}
	return versionRefs(refs)
}

// versionRefs keeps the entries (base names in Path) that name committed
// manifests, filling in version, scheme and dataset-relative path.
func versionRefs(entries []VersionRef) ([]VersionRef, NamingScheme, error) {
	refs := entries[:0]
	scheme := SchemeUnknown
	for _, e := range entries {
		v, s, ok := ParseManifestName(e.Path)
		if !ok {
			continue
		}
		if scheme != SchemeUnknown && s != scheme {
			return nil, SchemeUnknown, corruptf(VersionsDir, "manifests use both the V1 and the V2 naming scheme")
		}
		scheme = s
		e.Version, e.Scheme, e.Path = v, s, VersionsDir+"/"+e.Path
		refs = append(refs, e)
	}
	if len(refs) == 0 {
		return nil, SchemeUnknown, fmt.Errorf("%w: no manifest in %s", lanceerr.ErrNotFound, VersionsDir)
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].Version < refs[j].Version })
	return refs, scheme, nil
}

// LatestVersion returns the newest committed version. The directory
// listing decides; latest_version_hint.json is not consulted because a
// local listing is as cheap as reading it and the hint may be stale.
func LatestVersion(ctx context.Context, store storage.Store) (VersionRef, error) {
	refs, _, err := ScanVersionNames(ctx, store)
	if err != nil {
		return VersionRef{}, err
	}
	return refs[len(refs)-1], nil
}

// ListVersions returns every committed version in ascending order with its
// commit timestamp. Manifests are read concurrently and only their
// timestamp field is decoded, so tables with tens of thousands of versions
// list quickly.
func ListVersions(ctx context.Context, store storage.Store) ([]VersionInfo, error) {
	refs, _, err := ScanVersions(ctx, store)
	if err != nil {
		return nil, err
	}
	out := make([]VersionInfo, len(refs))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(listParallelism)
	for i := range refs {
		g.Go(func() error {
			ref := refs[i]
			data, err := store.ReadAll(gctx, ref.Path)
			if err != nil {
				return err
			}
			ts, ok, err := ManifestTimestamp(ref.Path, data)
			if err != nil {
				return err
			}
			if !ok {
				ts = ref.ModTime
			}
			out[i] = VersionInfo{VersionRef: ref, Timestamp: ts}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}

// Field numbers read by ManifestTimestamp.
const (
	manifestTimestampField = 7
	timestampSecondsField  = 1
	timestampNanosField    = 2
)

// ManifestTimestamp extracts the commit timestamp from manifest file bytes
// without decoding the rest of the manifest. ok is false when the manifest
// has no timestamp.
func ManifestTimestamp(path string, data []byte) (ts time.Time, ok bool, err error) {
	size := len(data)
	if size < manifestTailLen+4 || string(data[size-4:]) != manifestMagic {
		return time.Time{}, false, corruptf(path, "not a manifest file (%d bytes, bad magic or too short)", size)
	}
	pos := int64(binary.LittleEndian.Uint64(data[size-manifestTailLen:]))
	end := int64(size - manifestTailLen)
	if pos < 0 || pos+4 > end {
		return time.Time{}, false, corruptf(path, "manifest position %d out of range", pos)
	}
	msg := data[pos+4 : end]
	var tsMsg []byte
	for len(msg) > 0 {
		num, typ, n := protowire.ConsumeTag(msg)
		if n < 0 {
			return time.Time{}, false, corruptf(path, "manifest message: %v", protowire.ParseError(n))
		}
		msg = msg[n:]
		if num == manifestTimestampField && typ == protowire.BytesType {
			v, m := protowire.ConsumeBytes(msg)
			if m < 0 {
				return time.Time{}, false, corruptf(path, "manifest timestamp: %v", protowire.ParseError(m))
			}
			tsMsg, ok = v, true // the last occurrence wins, as in protobuf merging
			msg = msg[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, msg)
		if m < 0 {
			return time.Time{}, false, corruptf(path, "manifest message: %v", protowire.ParseError(m))
		}
		msg = msg[m:]
	}
	if !ok {
		return time.Time{}, false, nil
	}
	var secs, nanos int64
	for len(tsMsg) > 0 {
		num, typ, n := protowire.ConsumeTag(tsMsg)
		if n < 0 {
			return time.Time{}, false, corruptf(path, "manifest timestamp: %v", protowire.ParseError(n))
		}
		tsMsg = tsMsg[n:]
		if typ == protowire.VarintType && (num == timestampSecondsField || num == timestampNanosField) {
			v, m := protowire.ConsumeVarint(tsMsg)
			if m < 0 {
				return time.Time{}, false, corruptf(path, "manifest timestamp: %v", protowire.ParseError(m))
			}
			if num == timestampSecondsField {
				secs = int64(v)
			} else {
				nanos = int64(int32(v))
			}
			tsMsg = tsMsg[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, tsMsg)
		if m < 0 {
			return time.Time{}, false, corruptf(path, "manifest timestamp: %v", protowire.ParseError(m))
		}
		tsMsg = tsMsg[m:]
	}
	if nanos < 0 || nanos >= 1e9 {
		return time.Time{}, false, corruptf(path, "manifest timestamp nanos %d out of range", nanos)
	}
	return time.Unix(secs, nanos).UTC(), true, nil
}

// versionHint is the content of latest_version_hint.json.
type versionHint struct {
	Version uint64 `json:"version"`
}

// ReadVersionHint returns the version recorded in latest_version_hint.json.
// ok is false when the file is missing or unreadable: the hint is only an
// optimisation and must never be trusted without checking the listing or
// probing for newer manifests.
func ReadVersionHint(ctx context.Context, store storage.Store) (version uint64, ok bool) {
	data, err := store.ReadAll(ctx, VersionHintFile)
	if err != nil {
		return 0, false
	}
	var h versionHint
	if json.Unmarshal(data, &h) != nil || h.Version == 0 {
		return 0, false
	}
	return h.Version, true
}

// WriteVersionHint atomically replaces latest_version_hint.json, as Lance
// does after a commit. It is not synced: readers verify the hint, so a
// crash that loses the latest update only leaves it stale.
func WriteVersionHint(ctx context.Context, store storage.Store, version uint64) error {
	return storage.PutUnsynced(ctx, store, VersionHintFile, []byte(`{"version":`+strconv.FormatUint(version, 10)+`}`))
}

// Package format reads and writes the Lance table format: manifests and
// their naming schemes, version discovery, fragments and data files,
// deletion files, feature flags, the schema and index metadata.
//
// Entry points:
//
//   - LoadManifest opens one version (0 = latest) of a dataset through a
//     storage.Store and returns a decoded Manifest: the schema as Arrow
//     plus Lance field ids (Schema.Fields parallels Schema.Arrow), the
//     fragments with resolved data and deletion file paths, the indexes,
//     the feature flags and the data storage version.
//   - ScanVersions, LatestVersion and ListVersions discover versions from
//     the _versions listing. latest_version_hint.json (ReadVersionHint,
//     WriteVersionHint) is never trusted for reads.
//   - ReadDeletions returns a fragment's deleted physical row offsets;
//     WriteDeletionFile and EncodeDeletionFile write them the way Lance does.
//   - DecodeManifestFile and EncodeManifestFile convert between manifest
//     file bytes and protobuf messages, for the commit path.
//   - FieldColumn maps a field id to its column in a data file;
//     InferIndexType names the kind of indexes written without details.
//
// Feature flags: a reader bit this package does not implement makes
// LoadManifest fail with lanceerr.ErrUnsupported naming the bit. Anything
// the write path could not preserve — an unknown writer bit, stable row
// ids, base paths, a data storage version newer than 2.2, an index of an
// unknown type — leaves the manifest readable but read-only
// (Manifest.ReadOnlyReason).
//
// Stable row ids (bit 2) are readable because scans do not need the row-id
// sequences. Index row ids are then stable ids rather than row addresses,
// so callers must not map index results through row addresses when
// Manifest.StableRowIDs reports true.
//
// Every decoder validates lengths and offsets read from disk; corrupt
// input yields an error wrapping lanceerr.ErrCorrupt that names the file.
package format

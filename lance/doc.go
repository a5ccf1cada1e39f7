// Package lance reads tables in the Lance format, the on-disk format of
// LanceDB, in pure Go.
//
// A table is a directory (conventionally named "<table>.lance") holding
// versioned manifests, data files split into fragments, deletion files and
// indexes. Open loads one version of it as a Dataset: an immutable snapshot
// that is safe for concurrent use. Later commits by other writers are seen
// by opening (or checking out) again.
//
// Reading:
//
//   - Dataset.Scan streams record batches fragment by fragment, with a
//     projection, an optional filter (package lance/expr) and optionally the
//     row address of every row (column "_rowaddr").
//   - Dataset.Take fetches rows by row address.
//   - Dataset.CountRows counts live rows, from the manifest alone when no
//     filter is given.
//   - Dataset.Search runs a nearest-neighbour search over a vector column,
//     with the distances LanceDB reports ("_distance"): through the
//     column's IVF_PQ index when it has one (unindexed fragments scanned
//     exactly), otherwise exact (flat).
//   - Dataset.CreateIndex builds BTREE and IVF_PQ indexes, UpdateIndex
//     covers new rows (a delta segment for IVF_PQ), IndexStatistics
//     reports coverage.
//
// Writing (Create, Append, Overwrite, Delete, MergeInsert, CreateIndex,
// Compact, ...) commits one new version per call, as LanceDB does: new
// files first, then the manifest, created only if no other writer took
// that version number (a lost race is checked against the other commit
// and retried). Every file a manifest names, the manifest and their
// directory entries are synced before the manifest appears, so a crash at
// any point leaves the last committed version readable. Datasets that
// share a session (the results of writes and checkouts of one Open) share
// open files and loaded vector index segments.
//
// A row address is fragment_id<<32 | offset, where offset is the row's
// physical position in its fragment (deleted rows keep their offsets). It
// identifies a row within one version; compaction moves rows to new
// addresses.
//
// Errors wrap the sentinels declared here (ErrNotFound, ErrCorrupt,
// ErrUnsupported, ...) with context, for errors.Is.
package lance

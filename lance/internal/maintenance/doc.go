// Package maintenance keeps a Lance table healthy: it compacts small
// fragments and materialises deletions (Compact), removes old versions and
// the files only they needed (CleanupOldVersions), and reports what the
// table holds and what maintenance would reclaim (Stats).
//
// The semantics follow Lance's (rust/lance/src/dataset/optimize.rs and
// cleanup.rs) so that results match what LanceDB users know:
//
//   - Compaction plans bins of adjacent candidate fragments, in manifest
//     order. A fragment is a candidate when it holds fewer physical rows
//     than the target or when its deleted share exceeds the threshold. A
//     bin never mixes fragments covered by different sets of indexes, a bin
//     of one fragment that only wanted neighbours is dropped, and bins are
//     split so that each produces about TargetRowsPerFragment rows. All bins
//     are committed in one Rewrite transaction.
//   - Rows move when fragments are rewritten, so an index covering a
//     rewritten fragment must be remapped in the same commit. Remapping is
//     delegated to CompactOptions.RemapIndexes; without it, bins touching
//     indexed fragments are skipped and reported, never committed with an
//     index that points at moved rows.
//   - Cleanup keeps the latest version, tagged versions and versions newer
//     than the cutoff, and every file they reference. An unreferenced data,
//     deletion, index or transaction file is removed when an expiring
//     manifest names it, or when it is older than the unverified-file age
//     (7 days), so that files of a write in progress elsewhere survive.
//     Files are removed before the manifests that name them: a crash
//     midway leaves every retained version readable, and a rerun finishes
//     the job.
//   - Stats and the cleanup dry run share one code path, so the bytes Stats
//     reports as reclaimable are the bytes cleanup removes.
//
// Compaction writes its data files in the table's data storage version
// (2.0, 2.1 or 2.2; LanceDB 0.13 writes 2.0, LanceDB 0.39 2.2), since
// Lance refuses tables whose files mix versions. It refuses legacy (v1)
// tables, and schemas or values the file writer cannot store in that
// version, before committing anything. Cleanup and statistics work on
// every readable table.
package maintenance

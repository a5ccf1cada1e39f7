// Package btree reads and writes Lance's BTREE scalar index, the index LanceDB
// builds on a table's id column (named "id_idx") and uses for equality, IN and
// range filters.
//
// An index segment lives in `_indices/<uuid>/` and holds two Lance files:
//
//   - page_data.lance: columns "values" (the indexed column's type, nullable)
//     and "ids" (uint64 row addresses), sorted by value with nulls first. Page
//     i is rows [i·B, (i+1)·B), B being the batch size.
//   - page_lookup.lance: one row per page with "min", "max" (the page's first
//     and last value), "null_count" (uint32) and "page_idx" (uint32); its
//     schema metadata records "batch_size" (default "4096") and, in newer
//     Lance, "range_partitioned".
//
// LanceDB 0.39 writes both as 2.2 files, read here through package file.
// LanceDB 0.13 (lance 0.19) wrote them as legacy v1 files (footer 0.2), which
// this package decodes itself (legacy.go): there a page is one record batch of
// the file, and the data file's id column is called "row_ids".
//
// Open loads the lookup table; Equal, In, Range and IsNull return the row
// addresses of matching rows. Results cover only the fragments in the
// segment's fragment bitmap (Index.Covers): the caller scans the other
// fragments itself. Results may name rows deleted after the index was built
// (the index is not rewritten by deletes), so callers must drop addresses
// whose fragment has a deletion-file entry for them, or whose fragment is no
// longer in the manifest.
//
// Segments finds the BTREE segments of a column in a manifest; Open loads
// one. Build scans a column of a table's live rows and writes a new segment
// with the file names, column names, schema metadata and manifest entry
// LanceDB writes; the returned pb.IndexMetadata goes into a
// commit.CreateIndex transaction. Remap rewrites a segment for compaction.
//
// Which files to write was settled by experiment (interop_test.go): LanceDB
// 0.39 reads BTREE segments in 2.0 files and in legacy files; LanceDB 0.13
// reads only legacy files (on 2.0 files its BTREE loader panics with "v2
// format has no concept of row groups"). Options.Files therefore defaults to
// legacy files on tables of data storage version 2.0 (what LanceDB 0.13
// creates) and to 2.0 files on newer tables, which LanceDB 0.13 cannot open
// anyway.
package btree

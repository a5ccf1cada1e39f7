// Package filewriter writes Lance data files in file format 2.0 (footer
// version 0.3), the format LanceDB 0.13 writes and every later LanceDB
// still reads.
//
// A Writer takes Arrow record batches and streams them to an io.Writer:
// each column buffers incoming values until about Options.PageBytes (8 MiB,
// Lance's cache_bytes_per_column) are queued, then encodes and writes one
// page, so memory is bounded by the page size times the number of columns,
// not by the file size. Finish flushes the last pages and writes the column
// metadata, the offset tables, global buffer 0 (the FileDescriptor: schema
// and row count) and the 40-byte footer.
//
// Pages use the encodings Lance's 2.0 writer (CoreFieldEncodingStrategy)
// chooses, so that LanceDB decodes our files exactly like its own:
//
//   - fixed-width values (ints, floats, bool as 1 bit): a Nullable wrapper
//     (NoNull, SomeNull with a 1-bit validity buffer, or AllNull) over Flat;
//   - utf8/binary and their large variants: Binary with u64 end offsets
//     (no leading zero) where a null row adds null_adjustment;
//   - utf8 pages of at least 100 rows with fewer than 100 distinct values:
//     Dictionary (u8 indices, 0 meaning null, items as Binary). Lance decides
//     with a HyperLogLog estimate; an exact count is used here, which agrees
//     for all but adversarial data near the threshold;
//   - fixed_size_list: Nullable over FixedSizeList over the item encoding;
//   - list/large_list: a List column of u64 end offsets with
//     null_offset_adjustment, followed by the item column(s);
//   - struct: a header column holding one SimpleStruct page, followed by the
//     child columns. Format 2.0 cannot store struct-level nulls: Lance drops
//     them, Write refuses them with lanceerr.ErrUnsupported.
//
// Durability is the caller's business: the writer never calls Sync. The
// commit layer decides when to fsync the file and its directory.
package filewriter

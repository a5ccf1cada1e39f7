// Package filewriter writes Lance data files in file format 2.0 (footer
// version 0.3), the format LanceDB 0.13 writes and every later LanceDB
// still reads, and, with Options.Version, in formats 2.1 and 2.2, what
// LanceDB 0.39 (lance 12) writes and requires in the tables it creates.
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
// # Formats 2.1 and 2.2
//
// Only leaf fields are columns (Result.Fields lists the leaf ids in
// pre-order, Result.ColumnIndices numbers them 0, 1, …, as LanceDB 0.39
// records them); struct validity travels down to the leaves as definition
// levels, and pages carry a lance.encodings21.PageLayout. Each page takes
// the simplest layout Lance itself would pick for it, with plain values:
//
//   - every value null (top-level fields): a constant layout with only the
//     nullable layer and no buffers;
//   - values of 256 bytes or more (fixed-size lists such as vectors from 64
//     float32 on, long strings): full-zip. Fixed-width values are stored
//     back to back, each after a control word of its definition level when
//     the page has nulls; without nulls the page is the raw values.
//     Variable-width values are a length (u32, u64 for the large types)
//     and the bytes, for valid values only, plus a byte-packed index of
//     where each row starts;
//   - top-level lists of leaf items: one mini-block chunk per page (at
//     most 4096 items and levels, about 8 KiB, or a single larger row) with
//     plain u16 repetition and definition levels and the repetition index
//     (rows, 0); a page without items is a constant page of raw levels;
//   - everything else: mini-blocks of at most 4096 values and about 8 KiB,
//     a power of two per chunk but the last. Values are Flat (bits for
//     booleans), Variable (offsets then bytes, 32-bit or 64-bit for the
//     large types) or FixedSizeList over Flat; definition levels, when the
//     page has nulls, are plain u16. Format 2.2 sets has_large_chunk: u32
//     chunk metadata words and value-buffer sizes instead of u16.
//
// Lists below structs, lists of lists, structs or fixed-size lists, maps and
// fixed-size lists with null items are refused with lanceerr.ErrUnsupported; Lance's compression (bitpacking,
// FSST, dictionaries, RLE, general compression) is not applied, which every
// reader accepts but makes files larger than LanceDB's.
//
// Durability is the caller's business: the writer never calls Sync. The
// commit layer decides when to fsync the file and its directory.
package filewriter

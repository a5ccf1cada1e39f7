// Package v21 decodes the structural encodings of Lance file format 2.1 and
// 2.2 (what LanceDB 0.39 / lance 12 writes, index files included) into
// Arrow arrays.
//
// Entry points, called by the file container (lance/internal/file) for
// files of version 2.1 or later:
//
//   - LeafColumns(field): the number of file columns a top-level field
//     occupies. Only leaves have columns; struct, list and nullability
//     information lives in each leaf's repetition/definition levels.
//   - DecodeRange(ctx, src, field, cols, start, end): rows [start, end).
//   - Take(ctx, src, field, cols, rows): the given ascending rows.
//
// cols are the field's consecutive leaf columns; each page's Encoding is an
// Any of type /lance.encodings21.PageLayout.
//
// # Page layouts
//
// Mini-block pages (small values) hold buffers [chunk metadata, chunk
// data, dictionary?, repetition index?]. Metadata words are
// (8-byte words − 1) << 4 | log2(values), u16 in 2.1 and u32 in 2.2
// (has_large_chunk). A chunk is a u16 level count, u16 rep and def sizes
// (when present), one size per value buffer (u16, or u32 with
// has_large_chunk), padding to 8, then each buffer padded to 8. Repetition
// and definition levels are decoded per chunk and concatenated.
//
// Full-zip pages (large values) interleave a control word (rep bits above
// def bits, 0/1/2/4 bytes) with each item; fixed-width values follow every
// visible item, variable-width values (a 4- or 8-byte length, then the
// bytes, each optionally compressed on its own) only valid ones. A page of
// fixed-width values without levels (non-null vectors) is served without
// copying: rows are sliced straight out of the bytes the page.Source
// returns, so returned arrays may alias the source's buffers and must be
// treated as read-only.
//
// Constant pages (lance 2.2; they also carry 2.1's all-null layout) hold an
// inline scalar or a serialized scalar buffer, and optionally rep and def
// buffers (raw u16 unless compressed). No scalar means all null.
//
// # Compression
//
// Flat, inline and out-of-line FastLanes bitpacking (bitpack.go), RLE
// (mini-block: two buffers; whole buffer: u64 value size, values, run
// lengths), Variable (mini-block: offsets then bytes; whole buffer: a
// self-describing header), FSST (fsst.go), fixed-size lists with item
// validity, byte-stream split, range, delta, constant, dictionaries and
// general compression (zstd with a u64 size prefix, LZ4 with a u32 size
// prefix; general.go).
//
// # Reading less
//
// Small requests (a Take of a few rows) read only what they need where the
// layout locates rows: the chunks of a mini-block page without repetition,
// the rows of a full-zip page found through its repetition index or by
// stride. Larger requests decode whole pages once per call.
//
// Every size read from disk is checked before it is used to slice or
// allocate; malformed input yields errors wrapping lanceerr.ErrCorrupt
// (or lanceerr.ErrUnsupported for valid encodings this package lacks:
// blob and sparse layouts, packed structs, maps).
//
// The tests compare against tables written by LanceDB 0.39.0 (testdata/,
// with the values LanceDB read back as gzipped JSON).
package v21

// Package encoding decodes the pages of Lance format 2.0 files into Arrow
// arrays (the 2.1 and 2.2 structural encodings live in package v21).
//
// A 2.0 page is described by a lance.encodings.ArrayEncoding tree. The 2.0
// writer (LanceDB 0.13) produces:
//   - fixed-width values (integers, floats, dates, ...): Nullable over
//     Flat(bits), with validity as Flat(1), an Arrow LSB bitmap; booleans
//     are Flat(1) themselves;
//   - strings and binaries: Binary with u64 end offsets (no leading 0; a null
//     row stores its end plus null_adjustment) and Flat(8) bytes, possibly
//     zstd-compressed when field metadata asks for it;
//   - low-cardinality utf8 pages (at least 100 values, fewer than 100
//     distinct): Dictionary with u8 indices (0 is null, k is item k-1) and
//     Binary items;
//   - fixed_size_list: Nullable over FixedSizeList over Nullable items;
//   - list and large_list: List pages of page-relative u64 end offsets in
//     one column, items in the next;
//   - struct: a SimpleStruct header column followed by the children.
//
// Fsst pages (FSST-compressed strings) and lz4 buffers are decoded too.
// Vectors stay zero-copy: a whole page of a fixed_size_list<float32> column
// becomes the Arrow values buffer without copying.
package encoding

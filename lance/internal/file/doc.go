// Package file reads Lance v2 container files: the data files of a Lance
// table (format 2.0, 2.1 and 2.2; the legacy v1 layout is refused with
// lanceerr.ErrUnsupported).
//
// A v2 file ends with a 40-byte footer (little-endian): the offset of the
// column metadata, of the column-metadata-offset (CMO) table and of the
// global-buffer-offset (GBO) table, the number of global buffers and of
// columns, the major and minor version and the magic "LANC". Format 2.0
// files store version 0.3; 2.1 and 2.2 store themselves. Global buffer 0 is
// a lance.file.FileDescriptor (schema and row count); each column's
// lance.file.v2.ColumnMetadata lists its pages, and each page names its
// buffers by absolute offset and size. Open checks every offset and size
// against the file size; anything outside is lanceerr.ErrCorrupt.
//
// Reader.ReadRange and Reader.Take decode one top-level field into an Arrow
// array. How fields map to columns depends on the version (see
// ColumnsUsed). For the tables LanceDB 0.13 writes (format 2.0), checked on
// its files: every schema node, struct and list nodes included, owns
// columns in pre-order, and the fragment's DataFile.column_indices holds
// one entry per field id with exactly that column, so the column index
// recorded for a top-level field's id is the firstColumn to pass. 2.0 does
// not store struct validity: LanceDB itself reads a null struct back as a
// struct whose children are null.
package file

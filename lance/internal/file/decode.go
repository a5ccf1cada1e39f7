package file

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/resona-go/resona/lance/internal/encoding"
	"github.com/resona-go/resona/lance/internal/encoding/v21"
	"github.com/resona-go/resona/lance/internal/lanceerr"
)

const defaultMaxDecodeBytes = encoding.DefaultMaxBytes

// SetMaxDecodeBytes bounds the memory one ReadRange or Take may allocate
// (and the size of one coalesced read). Corrupt row counts then fail with
// ErrInvalidArgument instead of exhausting memory. n <= 0 restores the
// default.
func (rd *Reader) SetMaxDecodeBytes(n int64) {
	if n <= 0 {
		n = defaultMaxDecodeBytes
	}
	rd.maxBytes = n
}

// ColumnsUsed is the number of physical columns a top-level field occupies
// in a file of the given table format version.
//
// Format 2.0 gives every schema node columns in pre-order: one for a
// primitive, string, binary or fixed_size_list field; a header column plus
// the children's columns for a struct; an offsets column plus the item
// field's columns for a list or large_list (see encoding.FieldReader).
// Formats 2.1 and later store only leaves (v21.LeafColumns): structs and
// lists contribute no column of their own, and a fixed_size_list of
// primitives is one leaf.
func ColumnsUsed(field arrow.Field, major, minor int) int {
	if (Version{major, minor}).AtLeast(2, 1) {
		return v21.LeafColumns(field)
	}
	return encoding.ColumnsUsed(field)
}

// ReadRange decodes rows [start, end) of the top-level field whose columns
// start at file column firstColumn. The result has type field.Type.
//
// For a LanceDB table, firstColumn is the column index the fragment's
// DataFile records for the field's id (DataFile.column_indices). LanceDB
// 0.13 records one entry per schema node in pre-order, struct and list
// nodes included, matching the 2.0 layout described at ColumnsUsed.
func (rd *Reader) ReadRange(ctx context.Context, field arrow.Field, firstColumn int, start, end uint64) (arrow.Array, error) {
	if start > end || end > rd.NumRows() {
		return nil, fmt.Errorf("%w: %s: rows [%d, %d) of a %d-row file", lanceerr.ErrInvalidArgument, rd.path, start, end, rd.NumRows())
	}
	return rd.read(ctx, field, firstColumn, []encoding.RowRange{{Start: start, End: end}})
}

// Take decodes the given rows (ascending; repeats allowed) of a top-level
// field, reading only the pages, and within small reads only the bytes,
// that hold them.
func (rd *Reader) Take(ctx context.Context, field arrow.Field, firstColumn int, rows []uint64) (arrow.Array, error) {
	ranges := make([]encoding.RowRange, 0, len(rows))
	for i, r := range rows {
		if r >= rd.NumRows() {
			return nil, fmt.Errorf("%w: %s: row %d of a %d-row file", lanceerr.ErrInvalidArgument, rd.path, r, rd.NumRows())
		}
		if i > 0 && r < rows[i-1] {
			return nil, fmt.Errorf("%w: %s: take rows must be ascending", lanceerr.ErrInvalidArgument, rd.path)
		}
		if k := len(ranges) - 1; k >= 0 && ranges[k].End == r {
			ranges[k].End++
		} else {
			ranges = append(ranges, encoding.RowRange{Start: r, End: r + 1})
		}
	}
	return rd.read(ctx, field, firstColumn, ranges)
}

func (rd *Reader) read(ctx context.Context, field arrow.Field, firstColumn int, ranges []encoding.RowRange) (arrow.Array, error) {
	used := ColumnsUsed(field, rd.version.Major, rd.version.Minor)
	if firstColumn < 0 || firstColumn+used > len(rd.columns) {
		return nil, fmt.Errorf("%w: %s: field %q needs columns [%d, %d) of %d", lanceerr.ErrCorrupt, rd.path, field.Name, firstColumn, firstColumn+used, len(rd.columns))
	}
	if rd.version.AtLeast(2, 1) {
		return rd.readStructural(ctx, field, firstColumn, ranges)
	}
	fr := encoding.FieldReader{Source: rd, Columns: rd.columns, MaxBytes: rd.maxBytes, Encodings: rd.encodings}
	return fr.Read(ctx, field, firstColumn, ranges)
}

// readStructural decodes a field of a 2.1 or 2.2 file with the structural
// decoders of package v21.
func (rd *Reader) readStructural(ctx context.Context, field arrow.Field, firstColumn int, ranges []encoding.RowRange) (arrow.Array, error) {
	cols := rd.columns[firstColumn : firstColumn+v21.LeafColumns(field)]
	switch len(ranges) {
	case 0:
		return v21.DecodeRange(ctx, rd, field, cols, 0, 0)
	case 1:
		return v21.DecodeRange(ctx, rd, field, cols, ranges[0].Start, ranges[0].End)
	}
	var rows []uint64
	for _, r := range ranges {
		for i := r.Start; i < r.End; i++ {
			rows = append(rows, i)
		}
	}
	return v21.Take(ctx, rd, field, cols, rows)
}

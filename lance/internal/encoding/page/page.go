// Package page describes the pages and buffers of a Lance v2 file in terms
// that the decoders of every file version share. The file container
// (lance/internal/file) fills these values from the column metadata; the 2.0
// decoders (lance/internal/encoding) and the 2.1/2.2 structural decoders
// (lance/internal/encoding/v21) read them. It holds no I/O of its own.
package page

import (
	"context"

	"google.golang.org/protobuf/types/known/anypb"
)

// Range is a byte range of the file: [Offset, Offset+Size).
type Range struct {
	Offset uint64
	Size   uint64
}

// Page is one page of one column.
type Page struct {
	// Buffers are the page's buffers in the order the encoding numbers them.
	Buffers []Range
	// NumRows is the number of top-level rows the page holds.
	NumRows uint64
	// FirstRow is the page's first row number in the file (the "priority").
	FirstRow uint64
	// Encoding is the page encoding as stored: an Any whose type URL is
	// /lance.encodings.ArrayEncoding (2.0) or /lance.encodings21.PageLayout
	// (2.1 and later).
	Encoding *anypb.Any
}

// Column is one column of a file: its pages and column-level buffers.
type Column struct {
	// Index is the column's position in the file.
	Index int
	Pages []Page
	// Buffers are column-level buffers (dictionaries shared by pages, etc.).
	Buffers []Range
	// Encoding is the column encoding as stored, or nil when absent.
	Encoding *anypb.Any
}

// Source reads byte ranges of one file. Implementations validate ranges
// against the file size and return lanceerr.ErrCorrupt for ranges beyond it.
// The returned slices must not be modified by the caller; they may alias a
// shared cache.
type Source interface {
	// Path names the file, for error messages.
	Path() string
	// ReadRanges reads each range and returns one slice per range.
	ReadRanges(ctx context.Context, ranges []Range) ([][]byte, error)
}

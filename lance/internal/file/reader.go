package file

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/resona-go/resona/lance/internal/encoding"
	"github.com/resona-go/resona/lance/internal/encoding/page"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/pb/file2"
)

// tailReadSize is how much of the end of a file Open reads in one go; the
// footer, the offset tables, the column metadata and the schema of ordinary
// data files all fit in it.
const tailReadSize = 64 << 10

// maxRows bounds row counts read from disk. Lance addresses rows of a data
// file with 32-bit offsets, so no valid file holds more.
const maxRows = 1 << 32

// Reader reads one Lance v2 file (format 2.0, 2.1 or 2.2). It is safe for
// concurrent use once opened.
type Reader struct {
	r        io.ReaderAt
	size     uint64
	path     string
	version  Version
	footer   footer
	columns  []page.Column
	globals  []page.Range
	desc     *pb.FileDescriptor
	maxBytes int64
	// encodings memoizes decoded 2.0 page encodings across reads.
	encodings *encoding.EncodingCache
}

// Open reads the footer, the offset tables, the column metadata and the
// schema of the file r of the given size. path names the file in errors.
func Open(ctx context.Context, r io.ReaderAt, size int64, path string) (*Reader, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if size < 8 {
		return nil, fmt.Errorf("%w: %s: file of %d bytes is too short", lanceerr.ErrCorrupt, path, size)
	}
	rd := &Reader{r: r, size: uint64(size), path: path, maxBytes: defaultMaxDecodeBytes, encodings: &encoding.EncodingCache{}}
	tailStart := uint64(0)
	if rd.size > tailReadSize {
		tailStart = rd.size - tailReadSize
	}
	tail := make([]byte, rd.size-tailStart)
	if err := rd.readFull(tail, tailStart); err != nil {
		return nil, err
	}
	f, v, err := parseFooter(tail, path)
	if err != nil {
		return nil, err
	}
	rd.footer, rd.version = f, v
	t := &tailCache{rd: rd, start: tailStart, data: tail}

	// Tables and metadata sit between the data and the footer.
	metaEnd := rd.size - footerSize
	gboLen := uint64(f.numGlobalBufs) * 16
	cmoLen := uint64(f.numColumns) * 16
	if f.gboTableStart > metaEnd || gboLen > metaEnd-f.gboTableStart {
		return nil, rd.corrupt("global buffer table [%d, +%d) beyond the footer at %d", f.gboTableStart, gboLen, metaEnd)
	}
	if f.cmoTableStart > metaEnd || cmoLen > metaEnd-f.cmoTableStart {
		return nil, rd.corrupt("column metadata table [%d, +%d) beyond the footer at %d", f.cmoTableStart, cmoLen, metaEnd)
	}
	if f.columnMetaStart > f.cmoTableStart {
		return nil, rd.corrupt("column metadata starts at %d, after its offset table at %d", f.columnMetaStart, f.cmoTableStart)
	}
	if f.numGlobalBufs == 0 {
		return nil, rd.corrupt("no global buffers (the schema is global buffer 0)")
	}

	gbo, err := t.read(f.gboTableStart, gboLen)
	if err != nil {
		return nil, err
	}
	rd.globals = make([]page.Range, f.numGlobalBufs)
	for i := range rd.globals {
		rg := page.Range{Offset: binary.LittleEndian.Uint64(gbo[16*i:]), Size: binary.LittleEndian.Uint64(gbo[16*i+8:])}
		if err := rd.checkRange(rg); err != nil {
			return nil, fmt.Errorf("global buffer %d: %w", i, err)
		}
		rd.globals[i] = rg
	}

	descBytes, err := t.read(rd.globals[0].Offset, rd.globals[0].Size)
	if err != nil {
		return nil, err
	}
	desc := &pb.FileDescriptor{}
	if err := proto.Unmarshal(descBytes, desc); err != nil {
		return nil, rd.corrupt("file descriptor: %v", err)
	}
	if desc.GetLength() > maxRows {
		return nil, rd.corrupt("file claims %d rows", desc.GetLength())
	}
	rd.desc = desc

	if err := rd.readColumns(t); err != nil {
		return nil, err
	}
	return rd, nil
}

// readColumns decodes every column's metadata through the CMO table.
func (rd *Reader) readColumns(t *tailCache) error {
	f := rd.footer
	cmo, err := t.read(f.cmoTableStart, uint64(f.numColumns)*16)
	if err != nil {
		return err
	}
	meta, err := t.read(f.columnMetaStart, f.cmoTableStart-f.columnMetaStart)
	if err != nil {
		return err
	}
	rd.columns = make([]page.Column, f.numColumns)
	for i := range rd.columns {
		pos := binary.LittleEndian.Uint64(cmo[16*i:])
		n := binary.LittleEndian.Uint64(cmo[16*i+8:])
		if pos < f.columnMetaStart || pos-f.columnMetaStart > uint64(len(meta)) || n > uint64(len(meta))-(pos-f.columnMetaStart) {
			return rd.corrupt("column %d metadata [%d, +%d) outside the metadata region [%d, %d)", i, pos, n, f.columnMetaStart, f.cmoTableStart)
		}
		off := pos - f.columnMetaStart
		cm := &file2.ColumnMetadata{}
		if err := proto.Unmarshal(meta[off:off+n], cm); err != nil {
			return rd.corrupt("column %d metadata: %v", i, err)
		}
		col, err := rd.convertColumn(i, cm)
		if err != nil {
			return err
		}
		rd.columns[i] = col
	}
	return nil
}

func (rd *Reader) convertColumn(i int, cm *file2.ColumnMetadata) (page.Column, error) {
	col := page.Column{Index: i}
	var err error
	if col.Buffers, err = rd.ranges(cm.GetBufferOffsets(), cm.GetBufferSizes()); err != nil {
		return col, fmt.Errorf("column %d buffers: %w", i, err)
	}
	if col.Encoding, err = rd.encoding(cm.GetEncoding()); err != nil {
		return col, fmt.Errorf("column %d encoding: %w", i, err)
	}
	col.Pages = make([]page.Page, len(cm.GetPages()))
	var next uint64
	for j, p := range cm.GetPages() {
		pg := &col.Pages[j]
		if pg.Buffers, err = rd.ranges(p.GetBufferOffsets(), p.GetBufferSizes()); err != nil {
			return col, fmt.Errorf("column %d page %d: %w", i, j, err)
		}
		if pg.Encoding, err = rd.encoding(p.GetEncoding()); err != nil {
			return col, fmt.Errorf("column %d page %d encoding: %w", i, j, err)
		}
		pg.NumRows = p.GetLength()
		if pg.NumRows > maxRows || next > maxRows {
			return col, rd.corrupt("column %d page %d: %d rows", i, j, pg.NumRows)
		}
		// 2.0 writers leave the priority at 0; the pages are in row order.
		pg.FirstRow = next
		if rd.version.AtLeast(2, 1) {
			pg.FirstRow = p.GetPriority()
		}
		next += pg.NumRows
	}
	return col, nil
}

func (rd *Reader) ranges(offsets, sizes []uint64) ([]page.Range, error) {
	if len(offsets) != len(sizes) {
		return nil, rd.corrupt("%d buffer offsets but %d sizes", len(offsets), len(sizes))
	}
	if len(offsets) == 0 {
		return nil, nil
	}
	out := make([]page.Range, len(offsets))
	for k := range offsets {
		out[k] = page.Range{Offset: offsets[k], Size: sizes[k]}
		if err := rd.checkRange(out[k]); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// encoding resolves a stored encoding description to its Any message.
func (rd *Reader) encoding(e *file2.Encoding) (*anypb.Any, error) {
	var raw []byte
	switch loc := e.GetLocation().(type) {
	case nil, *file2.Encoding_None:
		return nil, nil
	case *file2.Encoding_Direct:
		raw = loc.Direct.GetEncoding()
	case *file2.Encoding_Indirect:
		rg := page.Range{Offset: loc.Indirect.GetBufferLocation(), Size: loc.Indirect.GetBufferLength()}
		if err := rd.checkRange(rg); err != nil {
			return nil, err
		}
		if rg.Size > 1<<26 {
			return nil, rd.corrupt("encoding description of %d bytes", rg.Size)
		}
		raw = make([]byte, rg.Size)
		if err := rd.readFull(raw, rg.Offset); err != nil {
			return nil, err
		}
	default:
		return nil, rd.corrupt("unknown encoding location")
	}
	a := &anypb.Any{}
	if err := proto.Unmarshal(raw, a); err != nil {
		return nil, rd.corrupt("encoding: %v", err)
	}
	return a, nil
}

func (rd *Reader) checkRange(rg page.Range) error {
	if rg.Offset > rd.size || rg.Size > rd.size-rg.Offset {
		return rd.corrupt("byte range [%d, +%d) beyond the end of the file (%d bytes)", rg.Offset, rg.Size, rd.size)
	}
	return nil
}

func (rd *Reader) corrupt(format string, args ...any) error {
	return fmt.Errorf("%w: %s: %s", lanceerr.ErrCorrupt, rd.path, fmt.Sprintf(format, args...))
}

// readFull fills buf from offset off; a short file is corrupt.
func (rd *Reader) readFull(buf []byte, off uint64) error {
	if len(buf) == 0 {
		return nil
	}
	if off > math.MaxInt64 {
		return rd.corrupt("offset %d out of range", off)
	}
	n, err := rd.r.ReadAt(buf, int64(off))
	if n == len(buf) {
		return nil
	}
	if err == nil || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return rd.corrupt("short read at %d: %d of %d bytes", off, n, len(buf))
	}
	return fmt.Errorf("%s: read at %d: %w", rd.path, off, err)
}

// tailCache serves reads from the already-read tail when they fall in it.
type tailCache struct {
	rd    *Reader
	start uint64
	data  []byte
}

func (t *tailCache) read(off, n uint64) ([]byte, error) {
	if err := t.rd.checkRange(page.Range{Offset: off, Size: n}); err != nil {
		return nil, err
	}
	if off >= t.start {
		return t.data[off-t.start : off-t.start+n], nil
	}
	buf := make([]byte, n)
	if err := t.rd.readFull(buf, off); err != nil {
		return nil, err
	}
	return buf, nil
}

// WithReaderAt returns a Reader of the same file that reads through r,
// sharing this one's parsed metadata, so that a file closed after opening
// can be read again by reopening it rather than parsing it again.
func (rd *Reader) WithReaderAt(r io.ReaderAt) *Reader {
	c := *rd
	c.r = r
	return &c
}

// Path is the file name given to Open.
func (rd *Reader) Path() string { return rd.path }

// Version is the table format version of the file: 2.0, 2.1 or 2.2.
func (rd *Reader) Version() (major, minor int) { return rd.version.Major, rd.version.Minor }

// FileVersion is Version as a value.
func (rd *Reader) FileVersion() Version { return rd.version }

// NumRows is the number of top-level rows recorded in the file descriptor.
func (rd *Reader) NumRows() uint64 { return rd.desc.GetLength() }

// NumColumns is the number of physical columns.
func (rd *Reader) NumColumns() int { return len(rd.columns) }

// Schema is the schema stored in the file (fields flattened in pre-order).
func (rd *Reader) Schema() *pb.Schema { return rd.desc.GetSchema() }

// Column describes physical column i; out of range it is a column without
// pages (reading it fails with ErrCorrupt).
func (rd *Reader) Column(i int) page.Column {
	if i < 0 || i >= len(rd.columns) {
		return page.Column{Index: i}
	}
	return rd.columns[i]
}

// Columns returns every column; the slice must not be modified.
func (rd *Reader) Columns() []page.Column { return rd.columns }

// NumGlobalBuffers is the number of global buffers, the file descriptor
// included.
func (rd *Reader) NumGlobalBuffers() int { return len(rd.globals) }

// GlobalBuffer reads global buffer i (0 is the file descriptor).
func (rd *Reader) GlobalBuffer(ctx context.Context, i int) ([]byte, error) {
	if i < 0 || i >= len(rd.globals) {
		return nil, fmt.Errorf("%w: %s: global buffer %d of %d", lanceerr.ErrNotFound, rd.path, i, len(rd.globals))
	}
	out, err := rd.ReadRanges(ctx, rd.globals[i:i+1])
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

package filewriter

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"maps"

	"github.com/apache/arrow-go/v18/arrow"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/emptypb"

	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/pb/enc20"
	"github.com/resona-go/resona/lance/internal/pb/file2"
)

const (
	// DefaultPageBytes is Lance's default cache_bytes_per_column.
	DefaultPageBytes = 8 << 20
	// DefaultMaxPageBytes is Lance's MAX_PAGE_BYTES for 2.0 files.
	DefaultMaxPageBytes = 32 << 20

	// FileMajorVersion and FileMinorVersion are what a manifest's DataFile
	// records for the files written here (the footer itself says 0.3).
	FileMajorVersion = 2
	FileMinorVersion = 0

	footerMajor   = 0
	footerMinor   = 3
	footerLen     = 40
	pageAlignment = 64
	padByte       = 0x48

	arrayEncodingURL  = "/lance.encodings.ArrayEncoding"
	columnEncodingURL = "/lance.encodings.ColumnEncoding"
)

var magic = [4]byte{'L', 'A', 'N', 'C'}

// Options tune a Writer. The zero value writes what Lance writes.
type Options struct {
	// PageBytes is how many bytes each column buffers before writing a page
	// (DefaultPageBytes when 0).
	PageBytes int64
	// MaxPageBytes splits a single array larger than this over several
	// pages (DefaultMaxPageBytes when 0). 2.1+ files split such arrays into
	// pages of about PageBytes instead.
	MaxPageBytes int64
	// SchemaMetadata is stored with the schema in the file descriptor. When
	// nil the Arrow schema's metadata is used.
	SchemaMetadata map[string][]byte
	// Version selects the file format; the zero value writes 2.0.
	Version Version
}

// Result describes a finished file, for the manifest's DataFile.
type Result struct {
	// Rows is the number of rows written.
	Rows uint64
	// Bytes is the size of the file.
	Bytes uint64
	// Fields are the Lance field ids, in pre-order, and ColumnIndices the
	// column holding each of them: DataFile.fields and column_indices. In
	// 2.1+ files only leaf fields have columns and are listed.
	Fields        []int32
	ColumnIndices []int32
	// NumColumns is the number of columns in the file.
	NumColumns int
}

// Writer streams record batches into one Lance file (2.0, 2.1 or 2.2, as
// Options.Version says). It is not safe for concurrent use.
type Writer struct {
	out          *bufio.Writer
	pos          uint64
	schema       *arrow.Schema
	fields       []*pb.Field
	encoders     []fieldEncoder
	columns      []*file2.ColumnMetadata
	rows         uint64
	pageBytes    int64
	maxPageBytes int64
	metadata     map[string][]byte
	globals      [][2]uint64 // position and size of global buffers 1, 2, ...
	err          error
	finished     bool
	pad          [pageAlignment]byte
	version      Version
	// leafIDs are the Lance field ids of the leaves (2.1+ files only store
	// leaves as columns).
	leafIDs []int32
}

// New starts a file on w for record batches of the given schema. fields is
// the Lance field list of schema (pre-order, with ids, as the manifest
// stores it; fixed-size lists are leaves), normally
// format.SchemaFromArrow(...).PBFields(); it is stored in the file
// descriptor as given. The writer never syncs or closes w: durability
// belongs to the caller.
func New(w io.Writer, schema *arrow.Schema, fields []*pb.Field, opts Options) (*Writer, error) {
	if w == nil || schema == nil {
		return nil, fmt.Errorf("%w: filewriter: nil writer or schema", lanceerr.ErrInvalidArgument)
	}
	if err := checkFields(schema, fields); err != nil {
		return nil, err
	}
	fw := &Writer{
		out:          bufio.NewWriterSize(w, 1<<20),
		schema:       schema,
		fields:       fields,
		pageBytes:    opts.PageBytes,
		maxPageBytes: opts.MaxPageBytes,
		metadata:     maps.Clone(opts.SchemaMetadata),
		version:      opts.Version,
	}
	if err := opts.Version.check(); err != nil {
		return nil, err
	}
	if fw.pageBytes <= 0 {
		fw.pageBytes = DefaultPageBytes
	}
	if fw.maxPageBytes <= 0 {
		fw.maxPageBytes = DefaultMaxPageBytes
	}
	if fw.metadata == nil && schema.Metadata().Len() > 0 {
		md := schema.Metadata()
		fw.metadata = make(map[string][]byte, md.Len())
		for i, k := range md.Keys() {
			fw.metadata[k] = []byte(md.Values()[i])
		}
	}
	for i := range fw.pad {
		fw.pad[i] = padByte
	}
	col := 0
	fi := 0
	for _, f := range schema.Fields() {
		var e fieldEncoder
		var err error
		if fw.version.structural() {
			e, err = fw.newStructuralEncoder(f, &col, &fi)
		} else {
			e, err = fw.newFieldEncoder(f, &col)
		}
		if err != nil {
			return nil, err
		}
		fw.encoders = append(fw.encoders, e)
	}
	fw.columns = make([]*file2.ColumnMetadata, col)
	for i := range fw.columns {
		fw.columns[i] = &file2.ColumnMetadata{}
	}
	return fw, nil
}

// checkFields verifies that fields is the pre-order flattening of schema.
func checkFields(schema *arrow.Schema, fields []*pb.Field) error {
	i := 0
	var walk func(f arrow.Field, parent int32) error
	walk = func(f arrow.Field, parent int32) error {
		if i >= len(fields) {
			return fmt.Errorf("%w: filewriter: %d Lance fields for a schema with more", lanceerr.ErrInvalidArgument, len(fields))
		}
		pf := fields[i]
		i++
		if pf.GetName() != f.Name || pf.GetParentId() != parent {
			return fmt.Errorf("%w: filewriter: Lance field %d is %q (parent %d), schema has %q (parent %d)",
				lanceerr.ErrInvalidArgument, i-1, pf.GetName(), pf.GetParentId(), f.Name, parent)
		}
		switch t := f.Type.(type) {
		case *arrow.ListType:
			return walk(t.ElemField(), pf.GetId())
		case *arrow.LargeListType:
			return walk(t.ElemField(), pf.GetId())
		case *arrow.StructType:
			for _, c := range t.Fields() {
				if err := walk(c, pf.GetId()); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, f := range schema.Fields() {
		if err := walk(f, -1); err != nil {
			return err
		}
	}
	if i != len(fields) {
		return fmt.Errorf("%w: filewriter: %d Lance fields for a schema of %d", lanceerr.ErrInvalidArgument, len(fields), i)
	}
	return nil
}

// Write buffers a record batch, writing the pages it fills. Its schema must
// match the writer's. The writer keeps no reference to rec after returning.
func (w *Writer) Write(ctx context.Context, rec arrow.RecordBatch) error {
	if w.err != nil {
		return w.err
	}
	if w.finished {
		return fmt.Errorf("%w: filewriter: write after Finish", lanceerr.ErrInvalidArgument)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := w.checkRecord(rec); err != nil {
		return err
	}
	if rec.NumRows() == 0 {
		return nil
	}
	for i, e := range w.encoders {
		if _, err := e.append(rec.Column(i).Data()); err != nil {
			w.err = err
			return err
		}
	}
	w.rows += uint64(rec.NumRows())
	return nil
}

func (w *Writer) checkRecord(rec arrow.RecordBatch) error {
	if rec == nil {
		return fmt.Errorf("%w: filewriter: nil record", lanceerr.ErrInvalidArgument)
	}
	if int(rec.NumCols()) != w.schema.NumFields() {
		return fmt.Errorf("%w: filewriter: record has %d columns, schema %d", lanceerr.ErrInvalidArgument, rec.NumCols(), w.schema.NumFields())
	}
	fi := 0
	for i, f := range w.schema.Fields() {
		col := rec.Column(i)
		if !arrow.TypeEqual(col.DataType(), f.Type) {
			if dimensionMismatch(col.DataType(), f.Type) {
				return fmt.Errorf("%w: filewriter: column %q is %s, schema says %s", lanceerr.ErrDimensionMismatch, f.Name, col.DataType(), f.Type)
			}
			return fmt.Errorf("%w: filewriter: column %q is %s, schema says %s", lanceerr.ErrInvalidArgument, f.Name, col.DataType(), f.Type)
		}
		if err := w.checkNulls(col.Data(), &fi); err != nil {
			return err
		}
	}
	return nil
}

// dimensionMismatch reports fixed-size lists that differ only in size.
func dimensionMismatch(got, want arrow.DataType) bool {
	g, ok1 := got.(*arrow.FixedSizeListType)
	w, ok2 := want.(*arrow.FixedSizeListType)
	return ok1 && ok2 && g.Len() != w.Len() && arrow.TypeEqual(g.Elem(), w.Elem())
}

// checkNulls refuses nulls in fields the schema declares non-nullable, as
// Lance does. fi walks the Lance field list in step with the data.
func (w *Writer) checkNulls(d arrow.ArrayData, fi *int) error {
	f := w.fields[*fi]
	*fi++
	if !f.GetNullable() && nullCount(d) > 0 {
		return fmt.Errorf("%w: filewriter: field %q is not nullable but has %d nulls", lanceerr.ErrInvalidArgument, f.GetName(), nullCount(d))
	}
	switch d.DataType().(type) {
	case *arrow.ListType, *arrow.LargeListType:
		return w.checkNulls(d.Children()[0], fi)
	case *arrow.StructType:
		// Format 2.0 has no place for struct validity; Lance drops it, which
		// would turn null rows into rows of null children. Refuse instead.
		if nullCount(d) > 0 && !w.version.structural() {
			return fmt.Errorf("%w: filewriter: struct field %q has null rows, which format 2.0 cannot store", lanceerr.ErrUnsupported, f.GetName())
		}
		for _, c := range d.Children() {
			if err := w.checkNulls(c, fi); err != nil {
				return err
			}
		}
	}
	return nil
}

// SetSchemaMetadata sets a schema metadata entry of the file descriptor,
// for values known only once the data is written. Call it before Finish.
func (w *Writer) SetSchemaMetadata(key string, value []byte) {
	if w.metadata == nil {
		w.metadata = map[string][]byte{}
	}
	w.metadata[key] = value
}

// AddGlobalBuffer writes b at the current position (padded to 64 bytes)
// and returns its global buffer index: 1 for the first call, then 2, ...
// (0 is the file descriptor, written by Finish).
func (w *Writer) AddGlobalBuffer(ctx context.Context, b []byte) (uint32, error) {
	if w.err != nil {
		return 0, w.err
	}
	if w.finished {
		return 0, fmt.Errorf("%w: filewriter: AddGlobalBuffer after Finish", lanceerr.ErrInvalidArgument)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	pos := w.pos
	if err := w.writePadded(b); err != nil {
		return 0, err
	}
	w.globals = append(w.globals, [2]uint64{pos, uint64(len(b))})
	return uint32(len(w.globals)), nil
}

// Rows is the number of rows written so far.
func (w *Writer) Rows() uint64 { return w.rows }

// BytesWritten is the number of bytes handed to the underlying writer or
// buffered for it so far; callers use it to roll over to a new file.
func (w *Writer) BytesWritten() uint64 { return w.pos }

// writePage writes a page's buffers, each padded to 64 bytes, and records
// the page in its column's metadata.
func (w *Writer) writePage(col int, rows uint64, bufs [][]byte, enc *enc20.ArrayEncoding) error {
	p := &file2.ColumnMetadata_Page{
		BufferOffsets: make([]uint64, len(bufs)),
		BufferSizes:   make([]uint64, len(bufs)),
		Length:        rows,
	}
	for i, b := range bufs {
		p.BufferOffsets[i] = w.pos
		p.BufferSizes[i] = uint64(len(b))
		if err := w.writePadded(b); err != nil {
			return err
		}
	}
	e, err := directEncoding(arrayEncodingURL, enc)
	if err != nil {
		return err
	}
	p.Encoding = e
	w.columns[col].Pages = append(w.columns[col].Pages, p)
	return nil
}

// writePadded writes b followed by 0x48 bytes up to a multiple of 64.
func (w *Writer) writePadded(b []byte) error {
	if err := w.write(b); err != nil {
		return err
	}
	if pad := (pageAlignment - len(b)%pageAlignment) % pageAlignment; pad > 0 {
		return w.write(w.pad[:pad])
	}
	return nil
}

func (w *Writer) write(b []byte) error {
	n, err := w.out.Write(b)
	w.pos += uint64(n)
	if err != nil {
		w.err = fmt.Errorf("filewriter: write: %w", err)
		return w.err
	}
	return nil
}

// directEncoding wraps m in an Any with a prost-style type URL, stored
// directly in the column metadata.
func directEncoding(url string, m proto.Message) (*file2.Encoding, error) {
	v, err := proto.MarshalOptions{Deterministic: true}.Marshal(m)
	if err != nil {
		return nil, fmt.Errorf("filewriter: encode %s: %w", url, err)
	}
	a, err := proto.Marshal(&anypb.Any{TypeUrl: url, Value: v})
	if err != nil {
		return nil, fmt.Errorf("filewriter: encode Any: %w", err)
	}
	return &file2.Encoding{Location: &file2.Encoding_Direct{Direct: &file2.DirectEncoding{Encoding: a}}}, nil
}

// Finish writes the remaining pages, the metadata and the footer, and
// flushes its buffer to the underlying writer (without syncing it).
func (w *Writer) Finish(ctx context.Context) (Result, error) {
	if w.err != nil {
		return Result{}, w.err
	}
	if w.finished {
		return Result{}, fmt.Errorf("%w: filewriter: Finish called twice", lanceerr.ErrInvalidArgument)
	}
	if err := ctx.Err(); err != nil {
		return Result{}, err
	}
	w.finished = true
	res, err := w.finish()
	if err != nil {
		w.err = err
		return Result{}, err
	}
	return res, nil
}

func (w *Writer) finish() (Result, error) {
	for _, e := range w.encoders {
		if _, err := e.flush(); err != nil {
			return Result{}, err
		}
	}
	for _, e := range w.encoders {
		if err := e.finish(); err != nil {
			return Result{}, err
		}
	}
	colEnc, err := directEncoding(columnEncodingURL, &enc20.ColumnEncoding{
		ColumnEncoding: &enc20.ColumnEncoding_Values{Values: &emptypb.Empty{}},
	})
	if err != nil {
		return Result{}, err
	}

	// Global buffer 0: the file descriptor.
	fd, err := proto.MarshalOptions{Deterministic: true}.Marshal(&pb.FileDescriptor{
		Schema: &pb.Schema{Fields: w.fields, Metadata: w.metadata},
		Length: w.rows,
	})
	if err != nil {
		return Result{}, fmt.Errorf("filewriter: encode file descriptor: %w", err)
	}
	fdPos := w.pos
	if err := w.write(fd); err != nil {
		return Result{}, err
	}

	metaStart := w.pos
	table := make([]byte, 0, 16*len(w.columns))
	for _, c := range w.columns {
		c.Encoding = colEnc
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(c)
		if err != nil {
			return Result{}, fmt.Errorf("filewriter: encode column metadata: %w", err)
		}
		table = binary.LittleEndian.AppendUint64(table, w.pos)
		table = binary.LittleEndian.AppendUint64(table, uint64(len(b)))
		if err := w.write(b); err != nil {
			return Result{}, err
		}
	}
	cmoPos := w.pos
	if err := w.write(table); err != nil {
		return Result{}, err
	}
	gboPos := w.pos
	tail := make([]byte, 0, 16*(1+len(w.globals))+footerLen)
	tail = binary.LittleEndian.AppendUint64(tail, fdPos)
	tail = binary.LittleEndian.AppendUint64(tail, uint64(len(fd)))
	for _, g := range w.globals {
		tail = binary.LittleEndian.AppendUint64(tail, g[0])
		tail = binary.LittleEndian.AppendUint64(tail, g[1])
	}
	tail = binary.LittleEndian.AppendUint64(tail, metaStart)
	tail = binary.LittleEndian.AppendUint64(tail, cmoPos)
	tail = binary.LittleEndian.AppendUint64(tail, gboPos)
	tail = binary.LittleEndian.AppendUint32(tail, uint32(1+len(w.globals)))
	tail = binary.LittleEndian.AppendUint32(tail, uint32(len(w.columns)))
	major, minor := w.version.footer()
	tail = binary.LittleEndian.AppendUint16(tail, major)
	tail = binary.LittleEndian.AppendUint16(tail, minor)
	tail = append(tail, magic[:]...)
	if err := w.write(tail); err != nil {
		return Result{}, err
	}
	if err := w.out.Flush(); err != nil {
		return Result{}, fmt.Errorf("filewriter: flush: %w", err)
	}
	res := Result{Rows: w.rows, Bytes: w.pos, NumColumns: len(w.columns)}
	if w.version.structural() {
		// Only leaves have columns, in pre-order; parents are not listed.
		for i, id := range w.leafIDs {
			res.Fields = append(res.Fields, id)
			res.ColumnIndices = append(res.ColumnIndices, int32(i))
		}
		return res, nil
	}
	for i, f := range w.fields {
		res.Fields = append(res.Fields, f.GetId())
		res.ColumnIndices = append(res.ColumnIndices, int32(i))
	}
	return res, nil
}

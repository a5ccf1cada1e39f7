package btree

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"google.golang.org/protobuf/proto"

	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb"
)

// Legacy files are written with the layout legacy.go reads, one record
// batch per BTREE page, because lance 0.19 (LanceDB 0.13) loads BTREE pages
// as record batches and cannot read them from v2 files.

const (
	legacyMinor          = 2 // footer version 0.2, as lance 0.19 writes
	writerLibrary        = "resona-go"
	writerLibraryVersion = "1.0.0"
)

type legacyWriter struct {
	buf bytes.Buffer
}

func (w *legacyWriter) pad8() {
	for w.buf.Len()%8 != 0 {
		w.buf.WriteByte(0)
	}
}

func (w *legacyWriter) u64(v uint64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], v)
	w.buf.Write(b[:])
}

// message writes a u32-length-prefixed protobuf message, returning its
// position.
func (w *legacyWriter) message(m proto.Message) (int64, error) {
	b, err := proto.Marshal(m)
	if err != nil {
		return 0, err
	}
	pos := int64(w.buf.Len())
	var l [4]byte
	binary.LittleEndian.PutUint32(l[:], uint32(len(b)))
	w.buf.Write(l[:])
	w.buf.Write(b)
	return pos, nil
}

// writePage writes rows [start, end) of a and returns its page entry.
func (w *legacyWriter) writePage(a arrow.Array, start, end int) (legacyPage, error) {
	rows := int64(end - start)
	var value func(i int) []byte
	switch x := a.(type) {
	case *array.String:
		value = func(i int) []byte { return []byte(x.Value(i)) }
	case *array.LargeString:
		value = func(i int) []byte { return []byte(x.Value(i)) }
	case *array.Binary:
		value = x.Value
	case *array.LargeBinary:
		value = x.Value
	}
	if value != nil {
		// The bytes, then rows+1 absolute positions; a null is an empty
		// value, which Lance reads back as null in a nullable field.
		first := int64(w.buf.Len())
		for i := start; i < end; i++ {
			if !a.IsNull(i) {
				w.buf.Write(value(i))
			}
		}
		w.pad8()
		posAt := int64(w.buf.Len())
		p := first
		w.u64(uint64(p))
		for i := start; i < end; i++ {
			if !a.IsNull(i) {
				p += int64(len(value(i)))
			}
			w.u64(uint64(p))
		}
		return legacyPage{pos: posAt, length: rows}, nil
	}
	fw, ok := a.DataType().(arrow.FixedWidthDataType)
	if !ok || a.DataType().ID() == arrow.BOOL || fw.BitWidth()%8 != 0 {
		return legacyPage{}, fmt.Errorf("%w: legacy btree files for %s values", lanceerr.ErrUnsupported, a.DataType())
	}
	for i := start; i < end; i++ {
		if a.IsNull(i) {
			// Plain v1 pages have no validity: a null would read as zero.
			return legacyPage{}, fmt.Errorf("%w: legacy btree files cannot store null %s values", lanceerr.ErrUnsupported, a.DataType())
		}
	}
	width := fw.BitWidth() / 8
	w.pad8()
	pos := int64(w.buf.Len())
	data := a.Data()
	raw := data.Buffers()[1].Bytes()
	off := (data.Offset() + start) * width
	w.buf.Write(raw[off : off+int(rows)*width])
	return legacyPage{pos: pos, length: rows}, nil
}

// writeLegacyFile encodes the columns of rec as a legacy v1 file with
// record batches of batchSize rows.
func writeLegacyFile(rec arrow.RecordBatch, batchSize uint64, meta map[string][]byte) ([]byte, error) {
	schema := rec.Schema()
	ls, err := format.SchemaFromArrow(schema, 0)
	if err != nil {
		return nil, err
	}
	fields := ls.PBFields()
	if len(fields) != len(schema.Fields()) {
		return nil, fmt.Errorf("%w: legacy btree files with nested columns", lanceerr.ErrUnsupported)
	}
	for i, f := range fields {
		f = proto.Clone(f).(*pb.Field)
		switch schema.Field(i).Type.ID() {
		case arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY:
			f.Encoding = pb.Encoding_VAR_BINARY
		default:
			f.Encoding = pb.Encoding_PLAIN
		}
		fields[i] = f
	}
	n := uint64(rec.NumRows())
	var w legacyWriter
	offsets := []int32{0}
	var batches [][]legacyPage // per batch, one page per field
	for start := uint64(0); start < n; start += batchSize {
		end := min(start+batchSize, n)
		if end > 1<<31-1 {
			return nil, fmt.Errorf("%w: legacy btree file of %d rows", lanceerr.ErrUnsupported, n)
		}
		var pages []legacyPage
		for c := 0; c < int(rec.NumCols()); c++ {
			p, err := w.writePage(rec.Column(c), int(start), int(end))
			if err != nil {
				return nil, err
			}
			pages = append(pages, p)
		}
		batches = append(batches, pages)
		offsets = append(offsets, int32(end))
	}
	w.pad8()
	pageTable := int64(w.buf.Len())
	for c := range fields {
		for _, pages := range batches {
			w.u64(uint64(pages[c].pos))
			w.u64(uint64(pages[c].length))
		}
	}
	schemaPos, err := w.message(&pb.Manifest{
		Fields:         fields,
		SchemaMetadata: meta,
		WriterVersion:  &pb.Manifest_WriterVersion{Library: writerLibrary, Version: writerLibraryVersion},
		DataFormat:     &pb.Manifest_DataStorageFormat{FileFormat: "lance", Version: "0.1"},
	})
	if err != nil {
		return nil, err
	}
	if len(batches) == 0 {
		offsets = nil // Lance records no offsets for a file without batches
	}
	metaPos, err := w.message(&pb.Metadata{
		ManifestPosition:  uint64(schemaPos),
		BatchOffsets:      offsets,
		PageTablePosition: uint64(pageTable),
	})
	if err != nil {
		return nil, err
	}
	w.u64(uint64(metaPos))
	w.buf.Write([]byte{0, 0, legacyMinor, 0})
	w.buf.WriteString("LANC")
	return w.buf.Bytes(), nil
}

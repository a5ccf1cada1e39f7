package btree

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/protobuf/proto"

	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb"
)

// Legacy (v1) Lance files, as lance 0.19 (LanceDB 0.13) wrote index files:
//
//	footer (16 bytes):  u64 position of the metadata, u16 major (0), u16 minor (<3), "LANC"
//	metadata:           u32 length + lance.file.Metadata (batch offsets, page table position,
//	                    position of the embedded schema)
//	schema:             u32 length + lance.table.Manifest (fields, schema metadata)
//	page table:         for each field id from 0 to the schema's largest, for each
//	                    record batch, an i64 position and an i64 length
//
// Only the plain encodings of the columns a BTREE uses are decoded: fixed
// width values stored back to back (no validity), and variable-width values
// stored as their bytes followed by length+1 absolute i64 positions, where an
// empty value of a nullable field reads as null, as Lance reads it.

// maxLegacyMeta bounds the metadata and schema messages of a legacy file.
const maxLegacyMeta = 64 << 20

type legacyPage struct{ pos, length int64 }

type legacyTable struct {
	r       io.ReaderAt
	size    int64
	path    string
	flds    []arrow.Field
	ids     []int32 // Lance field id of each top-level field
	meta    map[string]string
	offsets []int32 // batch b is rows [offsets[b], offsets[b+1])
	minID   int32
	pages   []legacyPage // (id-minID)*numBatches + batch
}

func (t *legacyTable) corrupt(format string, a ...any) error {
	return fmt.Errorf("%w: %s: %s", lanceerr.ErrCorrupt, t.path, fmt.Sprintf(format, a...))
}

func (t *legacyTable) readAt(off, n int64) ([]byte, error) {
	if off < 0 || n < 0 || n > t.size || off > t.size-n {
		return nil, t.corrupt("range [%d, +%d) outside the file of %d bytes", off, n, t.size)
	}
	b := make([]byte, n)
	if _, err := t.r.ReadAt(b, off); err != nil {
		return nil, fmt.Errorf("%s: read at %d: %w", t.path, off, err)
	}
	return b, nil
}

// readMessage reads a u32-length-prefixed protobuf message at pos.
func (t *legacyTable) readMessage(pos int64, m proto.Message, what string) error {
	lb, err := t.readAt(pos, 4)
	if err != nil {
		return err
	}
	n := int64(binary.LittleEndian.Uint32(lb))
	if n > maxLegacyMeta {
		return t.corrupt("%s of %d bytes", what, n)
	}
	b, err := t.readAt(pos+4, n)
	if err != nil {
		return err
	}
	if err := proto.Unmarshal(b, m); err != nil {
		return t.corrupt("%s: %v", what, err)
	}
	return nil
}

func openLegacy(r io.ReaderAt, size int64, path string) (*legacyTable, error) {
	t := &legacyTable{r: r, size: size, path: path}
	tail, err := t.readAt(size-16, 16)
	if err != nil {
		return nil, err
	}
	if string(tail[12:]) != "LANC" {
		return nil, t.corrupt("no LANC magic")
	}
	var md pb.Metadata
	if err := t.readMessage(int64(binary.LittleEndian.Uint64(tail)), &md, "metadata"); err != nil {
		return nil, err
	}
	var man pb.Manifest
	if err := t.readMessage(int64(md.ManifestPosition), &man, "schema"); err != nil {
		return nil, err
	}
	sch, err := format.NewSchema(path, man.Fields, man.SchemaMetadata)
	if err != nil {
		return nil, err
	}
	t.meta = sch.Metadata
	maxID := int32(-1)
	t.minID = 0
	sch.Walk(func(f *format.Field) { maxID = max(maxID, f.ID); t.minID = min(t.minID, f.ID) })
	for i, af := range sch.Arrow.Fields() {
		t.flds = append(t.flds, af)
		t.ids = append(t.ids, sch.Fields[i].ID)
	}
	t.offsets = md.BatchOffsets
	if len(t.offsets) > 0 && t.offsets[0] != 0 {
		return nil, t.corrupt("batch offsets %v do not start a sequence at 0", t.offsets[:1])
	}
	for i := 1; i < len(t.offsets); i++ {
		if t.offsets[i] < t.offsets[i-1] {
			return nil, t.corrupt("batch offsets decrease at %d", i)
		}
	}
	nb := int64(t.numBatches())
	if nb == 0 || maxID < t.minID {
		return t, nil
	}
	cells := (int64(maxID) - int64(t.minID) + 1) * nb
	if cells > size/16 {
		return nil, t.corrupt("page table of %d entries does not fit in the file", cells)
	}
	raw, err := t.readAt(int64(md.PageTablePosition), cells*16)
	if err != nil {
		return nil, err
	}
	t.pages = make([]legacyPage, cells)
	for i := range t.pages {
		t.pages[i] = legacyPage{
			pos:    int64(binary.LittleEndian.Uint64(raw[16*i:])),
			length: int64(binary.LittleEndian.Uint64(raw[16*i+8:])),
		}
	}
	return t, nil
}

func (t *legacyTable) numBatches() int {
	if len(t.offsets) == 0 {
		return 0
	}
	return len(t.offsets) - 1
}

func (t *legacyTable) fields() []arrow.Field       { return t.flds }
func (t *legacyTable) metadata() map[string]string { return t.meta }

func (t *legacyTable) numRows() uint64 {
	if len(t.offsets) == 0 {
		return 0
	}
	return uint64(t.offsets[len(t.offsets)-1])
}

func (t *legacyTable) batchRange(b uint32) (uint64, uint64, bool, error) {
	if int64(b) >= int64(t.numBatches()) {
		return 0, 0, true, t.corrupt("no record batch %d (the file has %d)", b, t.numBatches())
	}
	return uint64(t.offsets[b]), uint64(t.offsets[b+1]), true, nil
}

// readRange decodes rows [start, end) of field i, batch by batch.
func (t *legacyTable) readRange(ctx context.Context, i int, start, end uint64) (arrow.Array, error) {
	if i < 0 || i >= len(t.flds) {
		return nil, t.corrupt("no field %d", i)
	}
	if start > end || end > t.numRows() {
		return nil, t.corrupt("rows [%d, %d) outside the %d rows", start, end, t.numRows())
	}
	var parts []arrow.Array
	defer func() {
		for _, p := range parts {
			p.Release()
		}
	}()
	for b := 0; b < t.numBatches(); b++ {
		bs, be := uint64(t.offsets[b]), uint64(t.offsets[b+1])
		if be <= start || bs >= end || bs == be {
			continue
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		a, err := t.readBatch(i, b)
		if err != nil {
			return nil, err
		}
		lo, hi := max(start, bs)-bs, min(end, be)-bs
		parts = append(parts, array.NewSlice(a, int64(lo), int64(hi)))
		a.Release()
	}
	if len(parts) == 0 {
		return array.MakeArrayOfNull(memory.DefaultAllocator, t.flds[i].Type, 0), nil
	}
	if len(parts) == 1 {
		a := parts[0]
		a.Retain()
		return a, nil
	}
	return array.Concatenate(parts, memory.DefaultAllocator)
}

// readBatch decodes one page: field i of record batch b.
func (t *legacyTable) readBatch(i, b int) (arrow.Array, error) {
	f := t.flds[i]
	cell := int64(t.ids[i]-t.minID)*int64(t.numBatches()) + int64(b)
	if cell < 0 || cell >= int64(len(t.pages)) {
		return nil, t.corrupt("field %q has no page table entry", f.Name)
	}
	pg := t.pages[cell]
	rows := int64(t.offsets[b+1] - t.offsets[b])
	if pg.length != rows {
		return nil, t.corrupt("field %q batch %d: page holds %d values, batch %d rows", f.Name, b, pg.length, rows)
	}
	switch f.Type.ID() {
	case arrow.STRING, arrow.BINARY, arrow.LARGE_STRING, arrow.LARGE_BINARY:
		return t.readBinary(f, pg, rows)
	}
	fw, ok := f.Type.(arrow.FixedWidthDataType)
	if !ok || f.Type.ID() == arrow.BOOL || fw.BitWidth() == 0 || fw.BitWidth()%8 != 0 {
		return nil, fmt.Errorf("%w: %s: legacy %s column %q", lanceerr.ErrUnsupported, t.path, f.Type, f.Name)
	}
	width := int64(fw.BitWidth() / 8)
	if rows > t.size/width {
		return nil, t.corrupt("field %q: %d values do not fit in the file", f.Name, rows)
	}
	raw, err := t.readAt(pg.pos, rows*width)
	if err != nil {
		return nil, err
	}
	data := array.NewData(f.Type, int(rows), []*memory.Buffer{nil, memory.NewBufferBytes(raw)}, nil, 0, 0)
	defer data.Release()
	return array.MakeFromData(data), nil
}

func (t *legacyTable) readBinary(f arrow.Field, pg legacyPage, rows int64) (arrow.Array, error) {
	if rows+1 > t.size/8 {
		return nil, t.corrupt("field %q: %d positions do not fit in the file", f.Name, rows+1)
	}
	raw, err := t.readAt(pg.pos, (rows+1)*8)
	if err != nil {
		return nil, err
	}
	pos := make([]int64, rows+1)
	for j := range pos {
		pos[j] = int64(binary.LittleEndian.Uint64(raw[8*j:]))
		if j > 0 && pos[j] < pos[j-1] {
			return nil, t.corrupt("field %q: value positions decrease", f.Name)
		}
	}
	total := pos[rows] - pos[0]
	large := f.Type.ID() == arrow.LARGE_STRING || f.Type.ID() == arrow.LARGE_BINARY
	if !large && total > math.MaxInt32 {
		return nil, fmt.Errorf("%w: %s: field %q has %d bytes in one batch", lanceerr.ErrUnsupported, t.path, f.Name, total)
	}
	bytes, err := t.readAt(pos[0], total)
	if err != nil {
		return nil, err
	}
	var offBuf []byte
	if large {
		offBuf = make([]byte, 8*(rows+1))
		for j, p := range pos {
			binary.LittleEndian.PutUint64(offBuf[8*j:], uint64(p-pos[0]))
		}
	} else {
		offBuf = make([]byte, 4*(rows+1))
		for j, p := range pos {
			binary.LittleEndian.PutUint32(offBuf[4*j:], uint32(p-pos[0]))
		}
	}
	var valid *memory.Buffer
	nulls := 0
	if f.Nullable {
		bm := make([]byte, bitutil.BytesForBits(rows))
		for j := int64(0); j < rows; j++ {
			if pos[j+1] > pos[j] {
				bitutil.SetBit(bm, int(j))
			} else {
				nulls++
			}
		}
		if nulls > 0 {
			valid = memory.NewBufferBytes(bm)
		}
	}
	data := array.NewData(f.Type, int(rows), []*memory.Buffer{valid, memory.NewBufferBytes(offBuf), memory.NewBufferBytes(bytes)}, nil, nulls, 0)
	defer data.Release()
	return array.MakeFromData(data), nil
}

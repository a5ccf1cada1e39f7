package btree

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/google/uuid"
	"google.golang.org/protobuf/types/known/anypb"

	"github.com/resona-go/resona/lance/internal/filewriter"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/storage"
)

// Options tune Build and Remap. The zero value writes what Lance writes.
type Options struct {
	// BatchSize is the number of rows per page (DefaultBatchSize when 0).
	// LanceDB 0.13 ignores the recorded value and assumes 4096.
	BatchSize uint64
	// Now gives created_at (time.Now when nil).
	Now func() time.Time
	// Files selects the file format of the segment (FilesAuto when 0).
	Files FileFormat
}

// FileFormat is the file format an index segment is written in.
type FileFormat int

const (
	// FilesAuto writes legacy files for tables of data storage version 2.0
	// or older (tables LanceDB 0.13 may open) and 2.0 files otherwise.
	// Remap keeps the format of the segment it rewrites.
	FilesAuto FileFormat = iota
	// FilesV2 writes Lance 2.0 files. LanceDB 0.39 reads them; LanceDB 0.13
	// fails on them ("v2 format has no concept of row groups").
	FilesV2
	// FilesLegacy writes legacy v1 files as LanceDB 0.13 does; LanceDB 0.13
	// and 0.39 read them. Numeric columns with nulls cannot be stored
	// (lanceerr.ErrUnsupported), and an empty string reads back as null.
	FilesLegacy
)

// resolve picks the format for a table of the given data storage version.
func (f FileFormat) resolve(dataStorageVersion string) FileFormat {
	if f != FilesAuto {
		return f
	}
	switch dataStorageVersion {
	case "", "0.1", "0.2", "0.3", "2.0":
		return FilesLegacy
	}
	return FilesV2
}

func (o Options) batchSize() uint64 {
	if o.BatchSize == 0 {
		return DefaultBatchSize
	}
	return o.BatchSize
}

func (o Options) now() time.Time {
	if o.Now == nil {
		return time.Now()
	}
	return o.Now()
}

// entries are unsorted (value, row address) pairs gathered in chunks.
type entries struct {
	dt     arrow.DataType
	kind   kind
	chunks []arrow.Array
	cols   []column
	refs   []rowRef
}

func newEntries(dt arrow.DataType) (*entries, error) {
	k, err := kindOf(dt)
	if err != nil {
		return nil, err
	}
	return &entries{dt: dt, kind: k}, nil
}

// add appends rows of values whose keep reports true; addr gives the row
// address of row i. values is retained.
func (e *entries) add(values arrow.Array, addr func(i int) uint64, keep func(i int) bool) error {
	if !arrow.TypeEqual(values.DataType(), e.dt) {
		return fmt.Errorf("%w: btree values of type %s, want %s", lanceerr.ErrInvalidArgument, values.DataType(), e.dt)
	}
	c, err := newColumn(values)
	if err != nil {
		return err
	}
	if len(e.chunks) >= 1<<31-1 || values.Len() >= 1<<31-1 {
		return fmt.Errorf("%w: too many chunks or rows for one btree segment", lanceerr.ErrUnsupported)
	}
	ci := int32(len(e.chunks))
	values.Retain()
	e.chunks = append(e.chunks, values)
	e.cols = append(e.cols, c)
	for i := 0; i < values.Len(); i++ {
		if keep == nil || keep(i) {
			e.refs = append(e.refs, rowRef{chunk: ci, row: int32(i), addr: addr(i)})
		}
	}
	return nil
}

func (e *entries) release() {
	for _, c := range e.chunks {
		c.Release()
	}
	e.chunks = nil
}

// sort orders the entries as Lance does: nulls first, then ascending
// values; equal values by row address so that output is deterministic.
func (e *entries) sort() {
	slices.SortFunc(e.refs, func(a, b rowRef) int {
		ca, cb := e.cols[a.chunk], e.cols[b.chunk]
		na, nb := ca.isNull(int(a.row)), cb.isNull(int(b.row))
		switch {
		case na && !nb:
			return -1
		case nb && !na:
			return 1
		case !na:
			if c := compareKeys(e.kind, ca.at(int(a.row)), cb.at(int(b.row))); c != 0 {
				return c
			}
		}
		switch {
		case a.addr < b.addr:
			return -1
		case a.addr > b.addr:
			return 1
		}
		return 0
	})
}

// writeSegment sorts the entries and writes page_data.lance and
// page_lookup.lance (format 2.0) under dir, returning the files and sizes.
func writeSegment(ctx context.Context, store storage.Store, dir string, e *entries, files FileFormat, opts Options) ([]*pb.IndexFile, error) {
	e.sort()
	mem := memory.DefaultAllocator
	bs := opts.batchSize()

	values, err := gather(mem, e.dt, e.chunks, e.refs)
	if err != nil {
		return nil, err
	}
	defer values.Release()
	idb := array.NewUint64Builder(mem)
	idb.Reserve(len(e.refs))
	for _, r := range e.refs {
		idb.Append(r.addr)
	}
	ids := idb.NewArray()
	idb.Release()
	defer ids.Release()

	// Legacy files name the id column "row_ids", as lance 0.19 does; its
	// index update refuses a segment whose columns differ from its own.
	idName := "ids"
	if files == FilesLegacy {
		idName = "row_ids"
	}
	dataSchema := arrow.NewSchema([]arrow.Field{
		{Name: "values", Type: e.dt, Nullable: true},
		{Name: idName, Type: arrow.PrimitiveTypes.Uint64},
	}, nil)
	dataRec := array.NewRecordBatch(dataSchema, []arrow.Array{values, ids}, int64(len(e.refs)))
	defer dataRec.Release()
	dataBytes, err := writeFile(ctx, files, bs, dataSchema, dataRec, nil)
	if err != nil {
		return nil, err
	}

	// One lookup row per page: its first and last value and null count.
	n := uint64(len(e.refs))
	var firsts, lasts []rowRef
	nulls := array.NewUint32Builder(mem)
	pages := array.NewUint32Builder(mem)
	defer nulls.Release()
	defer pages.Release()
	for p, start := uint64(0), uint64(0); start < n; p, start = p+1, start+bs {
		if p > 1<<32-1 {
			return nil, fmt.Errorf("%w: more than 2^32 btree pages", lanceerr.ErrUnsupported)
		}
		end := min(start+bs, n)
		firsts = append(firsts, e.refs[start])
		lasts = append(lasts, e.refs[end-1])
		var nc uint32
		for i := start; i < end && values.NullN() > 0; i++ {
			if values.IsNull(int(i)) {
				nc++
			}
		}
		nulls.Append(nc)
		pages.Append(uint32(p))
	}
	mins, err := gather(mem, e.dt, e.chunks, firsts)
	if err != nil {
		return nil, err
	}
	defer mins.Release()
	maxs, err := gather(mem, e.dt, e.chunks, lasts)
	if err != nil {
		return nil, err
	}
	defer maxs.Release()
	nullArr, pageArr := nulls.NewArray(), pages.NewArray()
	defer nullArr.Release()
	defer pageArr.Release()
	lookupSchema := arrow.NewSchema([]arrow.Field{
		{Name: "min", Type: e.dt, Nullable: true},
		{Name: "max", Type: e.dt, Nullable: true},
		{Name: "null_count", Type: arrow.PrimitiveTypes.Uint32},
		{Name: "page_idx", Type: arrow.PrimitiveTypes.Uint32},
	}, nil)
	lookupRec := array.NewRecordBatch(lookupSchema, []arrow.Array{mins, maxs, nullArr, pageArr}, int64(mins.Len()))
	defer lookupRec.Release()
	// Lance reads the lookup table as one record batch.
	lookupBytes, err := writeFile(ctx, files, max(uint64(mins.Len()), 1), lookupSchema, lookupRec, map[string][]byte{
		batchSizeKey:        []byte(strconv.FormatUint(bs, 10)),
		rangePartitionedKey: []byte("false"),
	})
	if err != nil {
		return nil, err
	}

	written := []*pb.IndexFile{
		{Path: PagesFileName, SizeBytes: uint64(len(dataBytes))},
		{Path: LookupFileName, SizeBytes: uint64(len(lookupBytes))},
	}
	// The lookup file goes last: a directory holding it holds a whole index.
	if err := store.Put(ctx, dir+"/"+PagesFileName, dataBytes); err != nil {
		return nil, err
	}
	if err := store.Put(ctx, dir+"/"+LookupFileName, lookupBytes); err != nil {
		return nil, err
	}
	return written, nil
}

// writeFile encodes one record batch as a Lance file of the given format;
// legacy files get record batches of batchSize rows (the BTREE pages).
func writeFile(ctx context.Context, files FileFormat, batchSize uint64, schema *arrow.Schema, rec arrow.RecordBatch, meta map[string][]byte) ([]byte, error) {
	if files == FilesLegacy {
		return writeLegacyFile(rec, batchSize, meta)
	}
	ls, err := format.SchemaFromArrow(schema, 0)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w, err := filewriter.New(&buf, schema, ls.PBFields(), filewriter.Options{SchemaMetadata: meta})
	if err != nil {
		return nil, err
	}
	if rec.NumRows() > 0 {
		if err := w.Write(ctx, rec); err != nil {
			return nil, err
		}
	}
	if _, err := w.Finish(ctx); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// newMetadata returns the manifest entry of a segment written under id.
func newMetadata(id uuid.UUID, name string, fieldID int32, datasetVersion uint64, frags *roaring.Bitmap, files []*pb.IndexFile, now time.Time) (*pb.IndexMetadata, error) {
	bm, err := frags.ToBytes()
	if err != nil {
		return nil, err
	}
	version := int32(IndexVersion)
	created := uint64(now.UnixMilli())
	return &pb.IndexMetadata{
		Uuid:           &pb.UUID{Uuid: id[:]},
		Fields:         []int32{fieldID},
		Name:           name,
		DatasetVersion: datasetVersion,
		FragmentBitmap: bm,
		IndexDetails:   &anypb.Any{TypeUrl: DetailsTypeURL},
		IndexVersion:   &version,
		CreatedAt:      &created,
		Files:          files,
	}, nil
}

// SegmentDir is the dataset-relative directory of the segment id.
func SegmentDir(id uuid.UUID) string { return format.IndicesDir + "/" + id.String() }

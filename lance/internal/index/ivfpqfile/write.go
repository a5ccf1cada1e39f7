package ivfpqfile

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"google.golang.org/protobuf/proto"

	"github.com/resona-go/resona/lance/internal/filewriter"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/index/vector"
	"github.com/resona-go/resona/lance/internal/lanceerr"
	"github.com/resona-go/resona/lance/internal/pb"
	"github.com/resona-go/resona/lance/internal/pb/indexpb"
	"github.com/resona-go/resona/lance/internal/storage"
)

// Options tune Encode and Write.
type Options struct {
	// Version is the Lance file format of both files (2.0 when zero).
	// LanceDB 0.39 writes 2.2 and reads any 2.x.
	Version filewriter.Version
}

// Write encodes ix and stores index.idx and auxiliary.idx under dir,
// auxiliary.idx first so that a directory holding index.idx holds a whole
// segment. It returns the files for the manifest entry.
func Write(ctx context.Context, store storage.Store, dir string, ix *vector.Index, opts Options) ([]*pb.IndexFile, error) {
	idx, aux, err := Encode(ctx, ix, opts)
	if err != nil {
		return nil, err
	}
	if err := store.Put(ctx, dir+"/"+AuxiliaryFileName, aux); err != nil {
		return nil, err
	}
	if err := store.Put(ctx, dir+"/"+IndexFileName, idx); err != nil {
		return nil, err
	}
	return []*pb.IndexFile{
		{Path: AuxiliaryFileName, SizeBytes: uint64(len(aux))},
		{Path: IndexFileName, SizeBytes: uint64(len(idx))},
	}, nil
}

// Encode returns the bytes of index.idx and auxiliary.idx for ix.
func Encode(ctx context.Context, ix *vector.Index, opts Options) (idx, aux []byte, err error) {
	if err := ix.Validate(); err != nil {
		return nil, nil, err
	}
	if ix.Codebook.NBits != 8 {
		return nil, nil, fmt.Errorf("%w: writing %d-bit PQ codes", lanceerr.ErrUnsupported, ix.Codebook.NBits)
	}
	idx, err = encodeIndexFile(ctx, ix, opts, nil)
	if err != nil {
		return nil, nil, err
	}
	aux, err = encodeAuxFile(ctx, ix, opts, nil)
	if err != nil {
		return nil, nil, err
	}
	return idx, aux, nil
}

// extra entries override the metadata (tests use it to damage files).
func encodeIndexFile(ctx context.Context, ix *vector.Index, opts Options, extra map[string][]byte) ([]byte, error) {
	schema := arrow.NewSchema([]arrow.Field{{Name: flatMarkerColumn, Type: arrow.PrimitiveTypes.Uint64}}, nil)
	parts := len(ix.Partitions)
	msg := &indexpb.IVF{
		Offsets:         make([]uint64, parts),
		Lengths:         make([]uint32, parts),
		CentroidsTensor: newTensor([]int{parts, ix.Dim}, ix.Centroids),
		Loss:            proto.Float64(ix.Loss),
	}
	head, err := json.Marshal(indexHeader{Type: indexTypeIVFPQ, DistanceType: ix.Metric.String()})
	if err != nil {
		return nil, err
	}
	flat, err := json.Marshal(make([]string, parts))
	if err != nil {
		return nil, err
	}
	return encodeFile(ctx, schema, nil, opts, []proto.Message{msg}, map[string][]byte{
		keyIndex: head,
		keyIVF:   []byte("1"),
		keyFlat:  flat,
	}, extra)
}

func encodeAuxFile(ctx context.Context, ix *vector.Index, opts Options, extra map[string][]byte) ([]byte, error) {
	cb := ix.Codebook
	n := ix.Len()
	if n > 1<<40 {
		return nil, fmt.Errorf("%w: %d rows in one segment", lanceerr.ErrUnsupported, n)
	}
	layout := &indexpb.IVF{Offsets: make([]uint64, len(ix.Partitions)), Lengths: make([]uint32, len(ix.Partitions))}
	ids := make([]uint64, 0, n)
	codes := make([]byte, 0, n*cb.M)
	for p, part := range ix.Partitions {
		if len(part.RowIDs) > 1<<32-1 {
			return nil, fmt.Errorf("%w: partition of %d rows", lanceerr.ErrUnsupported, len(part.RowIDs))
		}
		layout.Offsets[p] = uint64(len(ids))
		layout.Lengths[p] = uint32(len(part.RowIDs))
		ids = append(ids, part.RowIDs...)
		codes = append(codes, part.Codes...)
	}
	codeType := arrow.FixedSizeListOf(int32(cb.M), arrow.PrimitiveTypes.Uint8)
	codeType.SetElemNullable(false)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: rowIDColumn, Type: arrow.PrimitiveTypes.Uint64},
		{Name: codeColumn, Type: codeType},
	}, nil)
	idArr := array.NewUint64Data(array.NewData(arrow.PrimitiveTypes.Uint64, n,
		[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Uint64Traits.CastToBytes(ids))}, nil, 0, 0))
	defer idArr.Release()
	items := array.NewData(arrow.PrimitiveTypes.Uint8, len(codes), []*memory.Buffer{nil, memory.NewBufferBytes(codes)}, nil, 0, 0)
	defer items.Release()
	codeData := array.NewData(codeType, n, []*memory.Buffer{nil}, []arrow.ArrayData{items}, 0, 0)
	codeArr := array.NewFixedSizeListData(codeData)
	codeData.Release()
	defer codeArr.Release()
	rec := array.NewRecordBatch(schema, []arrow.Array{idArr, codeArr}, int64(n))
	defer rec.Release()

	codebook := newTensor([]int{cb.NumCentroids(), ix.Dim}, cb.Centroids)
	pm := pqMeta{CodebookPosition: 2, NBits: cb.NBits, NumSubVectors: cb.M,
		Dimension: ix.Dim, CodebookTensor: json.RawMessage("[]"), Transposed: true}
	if opts.Version == filewriter.Version2_0 {
		// Tables in format 2.0 may be opened by LanceDB 0.13, whose reader
		// wants the codebook inline and nbits under its old name.
		b, err := proto.Marshal(codebook)
		if err != nil {
			return nil, err
		}
		pm.NumBits, pm.CodebookTensor = cb.NBits, byteList(b)
	}
	meta, err := json.Marshal(pm)
	if err != nil {
		return nil, err
	}
	storageMeta, err := json.Marshal([]string{string(meta)})
	if err != nil {
		return nil, err
	}
	return encodeFile(ctx, schema, rec, opts, []proto.Message{layout, codebook}, map[string][]byte{
		keyDistanceType: []byte(ix.Metric.String()),
		keyIVF:          []byte("1"),
		keyStorageMeta:  storageMeta,
	}, extra)
}

// encodeFile writes one Lance file holding rec (nil for none), the given
// messages as global buffers 1, 2, … and the schema metadata.
func encodeFile(ctx context.Context, schema *arrow.Schema, rec arrow.RecordBatch, opts Options, buffers []proto.Message, meta, extra map[string][]byte) ([]byte, error) {
	for k, v := range extra {
		meta[k] = v
	}
	ls, err := format.SchemaFromArrow(schema, 0)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w, err := filewriter.New(&buf, schema, ls.PBFields(), filewriter.Options{Version: opts.Version, SchemaMetadata: meta})
	if err != nil {
		return nil, err
	}
	if rec != nil && rec.NumRows() > 0 {
		if err := w.Write(ctx, rec); err != nil {
			return nil, err
		}
	}
	for i, m := range buffers {
		b, err := proto.Marshal(m)
		if err != nil {
			return nil, err
		}
		pos, err := w.AddGlobalBuffer(ctx, b)
		if err != nil {
			return nil, err
		}
		if pos != uint32(i+1) {
			return nil, fmt.Errorf("ivfpqfile: global buffer %d landed at %s", i+1, strconv.Itoa(int(pos)))
		}
	}
	if _, err := w.Finish(ctx); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// byteList renders b as a JSON array of numbers, as serde writes a Vec<u8>.
func byteList(b []byte) json.RawMessage {
	out := make([]byte, 0, 4*len(b)+2)
	out = append(out, '[')
	for i, v := range b {
		if i > 0 {
			out = append(out, ',')
		}
		out = strconv.AppendUint(out, uint64(v), 10)
	}
	return append(out, ']')
}

package ivfpqfile

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"google.golang.org/protobuf/proto"

	"github.com/resona-go/resona/lance/internal/encoding/page"
	"github.com/resona-go/resona/lance/internal/file"
	"github.com/resona-go/resona/lance/internal/index/pq"
	"github.com/resona-go/resona/lance/internal/index/vector"
	"github.com/resona-go/resona/lance/internal/linalg"
	"github.com/resona-go/resona/lance/internal/pb/indexpb"
	"github.com/resona-go/resona/lance/internal/storage"
)

// Read opens the two files of the segment in dir (dataset-relative) and
// decodes them.
func Read(ctx context.Context, store storage.Store, dir string) (*vector.Index, error) {
	idx, aux, closeFiles, err := openFiles(ctx, store, dir)
	if err != nil {
		return nil, err
	}
	defer closeFiles()
	return Decode(ctx, idx, aux)
}

// openFiles opens and parses index.idx and auxiliary.idx of the segment in
// dir; closeFiles closes both.
func openFiles(ctx context.Context, store storage.Store, dir string) (idx, aux *file.Reader, closeFiles func(), err error) {
	var files []storage.File
	closeFiles = func() {
		for _, f := range files {
			f.Close()
		}
	}
	readers := make([]*file.Reader, 2)
	for i, name := range []string{IndexFileName, AuxiliaryFileName} {
		p := dir + "/" + name
		f, err := store.Open(ctx, p)
		if err != nil {
			closeFiles()
			return nil, nil, nil, err
		}
		files = append(files, f)
		if readers[i], err = file.Open(ctx, f, f.Size(), p); err != nil {
			closeFiles()
			return nil, nil, nil, err
		}
	}
	return readers[0], readers[1], closeFiles, nil
}

// Decode reads an index from its index.idx and auxiliary.idx readers. The
// result has passed vector.Index.Validate.
func Decode(ctx context.Context, idx, aux *file.Reader) (*vector.Index, error) {
	h, err := decodeHeader(ctx, idx, aux)
	if err != nil {
		return nil, err
	}
	rowIDs, codes, err := readRows(ctx, aux, h.cb.M, 0, aux.NumRows())
	if err != nil {
		return nil, err
	}
	ix := &vector.Index{Metric: h.metric, Dim: h.dim, Centroids: h.centroids, Codebook: h.cb,
		Partitions: make([]vector.Partition, len(h.offs)), Loss: h.loss}
	m := uint64(h.cb.M)
	for p, off := range h.offs {
		end := off + uint64(h.lens[p])
		ix.Partitions[p] = vector.Partition{RowIDs: rowIDs[off:end:end], Codes: codes[off*m : end*m : end*m]}
	}
	if err := ix.Validate(); err != nil {
		return nil, corrupt(aux.Path(), "%v", err)
	}
	return ix, nil
}

// OpenLazy reads the header of the segment in dir (metric, centroids,
// codebook, partition layout) and returns an index that reads each
// partition's rows from auxiliary.idx the first time a search probes it
// (vector.NewLazy), reopening the file for each read so that no file stays
// open. A process answering one query reads a few partitions instead of
// the whole segment. Segments in 2.1+ files are decoded whole at once
// (Decode), which is cheaper there.
func OpenLazy(ctx context.Context, store storage.Store, dir string) (*vector.Index, error) {
	idx, aux, closeFiles, err := openFiles(ctx, store, dir)
	if err != nil {
		return nil, err
	}
	defer closeFiles()
	if aux.FileVersion().AtLeast(2, 1) {
		// Rows of 2.1+ files sit in mini-blocks that a range read decodes
		// a page at a time: one pass over the file beats one per partition.
		return Decode(ctx, idx, aux)
	}
	h, err := decodeHeader(ctx, idx, aux)
	if err != nil {
		return nil, err
	}
	lens := make([]int, len(h.lens))
	for p, l := range h.lens {
		lens[p] = int(l)
	}
	auxPath := aux.Path()
	load := func(ctx context.Context, p int) (vector.Partition, error) {
		f, err := store.Open(ctx, auxPath)
		if err != nil {
			return vector.Partition{}, err
		}
		defer f.Close()
		off := h.offs[p]
		ids, codes, err := readRows(ctx, aux.WithReaderAt(f), h.cb.M, off, off+uint64(h.lens[p]))
		if err != nil {
			return vector.Partition{}, err
		}
		return vector.Partition{RowIDs: ids, Codes: codes}, nil
	}
	ix, err := vector.NewLazy(h.metric, h.dim, h.centroids, h.cb, lens, h.loss, load)
	if err != nil {
		return nil, corrupt(auxPath, "%v", err)
	}
	return ix, nil
}

// header is what an index segment holds besides its rows.
type header struct {
	metric    linalg.Metric
	dim       int
	centroids []float32
	cb        *pq.Codebook
	// offs and lens locate each partition's rows in auxiliary.idx; they
	// lie within its rows.
	offs []uint64
	lens []uint32
	loss float64
}

func decodeHeader(ctx context.Context, idx, aux *file.Reader) (*header, error) {
	ip := idx.Path()
	md := idx.Schema().GetMetadata()
	metric, err := parseIndexHeader(ip, md[keyIndex])
	if err != nil {
		return nil, err
	}
	var centroidsIVF indexpb.IVF
	if err := globalMessage(ctx, idx, keyIVF, md[keyIVF], &centroidsIVF); err != nil {
		return nil, err
	}
	if centroidsIVF.GetCentroidsTensor() == nil {
		return nil, corrupt(ip, "IVF message without a centroids tensor")
	}
	shape, centroids, err := tensorValues(ip, "centroids", centroidsIVF.GetCentroidsTensor(), 2)
	if err != nil {
		return nil, err
	}
	parts, dim := shape[0], shape[1]
	if parts > maxPartitions || dim > maxDim {
		return nil, corrupt(ip, "centroids of shape %v", shape)
	}

	ap := aux.Path()
	amd := aux.Schema().GetMetadata()
	if dt := string(amd[keyDistanceType]); dt != "" && dt != metric.String() {
		return nil, corrupt(ap, "distance_type %q, index.idx says %q", dt, metric)
	}
	pm, err := parseStorageMeta(ap, amd[keyStorageMeta])
	if err != nil {
		return nil, err
	}
	if pm.Dimension != dim {
		return nil, corrupt(ap, "PQ dimension %d, centroids dimension %d", pm.Dimension, dim)
	}
	var layout indexpb.IVF
	if err := globalMessage(ctx, aux, keyIVF, amd[keyIVF], &layout); err != nil {
		return nil, err
	}
	raw, err := codebookBytes(ctx, aux, pm)
	if err != nil {
		return nil, err
	}
	_, cbVals, err := float32Tensor(ap, "codebook", raw, 2)
	if err != nil {
		return nil, err
	}
	if len(cbVals) != 256*dim {
		return nil, corrupt(ap, "codebook of %d floats, want 256 × %d", len(cbVals), dim)
	}
	cb := &pq.Codebook{Dim: dim, M: pm.NumSubVectors, NBits: pm.NBits, Centroids: cbVals}
	offs, lens := layout.GetOffsets(), layout.GetLengths()
	if len(offs) != parts || len(lens) != parts {
		return nil, corrupt(ap, "%d offsets and %d lengths for %d partitions", len(offs), len(lens), parts)
	}
	n := aux.NumRows()
	for p := range parts {
		off, ln := offs[p], uint64(lens[p])
		if off > n || ln > n-off {
			return nil, corrupt(ap, "partition %d: rows [%d, %d+%d) outside the file's %d rows", p, off, off, ln, n)
		}
	}
	return &header{metric: metric, dim: dim, centroids: centroids, cb: cb, offs: offs, lens: lens, loss: centroidsIVF.GetLoss()}, nil
}

// codebookBytes returns the codebook Tensor message: from the global buffer
// at codebook_position, or, where that position is 0 as lance 0.19 writes
// when it rebuilds an index in optimize(), from the inline list.
func codebookBytes(ctx context.Context, aux *file.Reader, pm pqMeta) ([]byte, error) {
	if pm.CodebookPosition == 0 {
		return inlineTensor(aux.Path(), pm.CodebookTensor)
	}
	pos, err := parseBufferIndex(aux.Path(), "codebook_position", []byte(fmt.Sprint(pm.CodebookPosition)), aux.NumGlobalBuffers()-1)
	if err != nil {
		return nil, err
	}
	return aux.GlobalBuffer(ctx, pos)
}

// globalMessage decodes the protobuf message in the global buffer that the
// metadata value raw names.
func globalMessage(ctx context.Context, r *file.Reader, key string, raw []byte, msg proto.Message) error {
	i, err := parseBufferIndex(r.Path(), key, raw, r.NumGlobalBuffers()-1)
	if err != nil {
		return err
	}
	b, err := r.GlobalBuffer(ctx, i)
	if err != nil {
		return err
	}
	if err := proto.Unmarshal(b, msg); err != nil {
		return corrupt(r.Path(), "%s message: %v", key, err)
	}
	return nil
}

// readRows reads the row ids and the code bytes (m per row) of rows
// [from, to).
func readRows(ctx context.Context, aux *file.Reader, m int, from, to uint64) ([]uint64, []byte, error) {
	p := aux.Path()
	fields := aux.Schema().GetFields()
	if len(fields) < 2 || fields[0].GetName() != rowIDColumn || fields[1].GetName() != codeColumn {
		return nil, nil, corrupt(p, "columns are not %s, %s", rowIDColumn, codeColumn)
	}
	if n := aux.NumRows(); n > 1<<40 || from > to || to > n {
		return nil, nil, corrupt(p, "rows [%d, %d) of %d", from, to, n)
	}
	n := to - from
	if n == 0 {
		return nil, nil, nil
	}
	ids, err := aux.ReadRange(ctx, arrow.Field{Name: rowIDColumn, Type: arrow.PrimitiveTypes.Uint64}, 0, from, to)
	if err != nil {
		return nil, nil, err
	}
	defer ids.Release()
	u, ok := ids.(*array.Uint64)
	if !ok || uint64(u.Len()) != n || u.NullN() > 0 {
		return nil, nil, corrupt(p, "%s column: %d values of type %s", rowIDColumn, ids.Len(), ids.DataType())
	}
	rowIDs := append([]uint64(nil), u.Uint64Values()...)
	codeCol := 1 // a fixed-size list of a primitive is one column
	if cb, ok, err := plainCodes(ctx, aux, codeCol, m, from, to); err != nil || ok {
		return rowIDs, cb, err
	}
	codes, err := aux.ReadRange(ctx, arrow.Field{Name: codeColumn,
		Type: arrow.FixedSizeListOf(int32(m), arrow.PrimitiveTypes.Uint8)}, codeCol, from, to)
	if err != nil {
		return nil, nil, err
	}
	defer codes.Release()
	fsl, ok := codes.(*array.FixedSizeList)
	if !ok || uint64(fsl.Len()) != n {
		return nil, nil, corrupt(p, "%s column: %d values of type %s", codeColumn, codes.Len(), codes.DataType())
	}
	items, ok := fsl.ListValues().(*array.Uint8)
	if !ok {
		return nil, nil, corrupt(p, "%s items of type %s", codeColumn, fsl.ListValues().DataType())
	}
	off := fsl.Data().Offset()
	all := items.Uint8Values()
	if uint64(len(all)) < (uint64(off)+n)*uint64(m) {
		return nil, nil, corrupt(p, "%s holds %d bytes for %d rows of %d", codeColumn, len(all), n, m)
	}
	cb := append([]byte(nil), all[uint64(off)*uint64(m):(uint64(off)+n)*uint64(m)]...)
	return rowIDs, cb, nil
}

// plainCodes reads the PQ codes of rows [from, to) straight into one
// buffer when the pages holding them store them plainly (file.Reader.
// PlainFixedSizeList), as format 2.0 index files do; ok is false
// otherwise.
func plainCodes(ctx context.Context, aux *file.Reader, col, m int, from, to uint64) ([]byte, bool, error) {
	type piece struct {
		rng  page.Range
		a, b uint64 // rows, relative to from
	}
	var pieces []piece
	at := from
	for _, pg := range aux.Column(col).Pages {
		end := pg.FirstRow + pg.NumRows
		if pg.NumRows == 0 || end <= at {
			continue
		}
		if pg.FirstRow > at || at >= to {
			break
		}
		stop := min(end, to)
		rng, ok, err := aux.PlainFixedSizeList(col, m, 8, at, stop)
		if err != nil || !ok {
			return nil, false, err
		}
		pieces = append(pieces, piece{rng, at - from, stop - from})
		at = stop
	}
	if at != to {
		return nil, false, nil
	}
	out := make([]byte, (to-from)*uint64(m))
	for _, pc := range pieces {
		if err := aux.ReadInto(ctx, pc.rng, out[pc.a*uint64(m):pc.b*uint64(m)]); err != nil {
			return nil, false, err
		}
	}
	return out, true, nil
}

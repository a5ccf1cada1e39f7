package lance

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"golang.org/x/sync/errgroup"

	"github.com/resona-go/resona/lance/expr"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/knn"
	"github.com/resona-go/resona/lance/internal/linalg"
)

// Metric is a vector distance type, named as LanceDB names it.
type Metric string

// The distance types, with the values LanceDB reports in "_distance".
const (
	// MetricL2 is the squared euclidean distance Σ(qᵢ−vᵢ)² (no square root).
	MetricL2 Metric = "l2"
	// MetricCosine is 1 − q·v/(‖q‖‖v‖), in [0, 2].
	MetricCosine Metric = "cosine"
	// MetricDot is 1 − q·v.
	MetricDot Metric = "dot"
)

// DefaultK is the number of results a search returns when SearchOptions.K
// is 0; it is also LanceDB's default limit.
const DefaultK = 10

// searchBlockBytes bounds the vectors decoded at a time by a search: pages
// larger than this are read in several blocks.
const searchBlockBytes = 4 << 20

// parallelScoreFloats is the block size (in float32 values) from which a
// search scores a block on several goroutines; smaller blocks, such as the
// single page of a small fragment, cost more to hand off than to score.
const parallelScoreFloats = 256 << 10

// SearchOptions configures Dataset.Search.
type SearchOptions struct {
	// Column is the vector column, a fixed_size_list<float32>. Empty means
	// the table's only such column.
	Column string
	// Query is the query vector; its length must be the column's dimension.
	Query []float32
	// K is the number of nearest rows to return (DefaultK when 0).
	K int
	// Metric is the distance type (MetricL2 when empty).
	Metric Metric
	// Columns is the projection of the result (nil: every column).
	Columns []string
	// Filter, when set, restricts the search to rows where it is true
	// before the nearest ones are chosen (a prefilter), so K results are
	// returned whenever K rows match.
	Filter expr.Expr
	// WithRowAddress appends the "_rowaddr" column after "_distance".
	WithRowAddress bool

	// NProbes is the number of IVF partitions an indexed search scans per
	// index segment (20 when 0).
	NProbes int
	// RefineFactor makes an indexed search keep K·RefineFactor candidates
	// from the index and re-rank them by exact distance (10 when 0). A
	// negative value turns refining off: "_distance" then holds the index's
	// approximate distances for indexed rows, as LanceDB reports them
	// without a refine factor.
	RefineFactor int
	// BypassVectorIndex forces an exact search even when the column has a
	// vector index, as LanceDB's bypassVectorIndex.
	BypassVectorIndex bool
}

// Search returns the K rows nearest to the query.
//
// When the column has an IVF_PQ index and BypassVectorIndex is false, the
// fragments the index covers are searched through it (deleted rows and
// rows failing the filter masked first, candidates re-ranked by exact
// distance unless RefineFactor is negative) and the other fragments
// exactly, so rows added since the index was built are always found. An
// empty Metric then means the index's metric; a different one makes the
// search exact. Unlike LanceDB, whose default is no refining, the default
// refine factor is 10 (recall@10 about 0.97-1.0 on embedding-like data).
//
// Otherwise the search is exact (flat): every live row's vector is
// scored.
//
// Either way the result holds the projected columns, then "_distance"
// (float32), then "_rowaddr" if asked for, ordered by distance, then by
// row address. Rows whose vector is null, or whose distance is NaN (a zero
// vector under cosine), are never returned.
//
// A query of the wrong length yields ErrDimensionMismatch.
func (d *Dataset) Search(ctx context.Context, opts SearchOptions) (arrow.RecordBatch, error) {
	rec, err := d.search(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("lance: search %s: %w", d.path, err)
	}
	return rec, nil
}

func (d *Dataset) search(ctx context.Context, opts SearchOptions) (arrow.RecordBatch, error) {
	vf, err := d.vectorField(opts.Column)
	if err != nil {
		return nil, err
	}
	dim := int(vf.Type.(*arrow.FixedSizeListType).Len())
	if len(opts.Query) != dim {
		return nil, fmt.Errorf("%w: query has %d dimensions, column %q has %d", ErrDimensionMismatch, len(opts.Query), vf.Name, dim)
	}
	if !opts.BypassVectorIndex {
		rec, ok, err := d.searchIndexed(ctx, opts, vf)
		if err != nil || ok {
			return rec, err
		}
	}
	metric := opts.Metric
	if metric == "" {
		metric = MetricL2
	}
	lm, err := linalg.ParseMetric(string(metric))
	if err != nil {
		return nil, err
	}
	k := opts.K
	switch {
	case k == 0:
		k = DefaultK
	case k < 0:
		return nil, fmt.Errorf("%w: negative K %d", ErrInvalidArgument, k)
	}
	out, err := d.plan(opts.Columns, nil)
	if err != nil {
		return nil, err
	}
	// Read the vectors and whatever the filter needs.
	p, err := d.plan([]string{vf.Name}, opts.Filter)
	if err != nil {
		return nil, err
	}
	scorer, err := linalg.NewScorer(lm, opts.Query)
	if err != nil {
		return nil, err
	}
	top := knn.NewTopK(k)
	produce := func(ctx context.Context, emit func(*vectorBlock) bool) error {
		return d.vectorBlocks(ctx, p, dim, emit)
	}
	for b, err := range prefetch(ctx, scanPrefetch, produce, (*vectorBlock).release) {
		if err != nil {
			return nil, err
		}
		kb := knn.Block{Vectors: b.vectors, FirstRow: b.firstRow}
		if b.skip != nil {
			skip := b.skip
			kb.Skip = func(i int) bool { return skip[i] }
		}
		var err error
		if len(b.vectors) < parallelScoreFloats {
			err = knn.Scan(top, scorer, kb)
		} else {
			err = knn.ScanParallel(top, scorer, kb, 0)
		}
		b.release()
		if err != nil {
			return nil, err
		}
	}
	return d.searchResult(ctx, out, top.Results(), opts.WithRowAddress)
}

// vectorField returns the searched column: the named one, or the only
// fixed_size_list<float32> column.
func (d *Dataset) vectorField(name string) (*format.Field, error) {
	s := d.m.Schema
	if name != "" {
		f, ok := s.FieldByName(name)
		if !ok {
			return nil, fmt.Errorf("%w: unknown vector column %q (the table has %s)", ErrInvalidArgument, name, columnList(s))
		}
		if !isFloat32Vector(f.Type) {
			return nil, fmt.Errorf("%w: column %q has type %s, not fixed_size_list<float32>", ErrInvalidArgument, name, f.Type)
		}
		return f, nil
	}
	var found *format.Field
	for _, f := range s.Fields {
		if !isFloat32Vector(f.Type) {
			continue
		}
		if found != nil {
			return nil, fmt.Errorf("%w: the table has several vector columns (%q, %q); name one", ErrInvalidArgument, found.Name, f.Name)
		}
		found = f
	}
	if found == nil {
		return nil, fmt.Errorf("%w: the table has no fixed_size_list<float32> column", ErrInvalidArgument)
	}
	return found, nil
}

func isFloat32Vector(t arrow.DataType) bool {
	fsl, ok := t.(*arrow.FixedSizeListType)
	return ok && fsl.Elem().ID() == arrow.FLOAT32 && fsl.Len() > 0
}

// vectorBlock is a run of consecutive rows' vectors of one fragment.
type vectorBlock struct {
	vectors  []float32
	firstRow uint64 // row address of the first vector
	skip     []bool // deleted, filtered-out or null rows; nil when none
	free     func() // releases the memory behind vectors
}

func (b *vectorBlock) release() { b.free() }

// vectorReaders is how many fragments an exact search reads at once. The
// reading, a copy out of the page cache, is most of a search over many
// small fragments; a second reader keeps both cores busy. Results do not
// depend on the order blocks arrive in (ties are broken by row address).
const vectorReaders = 2

// vectorBlocks decodes the vector column (p.fields[0]) of every fragment,
// block by block, following the column's pages so that no page is decoded
// twice, and emits the vectors with the rows to skip. Fragments are read
// by up to vectorReaders goroutines, so emit must be safe for concurrent
// use.
func (d *Dataset) vectorBlocks(ctx context.Context, p *readPlan, dim int, emit func(*vectorBlock) bool) error {
	maxRows := uint64(max(1, searchBlockBytes/(4*dim)))
	var frags []*format.Fragment
	for i := range d.m.Fragments {
		frag := &d.m.Fragments[i]
		if live, ok := frag.LiveRows(); frag.PhysicalRows == 0 || (ok && live == 0) {
			continue
		}
		frags = append(frags, frag)
	}
	var next atomic.Int64
	var stop atomic.Bool
	g, gctx := errgroup.WithContext(ctx)
	for range min(vectorReaders, len(frags)) {
		g.Go(func() error {
			for !stop.Load() {
				i := int(next.Add(1) - 1)
				if i >= len(frags) {
					return nil
				}
				more, err := d.fragmentVectors(gctx, p, frags[i], dim, maxRows, emit)
				if err != nil {
					return err
				}
				if !more {
					stop.Store(true)
				}
			}
			return nil
		})
	}
	return g.Wait()
}

func (d *Dataset) fragmentVectors(ctx context.Context, p *readPlan, frag *format.Fragment, dim int, maxRows uint64, emit func(*vectorBlock) bool) (bool, error) {
	fr, err := d.openFragment(ctx, frag, p.fields)
	if err != nil {
		return false, err
	}
	defer fr.close()
	if fr.locs[0].file < 0 {
		return true, nil // the fragment predates the vector column: all null
	}
	// Without a filter only the vectors are read, and where they are stored
	// plainly they go straight from the file into a reused buffer: no
	// decoding, and no garbage per block.
	plain := len(p.fields) == 1 && p.filter == nil && littleEndian
	for _, rg := range blockRanges(fr.pageBounds(0), frag.PhysicalRows, maxRows) {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		start, end := rg[0], rg[1]
		n := int(end - start)
		deleted := fr.deletedIn(start, end)
		if deleted != nil && allSet(deleted) {
			continue
		}
		if plain {
			b, ok, err := d.plainVectorBlock(ctx, fr, dim, start, end)
			if err != nil {
				return false, fmt.Errorf("fragment %d: column %q: %w", frag.ID, fr.locs[0].arrow.Name, err)
			}
			if ok {
				b.firstRow, b.skip = frag.ID<<32|start, deleted
				if !emit(b) {
					return false, nil
				}
				continue
			}
		}
		arrs, err := fr.readRange(ctx, start, end)
		if err != nil {
			return false, err
		}
		keep, kept, err := p.keep(arrs, deleted, n)
		if err != nil {
			releaseAll(arrs)
			return false, err
		}
		if kept == 0 {
			releaseAll(arrs)
			continue
		}
		releaseAll(arrs[1:])
		vecs, valid, err := float32Vectors(arrs[0], dim)
		if err != nil {
			arrs[0].Release()
			return false, fmt.Errorf("fragment %d: column %q: %w", frag.ID, fr.locs[0].arrow.Name, err)
		}
		b := &vectorBlock{vectors: vecs, firstRow: frag.ID<<32 | start, free: arrs[0].Release}
		if keep != nil || valid != nil {
			b.skip = make([]bool, n)
			for i := range b.skip {
				b.skip[i] = (keep != nil && !keep[i]) || (valid != nil && !valid[i])
			}
		}
		if !emit(b) {
			return false, nil
		}
	}
	return true, nil
}

// littleEndian: plain vector bytes are little-endian float32s, usable in
// place only on a little-endian machine.
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

// plainVectorBlock reads rows [start, end) of the fragment's vector column
// (fr.locs[0]) into a pooled buffer when the file stores them plainly
// (file.Reader.PlainFixedSizeList); ok is false when it does not.
func (d *Dataset) plainVectorBlock(ctx context.Context, fr *fragReader, dim int, start, end uint64) (*vectorBlock, bool, error) {
	l := &fr.locs[0]
	r := fr.files[l.file].r
	rng, ok, err := r.PlainFixedSizeList(l.column, dim, 32, start, end)
	if err != nil || !ok {
		return nil, false, err
	}
	n := int(end-start) * dim
	buf := d.files.vectorBuffer(n)
	vecs := (*buf)[:n]
	if err := r.ReadInto(ctx, rng, unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(vecs))), 4*n)); err != nil {
		d.files.putVectorBuffer(buf)
		return nil, false, err
	}
	return &vectorBlock{vectors: vecs, free: func() { d.files.putVectorBuffer(buf) }}, true, nil
}

// pageBounds returns the row boundaries of the pages of field i's first
// column, or nil when they do not tile the file.
func (fr *fragReader) pageBounds(i int) []uint64 {
	l := &fr.locs[i]
	df := fr.files[l.file]
	if l.column >= df.r.NumColumns() {
		return nil
	}
	var bounds []uint64
	next := uint64(0)
	for _, pg := range df.r.Column(l.column).Pages {
		if pg.NumRows == 0 {
			continue
		}
		if pg.FirstRow != next {
			return nil
		}
		next += pg.NumRows
		bounds = append(bounds, next)
	}
	if next != df.r.NumRows() {
		return nil
	}
	return bounds
}

// widestPageBounds returns the page ends of the widest fixed-width field
// read (the vectors, in a Resona table) when it is stored in a 2.1+ file,
// else nil. Batches that end where its pages end decode each of its pages
// in one piece; a batch spanning pages has to stitch them together, a copy
// of the largest column. (2.0 files decode into one buffer either way.)
func (fr *fragReader) widestPageBounds() []uint64 {
	best, width := -1, 0
	for i := range fr.locs {
		l := &fr.locs[i]
		if l.file < 0 || !fr.files[l.file].r.FileVersion().AtLeast(2, 1) {
			continue
		}
		if w := fixedWidth(l.arrow.Type); w > width {
			best, width = i, w
		}
	}
	if best < 0 || width < 64 {
		return nil
	}
	return fr.pageBounds(best)
}

// fixedWidth is the byte width of a fixed-size list of fixed-width values
// (0 for other types).
func fixedWidth(t arrow.DataType) int {
	fsl, ok := t.(*arrow.FixedSizeListType)
	if !ok {
		return 0
	}
	fw, ok := fsl.Elem().(arrow.FixedWidthDataType)
	if !ok || fw.BitWidth()%8 != 0 {
		return 0
	}
	return int(fsl.Len()) * fw.BitWidth() / 8
}

// blockRanges splits [0, rows) at the given page ends, then splits any
// piece longer than maxRows.
func blockRanges(pageEnds []uint64, rows, maxRows uint64) [][2]uint64 {
	if len(pageEnds) == 0 || pageEnds[len(pageEnds)-1] != rows {
		pageEnds = []uint64{rows}
	}
	var out [][2]uint64
	start := uint64(0)
	for _, end := range pageEnds {
		for s := start; s < end; s += maxRows {
			out = append(out, [2]uint64{s, min(s+maxRows, end)})
		}
		start = end
	}
	return out
}

// float32Vectors returns the values of a fixed_size_list<float32> array as
// one contiguous slice (without copying when the array allows), with the
// rows' validity (nil when no row is null).
func float32Vectors(a arrow.Array, dim int) ([]float32, []bool, error) {
	fsl, ok := a.(*array.FixedSizeList)
	if !ok {
		return nil, nil, fmt.Errorf("%w: decoded %s, want fixed_size_list<float32>", ErrCorrupt, a.DataType())
	}
	items, ok := fsl.ListValues().(*array.Float32)
	if !ok {
		return nil, nil, fmt.Errorf("%w: decoded items of type %s, want float32", ErrCorrupt, fsl.ListValues().DataType())
	}
	n := fsl.Len()
	off := fsl.Data().Offset()
	all := items.Float32Values()
	if (off+n)*dim > len(all) {
		return nil, nil, fmt.Errorf("%w: %d vectors of %d dimensions need %d values, have %d", ErrCorrupt, n, dim, (off+n)*dim, len(all))
	}
	vecs := all[off*dim : (off+n)*dim]
	var valid []bool
	if fsl.NullN() > 0 {
		valid = make([]bool, n)
		for i := range valid {
			valid[i] = fsl.IsValid(i)
		}
	}
	return vecs, valid, nil
}

// searchResult takes the projected columns of the winners and appends the
// distance (and row address) columns.
func (d *Dataset) searchResult(ctx context.Context, out *readPlan, hits []knn.Neighbor, withAddr bool) (arrow.RecordBatch, error) {
	addrs := make([]uint64, len(hits))
	for i, h := range hits {
		addrs[i] = h.Row
	}
	fields := out.outputFields()
	rec, err := d.take(ctx, out.fields, arrow.NewSchema(fields, nil), addrs)
	if err != nil {
		return nil, err
	}
	defer rec.Release()
	cols := append([]arrow.Array(nil), rec.Columns()...)
	db := array.NewFloat32Builder(memory.DefaultAllocator)
	defer db.Release()
	for _, h := range hits {
		db.Append(h.Distance)
	}
	dist := db.NewArray()
	defer dist.Release()
	cols = append(cols, dist)
	fields = append(fields, arrow.Field{Name: DistanceColumn, Type: arrow.PrimitiveTypes.Float32})
	if withAddr {
		ab := array.NewUint64Builder(memory.DefaultAllocator)
		defer ab.Release()
		ab.AppendValues(addrs, nil)
		aa := ab.NewArray()
		defer aa.Release()
		cols = append(cols, aa)
		fields = append(fields, arrow.Field{Name: RowAddressColumn, Type: arrow.PrimitiveTypes.Uint64})
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, int64(len(hits))), nil
}

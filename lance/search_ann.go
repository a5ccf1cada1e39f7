package lance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"

	"github.com/RoaringBitmap/roaring/v2"
	"github.com/RoaringBitmap/roaring/v2/roaring64"
	"github.com/apache/arrow-go/v18/arrow"

	"github.com/resona-go/resona/lance/expr"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/index/ivfpqfile"
	"github.com/resona-go/resona/lance/internal/index/vector"
	"github.com/resona-go/resona/lance/internal/knn"
	"github.com/resona-go/resona/lance/internal/linalg"
)

// vectorIndexCache holds what searches of one Dataset (one version) have
// loaded that depends on the version: deletion vectors by fragment id. The
// index segments themselves are shared by the session (fileCache.segment).
type vectorIndexCache struct {
	mu      sync.Mutex
	deleted map[uint64]*roaring.Bitmap // deletion vectors by fragment id, read-only once stored
}

// cachedSegment is a vector index segment, loaded on first use.
type cachedSegment struct {
	mu sync.Mutex
	ix *vector.Index
}

// loadSegment returns the segment, opened on first use in this session:
// its header at once, each partition's rows when a search first probes it
// (ivfpqfile.OpenLazy), or the index this session built. Concurrent callers
// wait for one open; a failed open is retried by the next caller. Only
// searches and the header (centroids, codebook, partition count) may be
// used from it.
func (d *Dataset) loadSegment(ctx context.Context, seg *format.Index) (*vector.Index, error) {
	e := d.files.segment(seg.UUID)
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.ix != nil {
		return e.ix, nil
	}
	ix, err := ivfpqfile.OpenLazy(ctx, d.store, seg.Dir())
	if err != nil {
		return nil, fmt.Errorf("index %q segment %s: %w", seg.Name, seg.UUID, err)
	}
	e.ix = ix
	return ix, nil
}

// vectorGroup is one logical vector index on a column: its segments
// (deltas share a name) and the current fragments they cover.
type vectorGroup struct {
	name    string
	segs    []*format.Index
	indexes []*vector.Index
	covered map[uint64]bool
}

// vectorSegments returns the segments of the first vector index on field
// fieldID (in manifest order), or nil when there is none.
func (d *Dataset) vectorSegments(ctx context.Context, fieldID int32) ([]*format.Index, error) {
	var name string
	var out []*format.Index
	for i := range d.m.Indexes {
		seg := &d.m.Indexes[i]
		if len(seg.Fields) != 1 || seg.Fields[0] != fieldID || (name != "" && seg.Name != name) {
			continue
		}
		typ := seg.Type
		if typ == "" {
			t, err := format.InferIndexType(ctx, d.store, d.m, seg)
			if err != nil {
				return nil, err
			}
			typ = t
		}
		if typ != "vector" {
			continue
		}
		name = seg.Name
		out = append(out, seg)
	}
	return out, nil
}

// loadVectorGroup loads the vector index of field vf. It returns nil, with
// a debug log line, when the column has none or its files are of a kind
// this package cannot read (LanceDB 0.13's legacy single-file layout, other
// vector index types): the search is then exact.
func (d *Dataset) loadVectorGroup(ctx context.Context, vf *format.Field) (*vectorGroup, error) {
	segs, err := d.vectorSegments(ctx, vf.ID)
	if err != nil || len(segs) == 0 {
		return nil, err
	}
	// Index row ids are row addresses only without stable row ids and
	// without deferred remapping (a __lance_frag_reuse index); otherwise
	// they would need translating, which is not done here.
	if d.m.StableRowIDs() {
		slog.Debug("lance: vector index on a table with stable row ids, searching exactly", "table", d.path)
		return nil, nil
	}
	for i := range d.m.Indexes {
		if d.m.Indexes[i].Type == "frag_reuse" {
			slog.Debug("lance: deferred index remapping pending, searching exactly", "table", d.path)
			return nil, nil
		}
	}
	g := &vectorGroup{name: segs[0].Name, segs: segs, covered: map[uint64]bool{}}
	for _, seg := range segs {
		ix, err := d.loadSegment(ctx, seg)
		if err != nil {
			if errors.Is(err, ErrUnsupported) || errors.Is(err, ErrNotFound) {
				slog.Debug("lance: vector index not usable, searching exactly", "table", d.path, "index", seg.Name, "err", err)
				return nil, nil
			}
			return nil, err
		}
		if ix.Dim != vectorDim(vf) {
			return nil, fmt.Errorf("%w: index %q has dimension %d, column %q %d", ErrCorrupt, seg.Name, ix.Dim, vf.Name, vectorDim(vf))
		}
		if len(g.indexes) > 0 && ix.Metric != g.indexes[0].Metric {
			return nil, fmt.Errorf("%w: segments of index %q disagree on the metric", ErrCorrupt, seg.Name)
		}
		g.indexes = append(g.indexes, ix)
		if seg.Fragments == nil {
			return nil, fmt.Errorf("%w: index %q segment %s records no fragments", ErrUnsupported, seg.Name, seg.UUID)
		}
		it := seg.Fragments.Iterator()
		for it.HasNext() {
			id := uint64(it.Next())
			if _, ok := d.frags[id]; ok {
				g.covered[id] = true
			}
		}
	}
	return g, nil
}

// searchIndexed answers a search through the column's vector index. It
// reports false when there is no usable index or the query asks for
// another metric than the index's; the caller then searches exactly.
//
// Like Lance's combined search: every segment is probed for candidates,
// rows that are deleted, in dropped fragments or rejected by the filter are
// masked before the K·RefineFactor best are chosen (a prefilter), the
// fragments no segment covers are scanned exactly, and the union is
// re-ranked by exact distance over vectors read back from the table.
//
// Candidate counts follow Lance's scanner: K·RefineFactor from the index
// when refining, otherwise K. Without refining and with every fragment
// covered, the K candidates keep their PQ distances; with uncovered
// fragments they are re-scored exactly before the merge, whatever the
// refine factor, so "_distance" is then exact for every row.
func (d *Dataset) searchIndexed(ctx context.Context, opts SearchOptions, vf *format.Field) (arrow.RecordBatch, bool, error) {
	g, err := d.loadVectorGroup(ctx, vf)
	if err != nil || g == nil {
		return nil, false, err
	}
	lm := g.indexes[0].Metric
	if opts.Metric != "" {
		want, err := linalg.ParseMetric(string(opts.Metric))
		if err != nil {
			return nil, false, err
		}
		if want != lm {
			slog.Debug("lance: query metric differs from the index's, searching exactly",
				"table", d.path, "index", g.name, "query", want.String(), "index_metric", lm.String())
			return nil, false, nil
		}
	}
	k := opts.K
	switch {
	case k == 0:
		k = DefaultK
	case k < 0:
		return nil, false, fmt.Errorf("%w: negative K %d", ErrInvalidArgument, k)
	}
	refine := opts.RefineFactor
	switch {
	case refine == 0:
		refine = vector.DefaultRefineFactor
	case refine < 0:
		refine = 0
	}
	out, err := d.plan(opts.Columns, nil)
	if err != nil {
		return nil, false, err
	}
	m, err := d.newRowMask(ctx, g, opts)
	if err != nil {
		return nil, false, err
	}
	cands, err := annCandidates(ctx, g, opts.Query, k*max(refine, 1), opts.NProbes, m.allowed)
	if err != nil {
		return nil, false, err
	}
	scorer, err := linalg.NewScorer(lm, opts.Query)
	if err != nil {
		return nil, false, err
	}
	top := knn.NewTopK(k)
	// PQ distances are biased estimates (for cosine not even on the same
	// scale as 1 − cos), so they cannot compete with exactly scored rows:
	// once the result takes in unindexed fragments, the K candidates are
	// re-ranked exactly too, as Lance's combined search does, and every
	// reported distance is exact.
	merged := g.hasUnindexed(d)
	if refine > 0 || merged {
		if err := d.rerank(ctx, vf, scorer, cands, top); err != nil {
			return nil, false, err
		}
	} else {
		for _, c := range cands {
			top.Push(c.Distance, c.Row)
		}
	}
	if merged {
		if err := d.scanUnindexed(ctx, g, vf, opts.Filter, scorer, top); err != nil {
			return nil, false, err
		}
	}
	rec, err := d.searchResult(ctx, out, top.Results(), opts.WithRowAddress)
	return rec, err == nil, err
}

// hasUnindexed reports whether the table has fragments no segment covers,
// the condition under which Lance merges a flat scan into the result.
func (g *vectorGroup) hasUnindexed(d *Dataset) bool {
	for i := range d.m.Fragments {
		if !g.covered[d.m.Fragments[i].ID] {
			return true
		}
	}
	return false
}

// annCandidates returns up to want allowed rows from the segments, by
// approximate distance. A segment is asked for more rows until want of
// them pass the mask or its probed partitions run out, so that masking
// never starves the result.
func annCandidates(ctx context.Context, g *vectorGroup, q []float32, want, nprobes int, allowed func(uint64) bool) ([]knn.Neighbor, error) {
	top := knn.NewTopK(want)
	for _, ix := range g.indexes {
		n := ix.Len()
		if n == 0 {
			continue
		}
		for ask := min(want, n); ; ask = min(ask*4, n) {
			res, err := ix.Search(ctx, q, vector.SearchParams{K: ask, NProbes: nprobes}, nil)
			if err != nil {
				return nil, err
			}
			kept := 0
			for _, r := range res {
				if allowed(r.Row) {
					kept++
				}
			}
			if kept >= want || len(res) < ask || ask == n {
				for _, r := range res {
					if allowed(r.Row) {
						top.Push(r.Distance, r.Row)
					}
				}
				break
			}
		}
	}
	return top.Results(), nil
}

// rerank scores candidates by exact distance over their stored vectors.
func (d *Dataset) rerank(ctx context.Context, vf *format.Field, scorer linalg.Scorer, cands []knn.Neighbor, top *knn.TopK) error {
	if len(cands) == 0 {
		return nil
	}
	addrs := make([]uint64, len(cands))
	for i, c := range cands {
		addrs[i] = c.Row
	}
	rec, err := d.take(ctx, []*format.Field{vf}, arrow.NewSchema([]arrow.Field{vf.Arrow()}, nil), addrs)
	if err != nil {
		return err
	}
	defer rec.Release()
	dim := vectorDim(vf)
	vecs, valid, err := float32Vectors(rec.Column(0), dim)
	if err != nil {
		return err
	}
	for i, a := range addrs {
		if valid != nil && !valid[i] {
			continue
		}
		top.Push(scorer.Distance(vecs[i*dim:(i+1)*dim]), a)
	}
	return nil
}

// scanUnindexed scores exactly the live rows of the fragments no segment
// covers.
func (d *Dataset) scanUnindexed(ctx context.Context, g *vectorGroup, vf *format.Field, filter expr.Expr, scorer linalg.Scorer, top *knn.TopK) error {
	var p *readPlan
	dim := vectorDim(vf)
	maxRows := uint64(max(1, searchBlockBytes/(4*dim)))
	for i := range d.m.Fragments {
		frag := &d.m.Fragments[i]
		if g.covered[frag.ID] {
			continue
		}
		if live, ok := frag.LiveRows(); frag.PhysicalRows == 0 || (ok && live == 0) {
			continue
		}
		if p == nil {
			var err error
			if p, err = d.plan([]string{vf.Name}, filter); err != nil {
				return err
			}
		}
		var serr error
		_, err := d.fragmentVectors(ctx, p, frag, dim, maxRows, func(b *vectorBlock) bool {
			defer b.release()
			kb := knn.Block{Vectors: b.vectors, FirstRow: b.firstRow}
			if b.skip != nil {
				skip := b.skip
				kb.Skip = func(i int) bool { return skip[i] }
			}
			serr = knn.Scan(top, scorer, kb)
			return serr == nil
		})
		if err != nil {
			return err
		}
		if serr != nil {
			return serr
		}
	}
	return nil
}

// rowMask says which indexed rows a search may return: rows of current
// covered fragments that are not deleted and, with a filter, match it.
type rowMask struct {
	covered map[uint64]bool
	deleted map[uint64]*roaring.Bitmap // by fragment; absent when none
	match   *roaring64.Bitmap          // nil without a filter
}

func (d *Dataset) newRowMask(ctx context.Context, g *vectorGroup, opts SearchOptions) (*rowMask, error) {
	m := &rowMask{covered: g.covered, deleted: map[uint64]*roaring.Bitmap{}}
	var frags []uint64
	for i := range d.m.Fragments {
		f := &d.m.Fragments[i]
		if !g.covered[f.ID] {
			continue
		}
		frags = append(frags, f.ID)
		if f.Deletion == nil || opts.Filter != nil {
			continue
		}
		del, err := d.deletions(ctx, f)
		if err != nil {
			return nil, err
		}
		if !del.IsEmpty() {
			m.deleted[f.ID] = del
		}
	}
	if opts.Filter != nil {
		// The scan skips deleted rows itself.
		m.match = roaring64.New()
		for rec, err := range d.Scan(ctx, ScanOptions{Columns: []string{}, Filter: opts.Filter, WithRowAddress: true, Fragments: frags}) {
			if err != nil {
				return nil, err
			}
			col := rec.Column(int(rec.NumCols()) - 1)
			addrs := col.(interface{ Uint64Values() []uint64 }).Uint64Values()
			m.match.AddMany(addrs)
			rec.Release()
		}
	}
	return m, nil
}

func (m *rowMask) allowed(row uint64) bool {
	frag := row >> 32
	if !m.covered[frag] {
		return false
	}
	if m.match != nil {
		return m.match.Contains(row)
	}
	if del, ok := m.deleted[frag]; ok && del.Contains(uint32(row)) {
		return false
	}
	return true
}

// deletions returns a fragment's deletion vector, read once per Dataset.
func (d *Dataset) deletions(ctx context.Context, f *format.Fragment) (*roaring.Bitmap, error) {
	c := &d.vectors
	c.mu.Lock()
	del, ok := c.deleted[f.ID]
	c.mu.Unlock()
	if ok {
		return del, nil
	}
	del, err := format.ReadDeletions(ctx, d.store, f)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if c.deleted == nil {
		c.deleted = map[uint64]*roaring.Bitmap{}
	}
	c.deleted[f.ID] = del
	c.mu.Unlock()
	return del, nil
}

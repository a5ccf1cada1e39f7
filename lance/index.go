package lance

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/uuid"

	"github.com/resona-go/resona/lance/internal/commit"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/index/btree"
	"github.com/resona-go/resona/lance/internal/maintenance"
	"github.com/resona-go/resona/lance/internal/pb"
)

// IndexType names an index kind as LanceDB does.
type IndexType string

const (
	// IndexBTree is a scalar B-tree index (equality, IN and range
	// filters, merge-insert key lookups), what LanceDB builds on "id".
	IndexBTree IndexType = "BTREE"
	// IndexIVFPQ is an IVF_PQ vector index.
	IndexIVFPQ IndexType = "IVF_PQ"
)

// IndexOptions configure CreateIndex.
type IndexOptions struct {
	// Type is the index kind (IndexBTree when empty).
	Type IndexType
	// Name is the index name (column + "_idx" when empty, as LanceDB
	// names them).
	Name string
	// Replace replaces an existing index of the same name; without it,
	// an existing name is ErrInvalidArgument.
	Replace bool

	// IVF_PQ parameters (ignored by other types; 0 picks the defaults of
	// package vector: √rows partitions, dim/8 sub-vectors, 8 bits, metric
	// l2). MaxIterations caps the IVF k-means; SampleRate is training rows
	// per partition (256). Only 8-bit codes are written.
	NumPartitions int
	NumSubVectors int
	NumBits       int
	Metric        Metric
	MaxIterations int
	SampleRate    int
	// Seed seeds the sampling and k-means of an IVF_PQ build. 0 uses a fixed
	// seed, so that the same rows always give the same index.
	Seed uint64

	// Progress, when set, reports the build's progress.
	Progress func(ProgressEvent)
	// CommitRetries bounds commit retries (20 when 0; negative: none).
	CommitRetries int
}

// indexBuilder writes the files of one index segment over the live rows of
// manifest m and returns its manifest entry.
type indexBuilder func(ctx context.Context, d *Dataset, column, name string, opts IndexOptions) (*pb.IndexMetadata, error)

// indexBuilders maps each index type to its builder; a type without an
// entry is ErrUnsupported.
var indexBuilders = map[IndexType]indexBuilder{
	IndexBTree: buildBTree,
	IndexIVFPQ: buildIVFPQ,
}

func buildBTree(ctx context.Context, d *Dataset, column, name string, opts IndexOptions) (*pb.IndexMetadata, error) {
	f, ok := d.m.Schema.FieldByName(column)
	if !ok {
		return nil, fmt.Errorf("%w: column %q is not in the table", ErrInvalidArgument, column)
	}
	if format.IsNestedLogicalType(f.LogicalType) {
		return nil, fmt.Errorf("%w: a BTREE index needs a scalar column; %q has type %s", ErrInvalidArgument, column, f.Type)
	}
	return btree.Build(ctx, d.store, d.m, column, name, btree.Options{})
}

// CreateIndex builds an index on column over the receiver's live rows and
// commits it as a new version. Rows added later stay unindexed until the
// index is rebuilt (IndexStatistics reports them); searches and filters
// still see them.
func (d *Dataset) CreateIndex(ctx context.Context, column string, opts IndexOptions) (*Dataset, error) {
	fail := func(err error) (*Dataset, error) {
		return nil, fmt.Errorf("lance: create index on %s of %s: %w", column, d.path, err)
	}
	if opts.Type == "" {
		opts.Type = IndexBTree
	}
	if opts.Name == "" {
		opts.Name = column + "_idx"
	}
	build, known := indexBuilders[opts.Type]
	if !known {
		return fail(fmt.Errorf("%w: unknown index type %q", ErrInvalidArgument, opts.Type))
	}
	if build == nil {
		return fail(fmt.Errorf("%w: %s indexes cannot be built yet", ErrUnsupported, opts.Type))
	}
	if err := d.ReadOnlyReason(); err != nil {
		return fail(err)
	}
	var removed []*pb.IndexMetadata
	for i := range d.m.Indexes {
		ix := &d.m.Indexes[i]
		if ix.Name != opts.Name {
			continue
		}
		if !opts.Replace {
			return fail(fmt.Errorf("%w: an index named %q already exists (set Replace to rebuild it)", ErrInvalidArgument, opts.Name))
		}
		removed = append(removed, ix.PB)
	}
	meta, err := build(ctx, d, column, opts.Name, opts)
	if err != nil {
		return fail(err)
	}
	txn := &commit.Transaction{
		ReadVersion: d.m.Version,
		Operation:   commit.CreateIndex{NewIndices: []*pb.IndexMetadata{meta}, RemovedIndices: removed},
	}
	res, err := commit.Commit(ctx, d.store, txn, commit.Options{MaxRetries: opts.CommitRetries, Base: d.m})
	if err != nil && res == nil {
		if id, uerr := uuid.FromBytes(meta.GetUuid().GetUuid()); uerr == nil {
			removeIndexDir(ctx, d, btree.SegmentDir(id))
		}
		return fail(err)
	}
	return d.committed(ctx, res)
}

func removeIndexDir(ctx context.Context, d *Dataset, dir string) {
	ents, err := d.store.List(ctx, dir)
	if err != nil {
		return
	}
	var paths []string
	for _, e := range ents {
		if !e.IsDir {
			paths = append(paths, dir+"/"+e.Name)
		}
	}
	removeFiles(ctx, d.store, paths)
}

// IndexStatistics describe one logical index: every segment (delta) sharing
// its name. Row counts are over live rows, as LanceDB's indexStats.
type IndexStatistics struct {
	Name    string
	Type    IndexType
	Columns []string
	// IndexedRows are the live rows of fragments some segment covers;
	// UnindexedRows those of the other fragments.
	IndexedRows, UnindexedRows uint64
	// IndexedFragments and UnindexedFragments count current fragments.
	IndexedFragments, UnindexedFragments int
	// Segments is the number of segments (LanceDB's num_indices): 1 after
	// a build, more when deltas were appended.
	Segments int
	// Metric is a vector index's distance type when the manifest records
	// it (LanceDB 0.39 and Go do; LanceDB 0.13 does not), else "".
	Metric Metric
}

// StaleFraction is UnindexedRows / (IndexedRows + UnindexedRows), 0 for an
// empty table.
func (s IndexStatistics) StaleFraction() float64 {
	if t := s.IndexedRows + s.UnindexedRows; t > 0 {
		return float64(s.UnindexedRows) / float64(t)
	}
	return 0
}

// IndexStatistics reports the coverage of the index named name in the
// receiver's version; an unknown name is ErrNotFound.
func (d *Dataset) IndexStatistics(ctx context.Context, name string) (IndexStatistics, error) {
	st := IndexStatistics{Name: name}
	covered := map[uint64]bool{}
	for i := range d.m.Indexes {
		ix := &d.m.Indexes[i]
		if ix.Name != name {
			continue
		}
		if st.Segments == 0 {
			t, err := format.InferIndexType(ctx, d.store, d.m, ix)
			if err != nil {
				return IndexStatistics{}, fmt.Errorf("lance: statistics of index %q of %s: %w", name, d.path, err)
			}
			st.Type = publicIndexType(t)
			if t == "vector" {
				st.Metric = vectorDetailsMetric(ix)
			}
			for _, id := range ix.Fields {
				if f, ok := d.m.Schema.FieldByID(id); ok {
					st.Columns = append(st.Columns, f.Name)
				}
			}
		}
		st.Segments++
		if ix.Fragments != nil {
			it := ix.Fragments.Iterator()
			for it.HasNext() {
				covered[uint64(it.Next())] = true
			}
		}
	}
	if st.Segments == 0 {
		return IndexStatistics{}, fmt.Errorf("%w: lance: %s has no index named %q", ErrNotFound, d.path, name)
	}
	metrics, err := maintenance.CollectMetrics(ctx, d.store, d.m)
	if err != nil {
		return IndexStatistics{}, fmt.Errorf("lance: statistics of index %q of %s: %w", name, d.path, err)
	}
	for _, fm := range metrics {
		if covered[fm.ID] {
			st.IndexedFragments++
			st.IndexedRows += fm.LiveRows()
		} else {
			st.UnindexedFragments++
			st.UnindexedRows += fm.LiveRows()
		}
	}
	return st, nil
}

// publicIndexType maps the manifest's index kind to LanceDB's name. Lance
// records vector indexes only as "vector"; IVF_PQ is the kind LanceDB (and
// Resona) builds.
func publicIndexType(t string) IndexType {
	switch t {
	case "btree":
		return IndexBTree
	case "vector":
		return IndexIVFPQ
	}
	return IndexType(strings.ToUpper(t))
}

// indexRemapper returns the function compaction uses to remap the indexes
// of rewritten fragments, or nil with the reason when some index of the
// table cannot be remapped (compaction then skips indexed fragments).
func (d *Dataset) indexRemapper(ctx context.Context) (maintenance.RemapFunc, string) {
	for i := range d.m.Indexes {
		ix := &d.m.Indexes[i]
		t, err := format.InferIndexType(ctx, d.store, d.m, ix)
		if err != nil {
			return nil, fmt.Sprintf("index %q: %v", ix.Name, err)
		}
		switch t {
		case "btree":
		case "vector":
			if why := vectorRemappable(ctx, d, ix); why != "" {
				return nil, why
			}
		default:
			return nil, fmt.Sprintf("covered by index %q of type %s, which compaction cannot remap yet", ix.Name, publicIndexType(t))
		}
	}
	store := d.store
	return func(ctx context.Context, m *format.Manifest, segs []format.Index, rows *maintenance.RowMap) ([]commit.RewrittenIndex, error) {
		mapping := func(addr uint64) (uint64, bool) {
			na, found, deleted := rows.Lookup(addr)
			switch {
			case !found:
				return addr, true
			case deleted:
				return 0, false
			}
			return na, true
		}
		out := make([]commit.RewrittenIndex, 0, len(segs))
		for i := range segs {
			seg := &segs[i]
			if t, err := format.InferIndexType(ctx, store, m, seg); err == nil && t == "vector" {
				ri, err := remapVectorSegment(ctx, store, m, seg, mapping)
				if err != nil {
					return nil, fmt.Errorf("remap index %q: %w", seg.Name, err)
				}
				out = append(out, ri)
				continue
			}
			oldID, err := uuid.Parse(seg.UUID)
			if err != nil {
				return nil, fmt.Errorf("%w: index %q uuid %q: %w", ErrCorrupt, seg.Name, seg.UUID, err)
			}
			meta, err := btree.Remap(ctx, store, seg, mapping, btree.Options{})
			if err != nil {
				return nil, fmt.Errorf("remap index %q: %w", seg.Name, err)
			}
			newID, err := uuid.FromBytes(meta.GetUuid().GetUuid())
			if err != nil {
				return nil, fmt.Errorf("remap index %q: new uuid: %w", seg.Name, err)
			}
			out = append(out, commit.RewrittenIndex{
				OldID: oldID, NewID: newID, Details: meta.GetIndexDetails(),
				IndexVersion: uint32(meta.GetIndexVersion()), Files: meta.GetFiles(),
			})
		}
		return out, nil
	}, ""
}

package lance

import (
	"context"
	"fmt"
	"slices"

	"github.com/google/uuid"

	"github.com/resona-go/resona/lance/internal/commit"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/index/ivf"
	"github.com/resona-go/resona/lance/internal/index/pq"
	"github.com/resona-go/resona/lance/internal/index/vector"
	"github.com/resona-go/resona/lance/internal/linalg"
	"github.com/resona-go/resona/lance/internal/pb"
)

// UpdateIndexOptions tune UpdateIndex.
type UpdateIndexOptions struct {
	// Rebuild retrains the index over every live row (keeping its metric,
	// partition and sub-vector counts) instead of appending a delta.
	Rebuild bool
	// Progress, when set, reports the work.
	Progress func(ProgressEvent)
	// CommitRetries bounds commit retries (20 when 0; negative: none).
	CommitRetries int
}

// UpdateIndex brings the index named name up to date with the fragments
// none of its segments covers, and returns the new version (the receiver's
// version when there is nothing to do).
//
// For an IVF_PQ index it appends a delta segment, as Lance's
// optimize_indices does: the new rows are assigned to the existing
// centroids and encoded with the existing codebook, so no training runs,
// and searches probe every segment of the name together. Rebuild (and any
// BTREE index) retrains over all live rows instead, which also folds the
// deltas back into one segment.
func (d *Dataset) UpdateIndex(ctx context.Context, name string, opts UpdateIndexOptions) (*Dataset, error) {
	fail := func(err error) (*Dataset, error) {
		return nil, fmt.Errorf("lance: update index %q of %s: %w", name, d.path, err)
	}
	st, err := d.IndexStatistics(ctx, name)
	if err != nil {
		return fail(err)
	}
	if len(st.Columns) != 1 {
		return fail(fmt.Errorf("%w: index on %d columns", ErrUnsupported, len(st.Columns)))
	}
	if st.UnindexedFragments == 0 && !opts.Rebuild {
		return d.same(), nil
	}
	column := st.Columns[0]
	if st.Type != IndexIVFPQ {
		return d.CreateIndex(ctx, column, IndexOptions{Type: st.Type, Name: name, Replace: true,
			Progress: opts.Progress, CommitRetries: opts.CommitRetries})
	}
	vf, err := d.vectorField(column)
	if err != nil {
		return fail(err)
	}
	segs, err := d.vectorSegments(ctx, vf.ID)
	if err != nil {
		return fail(err)
	}
	segs = slices.DeleteFunc(segs, func(s *format.Index) bool { return s.Name != name })
	if len(segs) == 0 {
		return fail(fmt.Errorf("%w: index %q is not a vector index on %q", ErrNotFound, name, column))
	}
	base, err := d.loadSegment(ctx, segs[0])
	if err != nil {
		return fail(err)
	}
	if opts.Rebuild {
		return d.CreateIndex(ctx, column, IndexOptions{Type: IndexIVFPQ, Name: name, Replace: true,
			Metric: Metric(base.Metric.String()), NumPartitions: base.NumPartitions(), NumSubVectors: base.Codebook.M,
			Progress: opts.Progress, CommitRetries: opts.CommitRetries})
	}
	if err := d.ReadOnlyReason(); err != nil {
		return fail(err)
	}
	covered := map[uint64]bool{}
	for _, s := range segs {
		if s.Fragments == nil {
			return fail(fmt.Errorf("%w: segment %s records no fragments", ErrUnsupported, s.UUID))
		}
		for _, id := range s.Fragments.ToArray() {
			covered[uint64(id)] = true
		}
	}
	var frags []*format.Fragment
	for i := range d.m.Fragments {
		if f := &d.m.Fragments[i]; !covered[f.ID] {
			frags = append(frags, f)
		}
	}
	meta, err := d.buildVectorDelta(ctx, vf, name, base, frags, opts.Progress)
	if err != nil {
		return fail(err)
	}
	// A CreateIndex commit drops every segment named like a new one (as
	// Lance's does), so the kept segments are listed again, as Lance's
	// optimize_indices lists the deltas it keeps.
	var keep []*pb.IndexMetadata
	for _, s := range segs {
		keep = append(keep, s.PB)
	}
	txn := &commit.Transaction{
		ReadVersion: d.m.Version,
		Operation:   commit.CreateIndex{NewIndices: append(keep, meta)},
	}
	res, err := commit.Commit(ctx, d.store, txn, commit.Options{MaxRetries: opts.CommitRetries, Base: d.m})
	if err != nil && res == nil {
		if id, uerr := uuid.FromBytes(meta.GetUuid().GetUuid()); uerr == nil {
			removeIndexDir(context.WithoutCancel(ctx), d, format.IndicesDir+"/"+id.String())
		}
		return fail(err)
	}
	return d.committed(ctx, res)
}

// buildVectorDelta encodes the vectors of frags with base's model and
// writes them as a segment named name covering frags.
func (d *Dataset) buildVectorDelta(ctx context.Context, vf *format.Field, name string, base *vector.Index, frags []*format.Fragment, progress func(ProgressEvent)) (*pb.IndexMetadata, error) {
	src, err := d.newVectorSource(ctx, vf, frags, progress)
	if err != nil {
		return nil, err
	}
	dim, cb := base.Dim, base.Codebook
	parts := base.NumPartitions()
	ids := make([][]uint64, parts)
	codes := make([][]byte, parts) // row-major until the end
	done := 0
	var buf []float32
	err = src.Scan(ctx, func(b vector.Batch) error {
		buf = append(buf[:0], b.Vectors...)
		if base.Metric == linalg.MetricCosine {
			for i := 0; i+dim <= len(buf); i += dim {
				ivf.Normalize(buf[i : i+dim])
			}
		}
		assign, err := ivf.Assign(ctx, base.Metric, base.Centroids, dim, buf, 0)
		if err != nil {
			return err
		}
		if ivf.UsesResidual(base.Metric) {
			for i, p := range assign {
				row := buf[i*dim : (i+1)*dim]
				ivf.Residual(row, row, base.Centroids[int(p)*dim:(int(p)+1)*dim])
			}
		}
		enc, err := cb.Encode(ctx, buf, 0)
		if err != nil {
			return err
		}
		for i, p := range assign {
			ids[p] = append(ids[p], b.RowIDs[i])
			codes[p] = append(codes[p], enc[i*cb.M:(i+1)*cb.M]...)
		}
		done += len(b.RowIDs)
		if progress != nil {
			progress(ProgressEvent{Step: ProgressVectorEncode, Done: uint64(done), Total: uint64(src.Len())})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ix := &vector.Index{Metric: base.Metric, Dim: dim, Centroids: base.Centroids, Codebook: cb,
		Partitions: make([]vector.Partition, parts)}
	for p := range parts {
		ix.Partitions[p] = vector.Partition{RowIDs: ids[p], Codes: pq.Transpose(codes[p], cb.M)}
	}
	return writeVectorSegment(ctx, d, vf, name, ix, fragmentIDs(frags))
}

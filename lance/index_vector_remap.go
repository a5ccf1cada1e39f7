package lance

import (
	"context"
	"fmt"

	"github.com/google/uuid"

	"github.com/resona-go/resona/lance/internal/commit"
	"github.com/resona-go/resona/lance/internal/format"
	"github.com/resona-go/resona/lance/internal/index/ivfpqfile"
	"github.com/resona-go/resona/lance/internal/index/vector"
	"github.com/resona-go/resona/lance/internal/storage"
)

// vectorRemappable reports why a vector segment cannot be remapped by
// compaction ("" when it can): only v3 IVF_PQ segments, which keep their
// rows in auxiliary.idx, are rewritten here.
func vectorRemappable(ctx context.Context, d *Dataset, seg *format.Index) string {
	if _, err := d.store.Stat(ctx, seg.Dir()+"/"+ivfpqfile.AuxiliaryFileName); err != nil {
		return fmt.Sprintf("covered by index %q, an IVF_PQ index in the legacy single-file layout (LanceDB 0.13), which compaction cannot remap", seg.Name)
	}
	return ""
}

// remapVectorSegment writes a copy of seg under a new uuid whose row
// addresses went through mapping (rows it drops are deleted) and returns
// the rewrite for the Rewrite transaction. The model is unchanged: moved
// rows keep their partition and codes.
func remapVectorSegment(ctx context.Context, store storage.Store, m *format.Manifest, seg *format.Index, mapping func(uint64) (uint64, bool)) (commit.RewrittenIndex, error) {
	oldID, err := uuid.Parse(seg.UUID)
	if err != nil {
		return commit.RewrittenIndex{}, fmt.Errorf("%w: index %q uuid %q: %w", ErrCorrupt, seg.Name, seg.UUID, err)
	}
	ix, err := ivfpqfile.Read(ctx, store, seg.Dir())
	if err != nil {
		return commit.RewrittenIndex{}, err
	}
	out := remapRows(ix, mapping)
	newID := uuid.New()
	dir := format.IndicesDir + "/" + newID.String()
	files, err := ivfpqfile.Write(ctx, store, dir, out, ivfpqfile.Options{Version: vectorFileVersion(m)})
	if err != nil {
		removeFiles(context.WithoutCancel(ctx), store, []string{dir + "/" + ivfpqfile.AuxiliaryFileName, dir + "/" + ivfpqfile.IndexFileName})
		return commit.RewrittenIndex{}, err
	}
	return commit.RewrittenIndex{OldID: oldID, NewID: newID, Details: ivfpqfile.Details(out),
		IndexVersion: ivfpqfile.IndexVersion, Files: files}, nil
}

// remapRows returns ix with every row id translated; rows mapping drops
// leave their partition, and the transposed code blocks close up.
func remapRows(ix *vector.Index, mapping func(uint64) (uint64, bool)) *vector.Index {
	m := ix.Codebook.M
	out := &vector.Index{Metric: ix.Metric, Dim: ix.Dim, Centroids: ix.Centroids, Codebook: ix.Codebook,
		Loss: ix.Loss, Partitions: make([]vector.Partition, len(ix.Partitions))}
	for p, part := range ix.Partitions {
		n := len(part.RowIDs)
		keep := make([]int, 0, n)
		ids := make([]uint64, 0, n)
		for i, id := range part.RowIDs {
			if na, ok := mapping(id); ok {
				keep = append(keep, i)
				ids = append(ids, na)
			}
		}
		codes := make([]byte, 0, len(keep)*m)
		for j := range m {
			block := part.Codes[j*n : (j+1)*n]
			for _, i := range keep {
				codes = append(codes, block[i])
			}
		}
		out.Partitions[p] = vector.Partition{RowIDs: ids, Codes: codes}
	}
	return out
}

package resona

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/resona-go/resona/lance"
	"github.com/resona-go/resona/lance/expr"
)

// This file is the service's only seam to the engine's write, index and
// maintenance operations.

// deleteBatchSize bounds the ids in one delete filter.
const deleteBatchSize = 500

// createTable writes a new table with the Resona schema.
func createTable(ctx context.Context, path string, schema *arrow.Schema, recs []arrow.RecordBatch) (*lance.Dataset, error) {
	return lance.Create(ctx, path, schema, recs, lance.CreateOptions{})
}

// mergeInsert replaces the rows whose id is in rec and inserts the others,
// in one version.
func mergeInsert(ctx context.Context, ds *lance.Dataset, rec arrow.RecordBatch) (*lance.Dataset, error) {
	nd, _, err := ds.MergeInsert(ctx, []arrow.RecordBatch{rec}, lance.MergeInsertOptions{
		On: colID, WhenMatchedUpdateAll: true, WhenNotMatchedInsertAll: true,
	})
	return nd, err
}

// deleteExact deletes the rows with exactly these ids, in batches; it
// returns the number of rows deleted. The caller holds s.mu.
func (s *EmbeddingService) deleteExact(ctx context.Context, ids []string) (int, error) {
	total := 0
	for off := 0; off < len(ids); off += deleteBatchSize {
		part := ids[off:min(off+deleteBatchSize, len(ids))]
		vals := make([]any, len(part))
		for i, id := range part {
			vals[i] = id
		}
		nd, n, err := s.ds.Delete(ctx, expr.Col(colID).In(vals...))
		if err != nil {
			return total, fmt.Errorf("resona: delete %d rows: %w", len(part), err)
		}
		s.swap(nd)
		total += int(n)
	}
	return total, nil
}

// ensureIDIndex creates the BTREE index on id that keeps lookups and
// deletes fast, as TypeScript Resona does, when the table has none. An
// engine without BTREE support is not an error: lookups scan instead. The
// caller holds s.mu (or is New).
func (s *EmbeddingService) ensureIDIndex(ctx context.Context) error {
	if s.opts.SkipIDIndex || s.ds == nil || s.ds.ReadOnlyReason() != nil {
		return nil
	}
	for _, ix := range s.ds.Indexes() {
		if len(ix.Columns) == 1 && ix.Columns[0] == colID {
			return nil
		}
	}
	nd, err := createIndex(ctx, s.ds, colID, "", indexBTree, "")
	switch {
	case errorsIsUnsupported(err):
		s.log.Debug("id index not created: engine does not build BTREE indexes yet", "error", err)
		return nil
	case err != nil:
		return fmt.Errorf("resona: create id index: %w", err)
	}
	s.swap(nd)
	s.log.Debug("id index created", "version", nd.Version())
	return nil
}

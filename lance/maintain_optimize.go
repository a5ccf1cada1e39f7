package lance

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// OptimizeOptions tune Optimize.
type OptimizeOptions struct {
	// Compaction tunes the compaction step.
	Compaction CompactionOptions
	// CleanupOlderThan removes versions older than this after compacting
	// (DefaultCleanupAge when 0, LanceDB's default; negative: no cleanup).
	CleanupOlderThan time.Duration
	// SkipIndexUpdate leaves indexes as they are.
	SkipIndexUpdate bool
	Logger          *slog.Logger
}

// OptimizeResult gathers what each step of Optimize did. Every index
// with rows to catch up on appears in exactly one of IndexesRebuilt,
// IndexesUpdated and IndexesSkipped; indexes already up to date appear in
// none.
type OptimizeResult struct {
	Compaction CompactionMetrics
	// CompactionSkipped says why compaction did not run ("" when it did):
	// tables in a format compaction cannot write yet are still indexed
	// and cleaned up.
	CompactionSkipped string
	// IndexesRebuilt names the scalar indexes rebuilt over all live rows.
	IndexesRebuilt []string
	// IndexesUpdated names the vector indexes given a delta segment
	// covering the fragments they did not cover (see UpdateIndex).
	IndexesUpdated []string
	// IndexesSkipped maps the indexes left stale to the reason, such as
	// LanceDB 0.13's legacy IVF_PQ files, which cannot be extended. Such
	// an index keeps working: searches read the rows it misses exactly.
	IndexesSkipped map[string]string
	Cleanup        CleanupStats
}

// Optimize runs the maintenance LanceDB's optimize() runs: compaction, then
// bringing indexes up to date with rows added since they were built, then
// cleanup of old versions. A BTREE is rebuilt over all live rows (what
// Lance's BTREE update produces too); an IVF_PQ index gets a delta segment
// for the fragments it misses, encoded with its existing centroids and
// codebook, as Lance's optimize_indices does. An index that cannot be
// brought up to date (ErrUnsupported) is reported in IndexesSkipped and the
// other steps still run; any other error stops Optimize. It returns the
// latest version.
func (d *Dataset) Optimize(ctx context.Context, opts OptimizeOptions) (*Dataset, OptimizeResult, error) {
	var res OptimizeResult
	if opts.Compaction.Logger == nil {
		opts.Compaction.Logger = opts.Logger
	}
	cur, met, err := d.Compact(ctx, opts.Compaction)
	switch {
	case errors.Is(err, ErrUnsupported):
		res.CompactionSkipped = err.Error()
		if cur, err = d.CheckoutLatest(ctx); err != nil {
			return nil, res, fmt.Errorf("lance: optimize: %w", err)
		}
	case err != nil:
		return nil, res, fmt.Errorf("lance: optimize: %w", err)
	}
	res.Compaction = met
	if !opts.SkipIndexUpdate {
		if cur, err = cur.optimizeIndexes(ctx, &res, opts.Logger); err != nil {
			return nil, res, fmt.Errorf("lance: optimize: %w", err)
		}
	}
	if opts.CleanupOlderThan >= 0 {
		cs, err := cur.CleanupOldVersions(ctx, CleanupOptions{OlderThan: opts.CleanupOlderThan, Logger: opts.Logger})
		if err != nil {
			cur.Close()
			return nil, res, fmt.Errorf("lance: optimize: %w", err)
		}
		res.Cleanup = cs
	}
	return cur, res, nil
}

// optimizeIndexes brings every index of d up to date, recording the
// outcome in res. It returns the resulting version and closes d when that
// is a new one; on error d is closed too.
func (d *Dataset) optimizeIndexes(ctx context.Context, res *OptimizeResult, logger *slog.Logger) (*Dataset, error) {
	cur := d
	skip := func(name, reason string) {
		if res.IndexesSkipped == nil {
			res.IndexesSkipped = map[string]string{}
		}
		res.IndexesSkipped[name] = reason
		if logger != nil {
			logger.Debug("optimize: index left stale", "index", name, "reason", reason)
		}
	}
	seen := map[string]bool{}
	for _, ix := range cur.Indexes() {
		if seen[ix.Name] {
			continue
		}
		seen[ix.Name] = true
		st, err := cur.IndexStatistics(ctx, ix.Name)
		if err != nil {
			cur.Close()
			return nil, err
		}
		var nd *Dataset
		switch {
		case st.Type == IndexIVFPQ:
			// Extra segments are how deltas work, not staleness: only
			// fragments no segment covers call for an update.
			if st.UnindexedFragments == 0 {
				continue
			}
			// A delta holds row addresses, which are not the row ids
			// such a table's index must hold.
			if cur.m.StableRowIDs() {
				skip(ix.Name, "vector index on a table with stable row ids cannot be extended")
				continue
			}
			nd, err = cur.UpdateIndex(ctx, ix.Name, UpdateIndexOptions{})
		case st.Type == IndexBTree && len(st.Columns) == 1:
			if st.UnindexedRows == 0 && st.Segments == 1 {
				continue
			}
			nd, err = cur.CreateIndex(ctx, st.Columns[0], IndexOptions{Type: IndexBTree, Name: ix.Name, Replace: true})
		default:
			if st.UnindexedRows > 0 || st.Segments > 1 {
				skip(ix.Name, fmt.Sprintf("%s indexes cannot be updated yet", st.Type))
			}
			continue
		}
		if errors.Is(err, ErrUnsupported) {
			skip(ix.Name, err.Error())
			continue
		}
		if err != nil {
			cur.Close()
			return nil, err
		}
		cur.Close()
		cur = nd
		if st.Type == IndexIVFPQ {
			res.IndexesUpdated = append(res.IndexesUpdated, ix.Name)
		} else {
			res.IndexesRebuilt = append(res.IndexesRebuilt, ix.Name)
		}
		if logger != nil {
			logger.Debug("optimize: index updated", "index", ix.Name, "type", st.Type, "unindexed_rows", st.UnindexedRows)
		}
	}
	return cur, nil
}

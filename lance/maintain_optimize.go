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

// OptimizeResult gathers what each step of Optimize did.
type OptimizeResult struct {
	Compaction CompactionMetrics
	// CompactionSkipped says why compaction did not run ("" when it did):
	// tables in a format compaction cannot write yet are still indexed
	// and cleaned up.
	CompactionSkipped string
	// IndexesRebuilt names the indexes rebuilt to cover new rows;
	// IndexesSkipped those that could not be (with the reason).
	IndexesRebuilt []string
	IndexesSkipped map[string]string
	Cleanup        CleanupStats
}

// Optimize runs the maintenance LanceDB's optimize() runs: compaction, then
// bringing indexes up to date with rows added since they were built, then
// cleanup of old versions. A BTREE is rebuilt over all live rows (what
// Lance's BTREE update produces too); vector indexes are left for now and
// reported in IndexesSkipped. It returns the latest version.
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
		seen := map[string]bool{}
		for _, ix := range cur.Indexes() {
			if seen[ix.Name] {
				continue
			}
			seen[ix.Name] = true
			st, err := cur.IndexStatistics(ctx, ix.Name)
			if err != nil {
				cur.Close()
				return nil, res, fmt.Errorf("lance: optimize: %w", err)
			}
			if st.UnindexedRows == 0 && st.Segments == 1 {
				continue
			}
			if st.Type != IndexBTree || len(st.Columns) != 1 {
				if res.IndexesSkipped == nil {
					res.IndexesSkipped = map[string]string{}
				}
				res.IndexesSkipped[ix.Name] = fmt.Sprintf("%s indexes cannot be updated yet", st.Type)
				continue
			}
			nd, err := cur.CreateIndex(ctx, st.Columns[0], IndexOptions{Type: IndexBTree, Name: ix.Name, Replace: true})
			if err != nil {
				cur.Close()
				return nil, res, fmt.Errorf("lance: optimize: %w", err)
			}
			cur.Close()
			cur = nd
			res.IndexesRebuilt = append(res.IndexesRebuilt, ix.Name)
			if opts.Logger != nil {
				opts.Logger.Debug("optimize: index rebuilt", "index", ix.Name, "unindexed_rows", st.UnindexedRows)
			}
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

package resona

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/resona-go/resona/lance"
)

// MaintenanceOptions configure Maintain. The zero value runs every step
// with the defaults.
type MaintenanceOptions struct {
	// SkipCompaction, SkipIndex and SkipCleanup leave out a step.
	SkipCompaction bool
	SkipIndex      bool
	SkipCleanup    bool
	// RetentionDays: versions older than this are removed by cleanup (the
	// service's RetentionDays, by default 7, when nil; Days(0) keeps only
	// the latest version).
	RetentionDays *int
	// TargetRowsPerFragment is the size compaction merges small fragments
	// up to (the service's, by default 500,000, when 0).
	TargetRowsPerFragment int
	// IndexStaleThreshold: the vector index is rebuilt when more than this
	// share of the rows is not indexed (the service's, by default 0.1,
	// when 0).
	IndexStaleThreshold float64
	// RebuildIndex builds the vector index anew even when it covers every
	// row, and creates a missing one whatever Options.MinIndexRows says.
	// Training needs at least MinTrainingRows live rows: on a smaller
	// table Maintain writes nothing and returns ErrTooFewRows. SkipIndex
	// wins over it.
	RebuildIndex bool
	// OnProgress, when set, is called as steps start and finish.
	OnProgress func(step, details string)
	// DryRun computes the plan and its expected effect without writing:
	// the result's figures say what a real run would do.
	DryRun bool
}

// Step names, as reported to OnProgress and in MaintenanceResult.Steps.
const (
	StepCompaction = "compaction"
	StepIndex      = "index"
	StepCleanup    = "cleanup"
	// StepIDIndex rebuilds a stale BTREE index on id before compaction;
	// it runs unless SkipIndex is set.
	StepIDIndex = "id-index"
)

// CompactionResult says what compaction did.
type CompactionResult struct {
	FragmentsRemoved int
	// FilesCreated is the number of data files written.
	FilesCreated int
	// RowsRewritten is the number of live rows copied.
	RowsRewritten uint64
	// FragmentsSkipped are fragments the engine would merge but left
	// alone (for example because an index covering them cannot be
	// remapped); SkipReasons say why.
	FragmentsSkipped int
	SkipReasons      []string
}

// IndexStats is the coverage of the vector index after maintenance.
type IndexStats struct {
	NumIndexedRows   int64
	NumUnindexedRows int64
}

// CleanupResult says what cleanup removed.
type CleanupResult struct {
	BytesRemoved    uint64
	VersionsRemoved int
	FilesRemoved    int
}

// StepResult records one step.
type StepResult struct {
	Name string
	// Ran is false for skipped steps.
	Ran bool
	// Changed is true when the step changed the table (or, in a dry run,
	// would change it).
	Changed bool
	Details string
	Elapsed time.Duration
}

// MaintenanceResult summarizes Maintain. Compaction and Cleanup are nil
// when their step was skipped.
type MaintenanceResult struct {
	Compaction *CompactionResult
	// IndexRebuilt is true when the vector index was built or rebuilt;
	// IndexCreated when it did not exist before.
	IndexRebuilt bool
	IndexCreated bool
	// IndexUnavailable, when not empty, says why the index step could not
	// build an index it should have (the engine lacks the index type); the
	// table is still searched exactly.
	IndexUnavailable string
	// IndexStats is the vector index coverage after maintenance (nil when
	// the table has no vector index).
	IndexStats *IndexStats
	Cleanup    *CleanupResult
	// NothingToDo is true when no step changed anything.
	NothingToDo bool
	// DryRun repeats the option: nothing was written.
	DryRun bool
	// VersionBefore and VersionAfter are the table versions around the
	// run.
	VersionBefore, VersionAfter uint64
	// Steps are the steps in the order they ran; compaction appears twice
	// when it ran again after the index rebuild.
	Steps      []StepResult
	DurationMs int64
}

// Maintain keeps the table fast and small: it compacts small fragments
// and materializes deletions, rebuilds the vector index when too many rows
// are not covered or when RebuildIndex asks for it (and creates it once the
// table has MinIndexRows rows), then removes versions older than the
// retention. Fragments compaction had to leave alone because the old
// vector index could not follow them (LanceDB 0.13's layout) are merged in
// a second pass once the index step rebuilt it. The current version is
// never removed, and a second run right after the first does nothing.
// A failing step stops the run; the error names it, and the result says
// what the earlier steps did.
func (s *EmbeddingService) Maintain(ctx context.Context, opts MaintenanceOptions) (*MaintenanceResult, error) {
	start := time.Now()
	retention := *s.opts.RetentionDays
	if opts.RetentionDays != nil {
		retention = *opts.RetentionDays
	}
	if retention < 0 {
		return nil, fmt.Errorf("resona: maintain: negative RetentionDays %d", retention)
	}
	target := opts.TargetRowsPerFragment
	if target <= 0 {
		target = s.opts.TargetRowsPerFragment
	}
	threshold := opts.IndexStaleThreshold
	if threshold <= 0 {
		threshold = s.opts.IndexStaleThreshold
	}
	progress := func(step, details string) {
		if opts.OnProgress != nil {
			opts.OnProgress(step, details)
		}
	}
	res := &MaintenanceResult{DryRun: opts.DryRun}
	finish := func(err error) (*MaintenanceResult, error) {
		res.DurationMs = time.Since(start).Milliseconds()
		if s.ds != nil {
			res.VersionAfter = s.ds.Version()
		}
		res.NothingToDo = true
		for _, st := range res.Steps {
			if st.Changed {
				res.NothingToDo = false
			}
		}
		s.log.Debug("maintenance done", "dry_run", opts.DryRun, "version_before", res.VersionBefore,
			"version_after", res.VersionAfter, "nothing_to_do", res.NothingToDo, "duration", time.Since(start), "error", err)
		return res, err
	}
	if err := s.lock(ctx); err != nil {
		return nil, err
	}
	defer s.mu.Unlock()
	s.log.Debug("maintenance start", "table", s.tablePath, "skip_compaction", opts.SkipCompaction,
		"skip_index", opts.SkipIndex, "rebuild_index", opts.RebuildIndex, "skip_cleanup", opts.SkipCleanup,
		"retention_days", retention, "target_rows_per_fragment", target, "index_stale_threshold", threshold,
		"dry_run", opts.DryRun)
	rebuild := opts.RebuildIndex && !opts.SkipIndex
	if s.ds == nil {
		if rebuild {
			// Refused before any step, so that nothing is written.
			return nil, fmt.Errorf("%w: the table does not exist yet; training one needs at least %d rows", ErrTooFewRows, MinTrainingRows)
		}
		progress("maintenance", "no table yet; nothing to maintain")
		return finish(nil)
	}
	res.VersionBefore = s.ds.Version()
	if rows := liveRows(s.ds); rebuild && rows < MinTrainingRows {
		return nil, fmt.Errorf("%w: the table has %d rows, training one needs at least %d (searches on a table this small are exact and fast)",
			ErrTooFewRows, rows, MinTrainingRows)
	}

	// Compaction never merges fragments an index covers with ones it does
	// not, so a stale id index would keep new fragments apart from old
	// ones; it is cheap to rebuild first.
	if !opts.SkipIndex {
		if err := s.refreshIDIndex(ctx, res, threshold, opts.DryRun, progress); err != nil {
			return finish(err)
		}
	}

	// Step 1: compaction.
	if opts.SkipCompaction {
		res.Steps = append(res.Steps, StepResult{Name: StepCompaction, Details: "skipped"})
	} else if err := s.compact(ctx, res, target, opts.DryRun, progress); err != nil {
		return finish(err)
	}

	// Step 2: the vector index.
	if opts.SkipIndex {
		res.Steps = append(res.Steps, StepResult{Name: StepIndex, Details: "skipped"})
	} else if err := s.maintainIndex(ctx, res, threshold, rebuild, opts.DryRun, progress); err != nil {
		return finish(err)
	}
	// Fragments under an index compaction cannot remap (LanceDB 0.13's
	// legacy vector index) were left alone; the index just built can be
	// remapped, so they can be merged now.
	if c := res.Compaction; c != nil && c.FragmentsSkipped > 0 && res.IndexRebuilt && !opts.DryRun {
		if err := s.compact(ctx, res, target, false, progress); err != nil {
			return finish(err)
		}
	}
	if h := s.vectorIndexHealth(s.ds, threshold); h != nil && res.IndexStats == nil {
		res.IndexStats = &IndexStats{NumIndexedRows: h.NumIndexedRows, NumUnindexedRows: h.NumUnindexedRows}
	}

	// Step 3: cleanup of old versions.
	if opts.SkipCleanup {
		res.Steps = append(res.Steps, StepResult{Name: StepCleanup, Details: "skipped"})
	} else {
		t0 := time.Now()
		progress(StepCleanup, fmt.Sprintf("removing versions older than %d days", retention))
		out, err := cleanupTable(ctx, s.ds, float64(retention), opts.DryRun, s.log)
		if err != nil {
			return finish(fmt.Errorf("resona: maintain: %s: %w", StepCleanup, err))
		}
		res.Cleanup = &CleanupResult{BytesRemoved: out.BytesRemoved, VersionsRemoved: out.VersionsRemoved, FilesRemoved: out.FilesRemoved}
		details := fmt.Sprintf("%d versions removed, %d bytes freed", out.VersionsRemoved, out.BytesRemoved)
		if opts.DryRun {
			details = fmt.Sprintf("would remove %d versions, freeing %d bytes", out.VersionsRemoved, out.BytesRemoved)
		}
		if out.VersionsRemoved == 0 && out.FilesRemoved == 0 {
			details = "nothing to clean up"
		}
		res.Steps = append(res.Steps, StepResult{Name: StepCleanup, Ran: true, Changed: out.VersionsRemoved > 0 || out.FilesRemoved > 0, Details: details, Elapsed: time.Since(t0)})
		s.log.Debug("maintenance step", "step", StepCleanup, "versions_removed", out.VersionsRemoved,
			"files_removed", out.FilesRemoved, "bytes_removed", out.BytesRemoved, "duration", time.Since(t0))
		progress(StepCleanup, details)
	}
	return finish(nil)
}

// compact runs a compaction pass and adds it to res: a second pass adds
// its merges to the first's and replaces its skipped fragments.
func (s *EmbeddingService) compact(ctx context.Context, res *MaintenanceResult, target int, dryRun bool, progress func(string, string)) error {
	t0 := time.Now()
	again := res.Compaction != nil
	start := fmt.Sprintf("merging fragments smaller than %d rows", target)
	if again {
		start = "merging the fragments left alone, now that the vector index was rebuilt"
	}
	progress(StepCompaction, start)
	nd, out, err := compactTable(ctx, s.ds, target, dryRun, s.log)
	if err != nil {
		return fmt.Errorf("resona: maintain: %s: %w", StepCompaction, err)
	}
	s.swap(nd)
	c := &CompactionResult{}
	if again {
		c = res.Compaction
	}
	c.FragmentsRemoved += out.FragmentsRemoved
	c.FilesCreated += out.FilesAdded
	c.RowsRewritten += out.RowsRewritten
	c.FragmentsSkipped, c.SkipReasons = out.Skipped, out.Reasons
	res.Compaction = c
	details := fmt.Sprintf("%s merged into %s, %d rows rewritten", plural(out.FragmentsRemoved, "fragment"), plural(out.FilesAdded, "file"), out.RowsRewritten)
	if dryRun {
		details = fmt.Sprintf("would merge %d fragments, rewriting %d rows", out.FragmentsRemoved, out.RowsRewritten)
	}
	if out.FragmentsRemoved == 0 {
		details = "nothing to compact"
	}
	if again {
		details = "after the index rebuild: " + details
	}
	if out.Skipped > 0 {
		details += fmt.Sprintf("; %d fragments left alone: %v", out.Skipped, out.Reasons)
	}
	res.Steps = append(res.Steps, StepResult{Name: StepCompaction, Ran: true, Changed: out.FragmentsRemoved > 0, Details: details, Elapsed: time.Since(t0)})
	pass := 1
	if again {
		pass = 2
	}
	s.log.Debug("maintenance step", "step", StepCompaction, "pass", pass,
		"fragments_removed", out.FragmentsRemoved, "files_created", out.FilesAdded, "rows_rewritten", out.RowsRewritten,
		"fragments_skipped", out.Skipped, "version", out.Version, "duration", time.Since(t0))
	progress(StepCompaction, details)
	return nil
}

// maintainIndex rebuilds a stale vector index or creates a missing one;
// force rebuilds or creates it whatever its state (the caller checked that
// the table has MinTrainingRows rows).
func (s *EmbeddingService) maintainIndex(ctx context.Context, res *MaintenanceResult, threshold float64, force, dryRun bool, progress func(string, string)) error {
	t0 := time.Now()
	step := StepResult{Name: StepIndex, Ran: true}
	defer func() {
		step.Elapsed = time.Since(t0)
		res.Steps = append(res.Steps, step)
		progress(StepIndex, step.Details)
	}()
	progress(StepIndex, "checking the vector index")
	h := s.vectorIndexHealth(s.ds, threshold)
	rows := liveRows(s.ds)
	// Below MinTrainingRows the engine cannot train an index, whatever
	// MinIndexRows says.
	minRows := int64(max(s.opts.MinIndexRows, MinTrainingRows))
	var reason string
	switch {
	case force && h == nil:
		reason = fmt.Sprintf("creating the vector index over %d rows (requested)", rows)
	case force:
		reason = fmt.Sprintf("rebuilding as requested: %.1f%% of rows unindexed", h.StalePercent)
	case h == nil && rows < minRows:
		step.Details = fmt.Sprintf("no vector index; %d rows is below the %d needed to build one (searches are exact)", rows, minRows)
		s.log.Debug("maintenance step", "step", StepIndex, "action", "none", "rows", rows, "min_rows", minRows)
		return nil
	case h == nil:
		reason = fmt.Sprintf("creating the vector index over %d rows", rows)
	case h.NeedsRebuild && rows < MinTrainingRows:
		step.Details = fmt.Sprintf("index stale (%.1f%% of rows unindexed) but %d rows is below the %d needed to train a new one; kept as is (unindexed rows are still searched)",
			h.StalePercent, rows, MinTrainingRows)
		res.IndexStats = &IndexStats{NumIndexedRows: h.NumIndexedRows, NumUnindexedRows: h.NumUnindexedRows}
		s.log.Debug("maintenance step", "step", StepIndex, "action", "none", "rows", rows, "min_rows", MinTrainingRows)
		return nil
	case h.NeedsRebuild:
		reason = fmt.Sprintf("rebuilding: %.1f%% of rows unindexed (threshold %.1f%%)", h.StalePercent, 100*threshold)
	default:
		step.Details = fmt.Sprintf("index healthy: %.1f%% of rows unindexed (threshold %.1f%%)", h.StalePercent, 100*threshold)
		res.IndexStats = &IndexStats{NumIndexedRows: h.NumIndexedRows, NumUnindexedRows: h.NumUnindexedRows}
		s.log.Debug("maintenance step", "step", StepIndex, "action", "none", "indexed", h.NumIndexedRows, "unindexed", h.NumUnindexedRows)
		return nil
	}
	progress(StepIndex, reason)
	if dryRun {
		step.Changed = true
		step.Details = "would be " + reason
		res.IndexRebuilt = true
		res.IndexCreated = h == nil
		res.IndexStats = &IndexStats{NumIndexedRows: rows}
		return nil
	}
	name := ""
	if h != nil {
		name = h.Name
	}
	nd, err := createIndex(ctx, s.ds, colVector, name, indexIVFPQ, s.opts.Metric)
	switch {
	case errors.Is(err, ErrUnsupported):
		res.IndexUnavailable = err.Error()
		step.Details = "index not available yet: " + err.Error() + " (searches stay exact)"
		s.log.Debug("maintenance step", "step", StepIndex, "action", "unavailable", "error", err)
		return nil
	case err != nil:
		step.Details = "failed: " + err.Error()
		return fmt.Errorf("resona: maintain: %s: %w", StepIndex, err)
	}
	s.swap(nd)
	step.Changed = true
	res.IndexRebuilt = true
	res.IndexCreated = h == nil
	if after := s.vectorIndexHealth(s.ds, threshold); after != nil {
		res.IndexStats = &IndexStats{NumIndexedRows: after.NumIndexedRows, NumUnindexedRows: after.NumUnindexedRows}
	}
	step.Details = reason + ": done"
	s.log.Debug("maintenance step", "step", StepIndex, "action", reason, "version", s.ds.Version(), "duration", time.Since(t0))
	return nil
}

// liveRows counts the rows of ds's version that are not deleted.
func liveRows(ds *lance.Dataset) int64 {
	var n int64
	for _, f := range ds.Fragments() {
		n += int64(f.LiveRows())
	}
	return n
}

// refreshIDIndex rebuilds the BTREE index on id when more than threshold
// of the rows are not covered.
func (s *EmbeddingService) refreshIDIndex(ctx context.Context, res *MaintenanceResult, threshold float64, dryRun bool, progress func(string, string)) error {
	h := indexHealth(s.ds, colID, threshold)
	if h == nil || !h.NeedsRebuild {
		return nil
	}
	t0 := time.Now()
	details := fmt.Sprintf("rebuilding the id index: %.1f%% of rows unindexed", h.StalePercent)
	progress(StepIDIndex, details)
	step := StepResult{Name: StepIDIndex, Ran: true, Changed: true}
	if dryRun {
		step.Details = "would be " + details
		res.Steps = append(res.Steps, step)
		return nil
	}
	nd, err := createIndex(ctx, s.ds, colID, h.Name, indexBTree, "")
	switch {
	case errors.Is(err, ErrUnsupported):
		step.Changed = false
		step.Details = "id index not rebuilt: " + err.Error()
	case err != nil:
		return fmt.Errorf("resona: maintain: %s: %w", StepIDIndex, err)
	default:
		s.swap(nd)
		step.Details = details + ": done"
	}
	step.Elapsed = time.Since(t0)
	res.Steps = append(res.Steps, step)
	s.log.Debug("maintenance step", "step", StepIDIndex, "indexed", h.NumIndexedRows, "unindexed", h.NumUnindexedRows,
		"version", s.ds.Version(), "duration", step.Elapsed, "error", err)
	progress(StepIDIndex, step.Details)
	return nil
}

// plural formats a count with its noun, adding "s" unless the count is one.
func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
